// Copyright 2026 the serverpush authors. MIT license.
// serveWebSocket (the codec engine) fails strictly: invalid UTF-8 as soon
// as its bytes arrive, even inside a frame whose rest has not come, and in
// order: messages complete before a protocol error are delivered and
// answered before the close.

import { ok, strictEqual } from "node:assert/strict";
import { serveWebSocket, type WsConnection } from "../../ws/mod.ts";
import { rawClient, upgradeHead } from "./_ws_clients.ts";
import { within } from "../_wait.ts";

async function echo(connection: WsConnection): Promise<void> {
  for await (const message of connection) await connection.send(message);
}

/** A masked frame (key 0) with the given first byte and payload. */
function frame(b0: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string"
    ? new TextEncoder().encode(payload)
    : payload;
  const out = new Uint8Array(6 + bytes.length);
  out[0] = b0;
  out[1] = 0x80 | bytes.length;
  out.set(bytes, 6);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The close code in the first close frame of `wire` (after the 101 head). */
function closeCode(wire: string): number {
  const at = wire.indexOf("\x88", wire.indexOf("\r\n\r\n") + 4);
  ok(at >= 0, `no close frame in ${JSON.stringify(wire.slice(-40))}`);
  return (wire.charCodeAt(at + 2) << 8) | wire.charCodeAt(at + 3);
}

Deno.test("serveWebSocket fails a text frame with 1007 as its invalid bytes arrive, before the rest of the frame", async () => {
  const server = serveWebSocket({ heartbeat: false, closeTimeout: 300 }, echo);
  const client = await rawClient(server.addr.port);
  try {
    await client.write(upgradeHead(server.addr.port));
    await client.readUntil("\r\n\r\n");
    // A text frame announcing 60000 bytes: valid text first, in its own
    // write, then an overlong encoding; the other bytes never come.
    const header = new Uint8Array([
      0x81,
      0x80 | 126,
      60000 >> 8,
      60000 & 0xff,
      0,
      0,
      0,
      0,
    ]);
    await client.write(
      concat(header, new TextEncoder().encode("valid ".repeat(50))),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.write(new Uint8Array([0x61, 0xc0, 0x80, 0x62]));
    const wire = await within(
      client.readAll(),
      "the close, though the rest of the frame never comes",
    );
    strictEqual(closeCode(wire), 1007, JSON.stringify(wire));
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("serveWebSocket fails a continuation frame with 1007 as its invalid bytes arrive", async () => {
  const server = serveWebSocket({ heartbeat: false, closeTimeout: 300 }, echo);
  const client = await rawClient(server.addr.port);
  try {
    await client.write(upgradeHead(server.addr.port));
    await client.readUntil("\r\n\r\n");
    // A text message's first fragment ends inside a 3-byte character; the
    // continuation that announces 60000 bytes breaks it at its first byte.
    const first = frame(0x01, new Uint8Array([0x61, 0xe2, 0x82]));
    const header = new Uint8Array([
      0x80,
      0x80 | 126,
      60000 >> 8,
      60000 & 0xff,
      0,
      0,
      0,
      0,
    ]);
    await client.write(concat(first, header, new Uint8Array([0x41, 0x42])));
    const wire = await within(
      client.readAll(),
      "the close, though the rest of the frame never comes",
    );
    strictEqual(closeCode(wire), 1007, JSON.stringify(wire));
  } finally {
    client.close();
    await server.shutdown();
  }
});

for (
  const [name, bad] of [
    ["RSV2 set", frame(0xa1, "bad")],
    ["RSV1 and RSV2 set", frame(0xe1, "bad")],
    ["the reserved opcode 7", frame(0x87, "bad")],
    ["the reserved opcode 15", frame(0x8f, "bad")],
  ] as const
) {
  Deno.test(`serveWebSocket echoes a message before failing with 1002 on a frame with ${name} in the same write`, async () => {
    const server = serveWebSocket(
      { heartbeat: false, closeTimeout: 300 },
      echo,
    );
    const client = await rawClient(server.addr.port);
    try {
      await client.write(upgradeHead(server.addr.port));
      await client.readUntil("\r\n\r\n");
      // A message, the bad frame, then a ping that must not be answered.
      await client.write(
        concat(frame(0x81, "Hello"), bad, frame(0x89, "ping")),
      );
      const wire = await within(client.readAll(), "the server's end");
      const body = wire.slice(wire.indexOf("\r\n\r\n") + 4);
      ok(
        body.startsWith("\x81\x05Hello\x88"),
        `the echo comes before the close: ${JSON.stringify(body.slice(0, 20))}`,
      );
      strictEqual(closeCode(wire), 1002);
      ok(
        !body.includes("\x8a"),
        "the ping after the bad frame is not answered",
      );
    } finally {
      client.close();
      await server.shutdown();
    }
  });
}
