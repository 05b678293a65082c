// Copyright 2026 the serverpush authors. MIT license.
// Raw TCP clients for the tests that must misbehave where `fetch` and
// `WebSocket` will not: clients that never read, read only up to a point, or
// do the WebSocket handshake by hand.

const encoder = new TextEncoder();

/** Writes all of `bytes` to `conn`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Opens a connection that sends `request` and then never reads. */
export async function neverReads(
  port: number,
  request: string,
): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(request));
  return conn;
}

/** Reads `conn` to its end; a reset counts as the end. */
export async function drain(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(65_536);
  try {
    while (await conn.read(buffer) !== null) {
      // Discard.
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
  }
}

/** Reads `conn` until its text contains `needle`; resolves with it. */
export async function readUntil(
  conn: Deno.Conn,
  needle: string,
): Promise<string> {
  const buffer = new Uint8Array(65_536);
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(needle)) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`Connection ended after ${text.length}`);
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

/**
 * Connects to `port` on loopback and sends a WebSocket upgrade request for
 * `path`, with `headers` (lines such as `"Sec-WebSocket-Protocol: x"`)
 * added; reads the response head byte by byte, so that nothing after it is
 * consumed, and resolves with the connection and the head (whatever its
 * status). Rejects if the connection ends before the head does.
 */
export async function rawUpgrade(
  port: number,
  path: string,
  headers: readonly string[] = [],
): Promise<{ conn: Deno.TcpConn; head: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(
    conn,
    encoder.encode(
      [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
        "",
        "",
      ].join("\r\n"),
    ),
  );
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    const n = await conn.read(one);
    if (n === null) {
      conn.close();
      throw new Error(`Connection ended before the response head: ${head}`);
    }
    head += String.fromCharCode(one[0]!);
  }
  return { conn, head };
}
