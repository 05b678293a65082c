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

/** See the file comment; events are fired by `_serve_bun.ts`. */
export class BunSocket extends EventTarget {
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;
  readyState: number = CONNECTING;
  binaryType: BinaryType = "arraybuffer";
  readonly protocol: string;
  readonly extensions = "";
  readonly url: string;
  #ws: BunServerWebSocket | undefined;

  constructor(url: string, protocol: string) {
    super();
    this.url = url;
    this.protocol = protocol;
  }

  get bufferedAmount(): number {
    return this.#ws?.getBufferedAmount() ?? 0;
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
    this.dispatchEvent(new Event("open"));
  }

  /** Bun's `message` handler. */
  received(message: string | Uint8Array): void {
    const data = typeof message === "string" ? message : message.slice()
      .buffer;
    this.dispatchEvent(Object.assign(new Event("message"), { data }));
  }

  /** Bun's `close` handler. */
  closed(code: number, reason: string): void {
    this.readyState = CLOSED;
    this.dispatchEvent(
      Object.assign(new Event("close"), {
        code,
        reason,
        wasClean: code !== 1006,
      }),
    );
  }
}
