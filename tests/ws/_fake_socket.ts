// Copyright 2026 the serverpush authors. MIT license.
// A scriptable stand-in for a WHATWG WebSocket, for unit tests of the native
// engine's wrapper and of acceptWebSocket with a fake upgrade.

/** What the fake was asked to do. */
export interface FakeSocketCall {
  kind: "send" | "close";
  data?: unknown;
  code?: number | undefined;
  reason?: string | undefined;
}

/**
 * A WebSocket whose network is the test: it starts CONNECTING, and the test
 * opens it, delivers messages and closes it by hand. `bufferedAmount` is
 * writable, so a test decides when the buffer drains.
 */
export class FakeSocket extends EventTarget {
  readyState = 0;
  binaryType: BinaryType = "blob";
  bufferedAmount = 0;
  protocol = "";
  extensions = "";
  /** Every `send()` and `close()`, in order. */
  readonly calls: FakeSocketCall[] = [];
  /** When set, `close()` throws this first (a client refusing a code). */
  refuseCloseCode: ((code: number | undefined) => boolean) | undefined;

  send(data: unknown): void {
    if (this.readyState === 0) {
      throw new DOMException("'readyState' not OPEN", "InvalidStateError");
    }
    this.calls.push({ kind: "send", data });
  }

  close(code?: number, reason?: string): void {
    if (this.refuseCloseCode?.(code)) {
      throw new DOMException("refused", "InvalidAccessError");
    }
    this.calls.push({ kind: "close", code, reason });
    if (this.readyState <= 1) this.readyState = 2;
  }

  /** Completes the opening handshake. */
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }

  /** Delivers one message, as the platform would with binaryType arraybuffer. */
  receive(data: string | ArrayBuffer): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }

  /** Finishes the connection with a close event. */
  finish(code: number, reason = "", wasClean = true): void {
    this.readyState = 3;
    this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean }));
  }

  /** Reports an error event. */
  fail(): void {
    this.dispatchEvent(new Event("error"));
  }

  /** The fake, typed as the WebSocket it stands in for. */
  get asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }

  /** The data of every `send()`. */
  get sent(): unknown[] {
    return this.calls.filter((c) => c.kind === "send").map((c) => c.data);
  }

  /** The `close()` calls. */
  get closes(): FakeSocketCall[] {
    return this.calls.filter((c) => c.kind === "close");
  }
}

/** Resolves after the pending microtasks and one macrotask. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
