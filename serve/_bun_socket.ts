// Copyright 2026 the serverpush authors. MIT license.
// Private: Bun's server-side WebSocket (`ServerWebSocket`) seen as a
// WHATWG `WebSocket`, so that `acceptWebSocket` runs it as it runs Deno's
// (`bufferedAmount` from `getBufferedAmount()`, events from Bun's
// handlers).

/** Bun's `ServerWebSocket`, as far as used. */
export interface BunServerWebSocket {
  send(data: string | ArrayBuffer | Uint8Array): number;
  close(code?: number, reason?: string): void;
  getBufferedAmount(): number;
  data: BunSocket;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** A listener as `addEventListener` takes it. */
type Listener = EventListenerOrEventListenerObject;

/**
 * See the file comment; events are fired by `_serve_bun.ts`. Listeners are
 * kept here rather than in a native `EventTarget` (whose listener records
 * cost more memory per socket than the socket itself), and events are
 * plain objects with `type` and their fields: the only listener is the
 * connection of `acceptWebSocket`, which reads nothing else.
 */
export class BunSocket {
  readyState: number = CONNECTING;
  binaryType: BinaryType = "arraybuffer";
  readonly protocol: string;
  readonly url: string;
  #ws: BunServerWebSocket | undefined;
  /** Listeners, as type and listener one after the other. */
  #listeners: (string | Listener)[] = [];

  constructor(url: string, protocol: string) {
    this.url = url;
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

  get bufferedAmount(): number {
    return this.#ws?.getBufferedAmount() ?? 0;
  }

  addEventListener(type: string, listener: Listener | null): void {
    if (listener === null || this.#find(type, listener) !== -1) return;
    this.#listeners.push(type, listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const index = this.#find(type, listener);
    if (index !== -1) this.#listeners.splice(index, 2);
  }

  #find(type: string, listener: Listener | null): number {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i += 2) {
      if (listeners[i] === type && listeners[i + 1] === listener) return i;
    }
    return -1;
  }

  /** Calls the listeners of `event.type`, in the order they were added. */
  #dispatch(event: { type: string }): void {
    // A copy only when there are several: a listener may remove others.
    const own = this.#listeners;
    const listeners = own.length > 2 ? own.slice() : own;
    for (let i = 0; i < listeners.length; i += 2) {
      if (listeners[i] !== event.type) continue;
      const listener = listeners[i + 1] as Listener;
      if (typeof listener === "function") listener.call(this, event as Event);
      else listener.handleEvent(event as Event);
    }
  }

  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    const ws = this.#ws;
    if (ws === undefined || this.readyState !== OPEN) return;
    if (typeof data === "string") ws.send(data);
    else if (data instanceof ArrayBuffer) ws.send(data);
    else if (ArrayBuffer.isView(data)) {
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
    if (this.readyState === CLOSING) {
      // close() came first: Bun's socket exists only now.
      ws.close(1000);
      return;
    }
    this.readyState = OPEN;
    this.#dispatch({ type: "open" });
  }

  /** Bun's `message` handler. */
  received(message: string | Uint8Array): void {
    const data = typeof message === "string" ? message : message.slice()
      .buffer;
    this.#dispatch({ type: "message", data } as { type: string });
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
