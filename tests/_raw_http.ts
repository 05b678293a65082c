// Copyright 2026 the serverpush authors. MIT license.
// A request written by hand over TCP, for what `fetch` and `WebSocket` will
// not send: a `Host` of the tester's choosing (DNS rebinding tests).

import { within } from "./_wait.ts";

/** The status and head of a response read over raw TCP. */
export interface RawResponse {
  status: number;
  /** The response head, lower-cased header names as sent. */
  head: string;
}

/**
 * Sends `method path` to 127.0.0.1:`port` with `headers` (a `Host` among
 * them), reads the response head, then closes the connection.
 */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [`${method} ${path} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) {
      lines.push(`${name}: ${value}`);
    }
    if (body !== "") lines.push(`content-length: ${body.length}`);
    await conn.write(
      new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n${body}`),
    );
    const decoder = new TextDecoder();
    let text = "";
    const buffer = new Uint8Array(4096);
    while (!text.includes("\r\n\r\n")) {
      const n = await within(conn.read(buffer), "the response head");
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
    }
    const head = text.split("\r\n\r\n")[0]!;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
    return { status, head };
  } finally {
    conn.close();
  }
}

/** Headers of a WebSocket upgrade with the given `Host` and `Origin`. */
export function upgradeHeaders(
  host: string,
  origin?: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    host,
    ...(origin === undefined ? {} : { origin }),
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
  };
}
