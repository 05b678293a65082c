// Copyright 2026 the serverpush authors. MIT license.
// A raw WebSocket client for attacks: it does the opening handshake itself
// and then writes hand-made masked frames (mask key 0, so the payload bytes
// stay as given), reading only when told to.

import { rawUpgrade, writeAll } from "../_raw_socket.ts";

/** A connection past its handshake, as the attacker holds it. */
export interface RawWebSocket {
  readonly conn: Deno.Conn;
  /** Writes all of `bytes`; false if the server went away. */
  write(bytes: Uint8Array): Promise<boolean>;
  /**
   * Reads frames from the server until a close frame arrives or the
   * connection ends; resolves with the close code (1005 for none) or
   * `undefined` when the connection ended without one.
   */
  readClose(): Promise<number | undefined>;
  close(): void;
}

/** Connects to `port` on loopback and upgrades `path`; reads the 101 only. */
export async function rawWebSocket(
  port: number,
  path = "/",
): Promise<RawWebSocket> {
  const { conn, head } = await rawUpgrade(port, path);
  if (!head.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`Cannot upgrade: got ${head.slice(0, 40)}`);
  }
  let closed = false;
  return {
    conn,
    async write(bytes): Promise<boolean> {
      try {
        await writeAll(conn, bytes);
        return true;
      } catch {
        return false;
      }
    },
    async readClose(): Promise<number | undefined> {
      let buffered = new Uint8Array(0);
      const chunk = new Uint8Array(64 * 1024);
      while (true) {
        // Skip whole frames until a close frame.
        while (buffered.length >= 2) {
          const b1 = buffered[1]! & 0x7f;
          const headLength = b1 === 126 ? 4 : b1 === 127 ? 10 : 2;
          if (buffered.length < headLength) break;
          const length = b1 === 126
            ? (buffered[2]! << 8) | buffered[3]!
            : b1 === 127
            ? Number(
              new DataView(buffered.buffer, buffered.byteOffset + 2, 8)
                .getBigUint64(0),
            )
            : b1;
          if (buffered.length < headLength + length) break;
          if ((buffered[0]! & 0x0f) === 8) {
            return length >= 2
              ? (buffered[headLength]! << 8) | buffered[headLength + 1]!
              : 1005;
          }
          buffered = buffered.slice(headLength + length);
        }
        let n: number | null;
        try {
          n = await conn.read(chunk);
        } catch {
          return undefined;
        }
        if (n === null) return undefined;
        const grown = new Uint8Array(buffered.length + n);
        grown.set(buffered);
        grown.set(chunk.subarray(0, n), buffered.length);
        buffered = grown;
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * One masked frame (mask key 0) with FIN, opcode and RSV bits from `b0`;
 * `payload` must be under 65536 bytes.
 */
export function maskedFrame(b0: number, payload: Uint8Array): Uint8Array {
  const extended = payload.length > 125;
  const head = extended ? 8 : 6;
  const frame = new Uint8Array(head + payload.length);
  frame[0] = b0;
  if (extended) {
    frame[1] = 0x80 | 126;
    frame[2] = payload.length >> 8;
    frame[3] = payload.length & 0xff;
  } else {
    frame[1] = 0x80 | payload.length;
  }
  frame.set(payload, head);
  return frame;
}

/** `count` copies of `frame`, back to back. */
export function repeatFrame(frame: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) out.set(frame, i * frame.length);
  return out;
}

/**
 * An honest client (Deno's WebSocket) that checks one echo round trip;
 * resolves with the echoed text.
 */
export async function echoOnce(port: number, text: string): Promise<string> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("Cannot open WebSocket"));
    });
    const answer = new Promise<string>((resolve) => {
      socket.onmessage = (event) => resolve(String(event.data));
    });
    socket.send(text);
    return await answer;
  } finally {
    const closed = new Promise((resolve) => (socket.onclose = resolve));
    socket.close();
    await closed;
  }
}
