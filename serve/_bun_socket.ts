// Copyright 2026 the serverpush authors. MIT license.
// Private: Bun's server-side WebSocket (`ServerWebSocket`) seen as a
// WHATWG `WebSocket`, so that `acceptWebSocket` runs it as it runs Deno's
// (`bufferedAmount` from `getBufferedAmount()`, events from Bun's
// handlers).

import { RECEIVE } from "../ws/_socket_connection.ts";

/** Bun's `ServerWebSocket`, as far as used. */
export interface BunServerWebSocket {
  send(data: string | ArrayBuffer | Uint8Array): number;
  close(code?: number, reason?: string): void;
  getBufferedAmount(): number;
  binaryType: string;
  data: BunSocket;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** A listener as `addEventListener` takes it. */
type Listener = EventListenerOrEventListenerObject;

/** A listener that takes messages without an event (the connection). */
interface Receiver {
  [RECEIVE](data: string | Uint8Array): void;
}

/**
 * Whether Bun took `binaryType = "uint8array"`: each binary message then
 * comes as a `Uint8Array` of its own (Bun copies every message out of its
 * read buffer), kept as it is. The same for every socket of the process;
 * set when the first one opens.
 */
let ownBytes = false;

/** The events a socket fires, as bits of {@linkcode BunSocket}'s mask. */
const EVENT_BITS: Readonly<Record<string, number>> = {
  open: 1,
  message: 2,
  close: 4,
  error: 8,
};
const MESSAGE = EVENT_BITS.message!;

/**
 * See the file comment; events are fired by `_serve_bun.ts`. Listeners are
 * kept here rather than in a native `EventTarget` (whose listener records
 * cost more memory per socket than the socket itself), and events are
 * plain objects with `type` and their fields: the only listener is the
 * connection of `acceptWebSocket`, which reads nothing else. That one
 * listener, whatever events it takes, costs no array: it is held with a
 * mask of its events; any other listener goes to a list after it.
 */
export class BunSocket {
  readyState: number = CONNECTING;
  /** Read by nobody: messages come as Bun's `ArrayBuffer`s whatever it says. */
  binaryType: BinaryType = "arraybuffer";
  readonly protocol: string;
  #ws: BunServerWebSocket | undefined;
  /** The first listener, and the events it takes (see EVENT_BITS). */
  #listener: Listener | undefined;
  #mask = 0;
  /** Listeners after the first, as type and listener one after the other. */
  #others: (string | Listener)[] | undefined;

  constructor(protocol: string) {
    this.protocol = protocol;
  }

  get CONNECTING(): number {
    return CONNECTING;
  }
  get OPEN(): number {
    return OPEN;
  }
  get CLOSING(): number {
    return CLOSING;
  }
  get CLOSED(): number {
    return CLOSED;
  }
  get extensions(): string {
    return "";
  }
  /** Not kept: nothing reads a server-side socket's URL. */
  get url(): string {
    return "";
  }

  get bufferedAmount(): number {
    return this.#ws?.getBufferedAmount() ?? 0;
  }

  addEventListener(type: string, listener: Listener | null): void {
    if (listener === null) return;
    const bit = EVENT_BITS[type] ?? 0;
    if (this.#listener === undefined && this.#others === undefined) {
      this.#listener = listener;
    }
    if (listener === this.#listener && bit !== 0) {
      this.#mask |= bit;
      return;
    }
    const others = this.#others ??= [];
    for (let i = 0; i < others.length; i += 2) {
      if (others[i] === type && others[i + 1] === listener) return;
    }
    others.push(type, listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const bit = EVENT_BITS[type] ?? 0;
    if (bit !== 0 && listener !== null && listener === this.#listener) {
      this.#mask &= ~bit;
      return;
    }
    const others = this.#others;
    if (others === undefined) return;
    for (let i = 0; i < others.length; i += 2) {
      if (others[i] === type && others[i + 1] === listener) {
        others.splice(i, 2);
        return;
      }
    }
  }

  /** Calls the listeners of `event.type`, in the order they were added. */
  #dispatch(event: { type: string }): void {
    const listener = this.#listener;
    if (listener !== undefined && (this.#mask & EVENT_BITS[event.type]!)) {
      call(this, listener, event);
    }
    const others = this.#others;
    if (others === undefined) return;
    // A copy: a listener may remove others.
    const listeners = others.slice();
    for (let i = 0; i < listeners.length; i += 2) {
      if (listeners[i] === event.type) {
        call(this, listeners[i + 1] as Listener, event);
      }
    }
  }

  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    const ws = this.#ws;
    if (ws === undefined || this.readyState !== OPEN) return;
    if (typeof data === "string") ws.send(data);
    else if (data instanceof ArrayBuffer || data instanceof Uint8Array) {
      ws.send(data);
    } else if (ArrayBuffer.isView(data)) {
      ws.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      throw new TypeError("Cannot send: Blob is not supported on Bun");
    }
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    this.#ws?.close(code, reason);
  }

  /** Bun's `open` handler. */
  opened(ws: BunServerWebSocket): void {
    this.#ws = ws;
    // Each binary message then comes as a Uint8Array (or, from a Bun
    // without that type, an ArrayBuffer) of its own, which the connection
    // keeps as it is: no copy, and no view to make.
    ws.binaryType = "uint8array";
    ownBytes = ws.binaryType === "uint8array";
    if (!ownBytes) ws.binaryType = "arraybuffer";
    if (this.readyState === CLOSING) {
      // close() came first: Bun's socket exists only now.
      ws.close(1000);
      return;
    }
    this.readyState = OPEN;
    this.#dispatch({ type: "open" });
  }

  /** Bun's `message` handler. */
  received(message: string | ArrayBuffer | Uint8Array): void {
    const data = typeof message === "string"
      ? message
      : message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : ownBytes
      ? message
      // A Bun without either binaryType gives a Buffer, which may be a
      // view of memory Bun reuses: that one is copied (a Buffer's slice()
      // would be a view).
      : new Uint8Array(message);
    // The connection, alone, takes it straight: no event to make.
    const listener = this.#listener as Partial<Receiver> | undefined;
    if (
      this.#others === undefined && (this.#mask & MESSAGE) !== 0 &&
      typeof listener?.[RECEIVE] === "function"
    ) {
      listener[RECEIVE](data);
      return;
    }
    this.#dispatch(
      { type: "message", data: bufferOf(data) } as { type: string },
    );
  }

  /** Bun's `close` handler. */
  closed(code: number, reason: string): void {
    this.readyState = CLOSED;
    this.#dispatch(
      { type: "close", code, reason, wasClean: code !== 1006 } as {
        type: string;
      },
    );
  }
}

/** A message as a WHATWG socket with `binaryType` "arraybuffer" gives it. */
function bufferOf(data: string | Uint8Array): string | ArrayBuffer {
  if (typeof data === "string") return data;
  const buffer = data.buffer as ArrayBuffer;
  return data.byteOffset === 0 && data.byteLength === buffer.byteLength
    ? buffer
    : data.slice().buffer;
}

/** Calls `listener` with `event`, as an `EventTarget` would. */
function call(target: BunSocket, listener: Listener, event: object): void {
  if (typeof listener === "function") listener.call(target, event as Event);
  else listener.handleEvent(event as Event);
}
