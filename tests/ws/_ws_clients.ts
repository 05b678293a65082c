// Copyright 2026 the serverpush authors. MIT license.
// Test clients for the codec engine's interop tests: Deno's WebSocket, the
// `ws` client from npm, and a raw TCP client for hand-made handshakes.

import WsWebSocket from "ws";

/** The same few operations on either client. */
export interface TestClient {
  readonly protocol: string;
  readonly extensions: string;
  send(data: string | Uint8Array): void;
  /** The next message: text as a string, binary as bytes. */
  next(): Promise<string | Uint8Array>;
  close(code?: number, reason?: string): void;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves on open, rejects if the connection fails first. */
  readonly opened: Promise<void>;
}

/** Buffers messages and hands them out in order. */
function inbox(): {
  push(message: string | Uint8Array): void;
  next(): Promise<string | Uint8Array>;
} {
  const messages: (string | Uint8Array)[] = [];
  const waiters: ((m: string | Uint8Array) => void)[] = [];
  return {
    push(message): void {
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else messages.push(message);
    },
    next(): Promise<string | Uint8Array> {
      const message = messages.shift();
      if (message !== undefined) return Promise.resolve(message);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Deno's own `WebSocket`. */
export function denoClient(url: string, protocols: string[] = []): TestClient {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = "arraybuffer";
  const box = inbox();
  socket.onmessage = (event) =>
    box.push(
      typeof event.data === "string" ? event.data : new Uint8Array(event.data),
    );
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.onclose = (event) =>
      resolve({ code: event.code, reason: event.reason });
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("Cannot open WebSocket"));
  });
  opened.catch(() => {});
  return {
    get protocol(): string {
      return socket.protocol;
    },
    get extensions(): string {
      return socket.extensions;
    },
    send: (data) => socket.send(data),
    next: box.next,
    close: (code, reason) => socket.close(code, reason),
    closed,
    opened,
  };
}

/** Options of the `ws` client. */
export interface WsClientOptions {
  protocols?: string[];
  perMessageDeflate?: boolean | Record<string, unknown>;
  headers?: Record<string, string>;
  origin?: string;
  /** Answer pings; `false` makes a dead peer for heartbeat tests. */
  autoPong?: boolean;
  /** Called on every ping the client receives. */
  onPing?: () => void;
}

/** The `ws` client from npm. */
export function wsClient(
  url: string,
  options: WsClientOptions = {},
): TestClient & { readonly status: Promise<number> } {
  const socket = new WsWebSocket(url, options.protocols ?? [], {
    perMessageDeflate: options.perMessageDeflate ?? false,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    autoPong: options.autoPong ?? true,
  });
  if (options.onPing) socket.on("ping", options.onPing);
  const box = inbox();
  socket.on("message", (data: Uint8Array, isBinary: boolean) =>
    box.push(
      isBinary ? new Uint8Array(data) : new TextDecoder().decode(data),
    ));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on(
      "close",
      (code: number, reason: Uint8Array) =>
        resolve({ code, reason: new TextDecoder().decode(reason) }),
    );
  });
  const status = new Promise<number>((resolve, reject) => {
    socket.on("upgrade", () => resolve(101));
    socket.on("error", (error: Error) => {
      const match = /Unexpected server response: (\d+)/.exec(error.message);
      if (match) resolve(Number(match[1]));
      else reject(error);
    });
  });
  status.catch(() => {});
  const opened = new Promise<void>((resolve, reject) => {
    socket.on("open", resolve);
    socket.on("error", reject);
  });
  opened.catch(() => {});
  return {
    get protocol(): string {
      return socket.protocol;
    },
    get extensions(): string {
      return socket.extensions;
    },
    send: (data) => socket.send(data),
    next: box.next,
    close: (code, reason) => socket.close(code, reason),
    closed,
    opened,
    status,
  };
}

/** A raw TCP client that writes what it is told and reads what comes. */
export interface RawClient {
  write(text: string | Uint8Array): Promise<void>;
  /** Everything until the server closes (or `maxBytes`). */
  readAll(maxBytes?: number): Promise<string>;
  /** Reads until `text` has arrived; returns everything read so far. */
  readUntil(text: string): Promise<string>;
  close(): void;
}

/** Connects a raw TCP client to `port` on loopback. */
export async function rawClient(port: number): Promise<RawClient> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let seen = "";
  let closed = false;
  async function readChunk(): Promise<boolean> {
    const buffer = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return false;
      throw error;
    }
    if (n === null) return false;
    seen += bytesToString(buffer.subarray(0, n));
    return true;
  }
  return {
    async write(text): Promise<void> {
      const bytes = typeof text === "string"
        ? new TextEncoder().encode(text)
        : text;
      let offset = 0;
      while (offset < bytes.length) {
        offset += await conn.write(bytes.subarray(offset));
      }
    },
    async readAll(maxBytes = Infinity): Promise<string> {
      while (seen.length < maxBytes && await readChunk()) {
        // Keep reading.
      }
      return seen;
    },
    async readUntil(text): Promise<string> {
      while (!seen.includes(text)) {
        if (!await readChunk()) break;
      }
      return seen;
    },
    close(): void {
      if (closed) return;
      closed = true;
      conn.close();
    },
  };
}

/** A valid upgrade request head for `path` on `port`, plus extra lines. */
export function upgradeHead(port: number, extra: string[] = []): string {
  return [
    "GET / HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
    "",
    "",
  ].join("\r\n");
}

/** Bytes as a string of the same char codes (what "latin1" would mean). */
export function bytesToString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}
