// Copyright 2026 the serverpush authors. MIT license.
// Private: a WebSocket client on a raw TCP connection, built from the ws/
// codec (handshake, frames), for `send`: unlike the platform's WebSocket it
// can send a ping and see the pong, and send any close code.

import {
  createClientHandshake,
  verifyClientHandshake,
} from "../ws/client_handshake.ts";
import { encodeClosePayload } from "../ws/encode_close_payload.ts";
import { encodeFrame } from "../ws/encode_frame.ts";
import type { WsFrame } from "../ws/frame.ts";
import { createFrameParser } from "../ws/frame_parser.ts";
import { Opcode } from "../ws/opcode.ts";
import { parseClosePayload } from "../ws/parse_close_payload.ts";

const MAX_HEAD_BYTES = 16 * 1024;
const encoder = new TextEncoder();

/** What arrives on a {@linkcode WsSession}. */
export type WsSessionEvent =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string };

/** An open WebSocket. */
export interface WsSession {
  /** The subprotocol the server chose, or `""`. */
  readonly protocol: string;
  /** What arrives, ending after the close (or a dropped connection). */
  readonly events: AsyncIterable<WsSessionEvent>;
  sendText(text: string): Promise<void>;
  sendBinary(bytes: Uint8Array): Promise<void>;
  ping(data: Uint8Array): Promise<void>;
  /** Sends a close frame (once); the events end when the server answers. */
  close(code: number, reason: string): Promise<void>;
  /** Drops the TCP connection. */
  destroy(): void;
}

function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const value: WsFrame = {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode,
    payload,
  };
  return encodeFrame(value, { mask: true });
}

async function readHead(
  conn: Deno.Conn,
): Promise<{ status: number; headers: Headers; rest: Uint8Array }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(4096);
  while (size <= MAX_HEAD_BYTES) {
    const n = await conn.read(buffer);
    if (n === null) {
      throw new Error("the server closed the connection during the handshake");
    }
    chunks.push(buffer.slice(0, n));
    size += n;
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    const text = new TextDecoder("latin1").decode(all);
    const end = text.indexOf("\r\n\r\n");
    if (end === -1) continue;
    const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? "")?.[1]);
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        headers.append(
          line.slice(0, colon).trim(),
          line.slice(colon + 1).trim(),
        );
      }
    }
    return { status, headers, rest: all.subarray(end + 4) };
  }
  throw new Error(
    `the server's handshake response is over ${MAX_HEAD_BYTES} bytes`,
  );
}

/** Opens a WebSocket to `url` (`ws:` or `wss:`). */
export async function openWsSession(
  url: URL,
  options: { protocols: readonly string[]; headers: Headers },
): Promise<WsSession> {
  const handshake = createClientHandshake(url, {
    protocols: options.protocols,
    headers: options.headers,
  });
  const target = handshake.url;
  const tls = target.protocol === "https:";
  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  const port = Number(target.port || (tls ? 443 : 80));
  const conn: Deno.Conn = tls
    ? await Deno.connectTls({ hostname, port })
    : await Deno.connect({ hostname, port });
  try {
    const headers = new Headers(handshake.headers);
    if (!headers.has("host")) headers.set("host", target.host);
    let head = `GET ${target.pathname}${target.search} HTTP/1.1\r\n`;
    for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
    await conn.write(encoder.encode(`${head}\r\n`));
    const response = await readHead(conn);
    const result = await verifyClientHandshake(handshake, response);
    return session(conn, result.protocol, response.rest);
  } catch (error) {
    conn.close();
    throw error;
  }
}

function session(
  conn: Deno.Conn,
  protocol: string,
  rest: Uint8Array,
): WsSession {
  const queue: WsSessionEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let closeSent = false;
  let closed = false;
  const fragments: Uint8Array[] = [];
  let fragmentOpcode = 0;
  let writing: Promise<unknown> = Promise.resolve();

  function write(bytes: Uint8Array): Promise<void> {
    const next = writing.then(async () => {
      let view = bytes;
      while (view.length > 0) view = view.subarray(await conn.write(view));
    });
    writing = next.catch(() => undefined);
    return next;
  }
  function push(event: WsSessionEvent): void {
    queue.push(event);
    wake?.();
  }
  function finish(): void {
    if (closed) return;
    closed = true;
    ended = true;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    wake?.();
  }
  function message(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.Text) {
      push({
        type: "text",
        data: new TextDecoder("utf-8", { fatal: true }).decode(payload),
      });
    } else push({ type: "binary", data: payload });
  }
  const parser = createFrameParser((f) => {
    switch (f.opcode) {
      case Opcode.Ping:
        push({ type: "ping", data: f.payload.slice() });
        void write(frame(Opcode.Pong, f.payload.slice())).catch(() =>
          undefined
        );
        return;
      case Opcode.Pong:
        push({ type: "pong", data: f.payload.slice() });
        return;
      case Opcode.Close: {
        const { code, reason } = parseClosePayload(f.payload);
        push({ type: "close", code, reason });
        const reply = closeSent
          ? Promise.resolve()
          : write(frame(Opcode.Close, f.payload.slice(0, 2)));
        closeSent = true;
        void reply.catch(() => undefined).finally(finish);
        return;
      }
      case Opcode.Continuation:
        fragments.push(f.payload.slice());
        break;
      default:
        fragmentOpcode = f.opcode;
        fragments.length = 0;
        fragments.push(f.payload.slice());
    }
    if (!f.fin) return;
    const size = fragments.reduce((sum, part) => sum + part.length, 0);
    const whole = new Uint8Array(size);
    let offset = 0;
    for (const part of fragments) {
      whole.set(part, offset);
      offset += part.length;
    }
    fragments.length = 0;
    message(fragmentOpcode, whole);
  }, { role: "client" });

  (async () => {
    try {
      if (rest.length > 0) parser.push(rest);
      const buffer = new Uint8Array(65536);
      while (!closed) {
        const n = await conn.read(buffer);
        if (n === null) break;
        parser.push(buffer.subarray(0, n));
      }
    } catch (error) {
      if (!closed) {
        push({
          type: "close",
          code: 1006,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (!closed && !queue.some((event) => event.type === "close")) {
      push({ type: "close", code: 1006, reason: "the connection dropped" });
    }
    finish();
  })();

  return {
    protocol,
    events: {
      async *[Symbol.asyncIterator](): AsyncGenerator<WsSessionEvent> {
        while (true) {
          const event = queue.shift();
          if (event !== undefined) {
            yield event;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
        }
      },
    },
    sendText: (text) => write(frame(Opcode.Text, encoder.encode(text))),
    sendBinary: (bytes) => write(frame(Opcode.Binary, bytes)),
    ping: (data) => write(frame(Opcode.Ping, data)),
    close(code, reason): Promise<void> {
      if (closeSent) return Promise.resolve();
      closeSent = true;
      return write(frame(Opcode.Close, encodeClosePayload(code, reason)));
    },
    destroy: finish,
  };
}
