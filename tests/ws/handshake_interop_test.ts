// Copyright 2026 the serverpush authors. MIT license.
// The handshake over real sockets: our server side (HTTP/1.1 head codec +
// acceptUpgrade) against Deno's WebSocket and the `ws` client, and our client
// side (createClientHandshake + verifyClientHandshake) against
// Deno.upgradeWebSocket and the `ws` server. With `ws`, one compressed
// message crosses in each direction, framed by hand (single small frames).
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import WsWebSocket, { WebSocketServer } from "ws";
import {
  createHttp1HeadReader,
  type Http1HeadSplit,
  parseHttp1RequestHead,
  parseHttp1ResponseHead,
  serializeHttp1RequestHead,
  serializeHttp1ResponseHead,
} from "../../ws/_http1.ts";
import { acceptUpgrade } from "../../ws/server_handshake.ts";
import {
  createClientHandshake,
  verifyClientHandshake,
} from "../../ws/client_handshake.ts";
import { createPermessageDeflate } from "../../ws/permessage_deflate.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads from `conn` until a whole HTTP head has arrived. */
async function readHead(conn: Deno.Conn): Promise<Http1HeadSplit> {
  const reader = createHttp1HeadReader();
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("connection closed before the head");
    const split = reader.push(buffer.subarray(0, n));
    if (split !== undefined) return split;
  }
}

/**
 * Reads exactly `count` bytes: first from `have` (bytes already received),
 * then from `conn`.
 */
async function readBytes(
  conn: Deno.Conn,
  have: Uint8Array,
  count: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let filled = Math.min(have.length, count);
  out.set(have.subarray(0, filled));
  while (filled < count) {
    const n = await conn.read(out.subarray(filled));
    if (n === null) throw new Error("connection closed early");
    filled += n;
  }
  return out;
}

/** One unmasked, final, compressed text frame of fewer than 126 bytes. */
function compressedTextFrame(payload: Uint8Array): Uint8Array {
  ok(payload.length < 126);
  return Uint8Array.of(0xc1, payload.length, ...payload);
}

Deno.test("acceptUpgrade's answer over HTTP/1.1 opens Deno's WebSocket", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    const { head } = await readHead(conn);
    const accepted = await acceptUpgrade(parseHttp1RequestHead(head), {
      protocols: ["chat.v2", "chat.v1"],
    });
    await conn.write(
      serializeHttp1ResponseHead({ status: 101, headers: accepted.headers }),
    );
    return accepted;
  })();
  const socket = new globalThis.WebSocket(
    `ws://127.0.0.1:${listener.addr.port}/chat`,
    ["chat.v1", "chat.v2"],
  );
  const opened = new Promise<string>((resolve, reject) => {
    socket.onopen = () => resolve(socket.protocol);
    socket.onerror = (event) => reject(new Error(String(event)));
  });
  const closed = new Promise<void>((resolve) =>
    socket.onclose = () => resolve()
  );
  const accepted = await server; // the server closes the connection after this
  strictEqual(accepted.protocol, "chat.v2");
  strictEqual(await opened, "chat.v2");
  await closed;
});

Deno.test("acceptUpgrade negotiates permessage-deflate with the ws client", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    using conn = await listener.accept();
    const { head, rest } = await readHead(conn);
    const accepted = await acceptUpgrade(parseHttp1RequestHead(head), {
      protocols: ["chat"],
      deflate: true,
    });
    await conn.write(
      serializeHttp1ResponseHead({ status: 101, headers: accepted.headers }),
    );
    const engine = createPermessageDeflate(accepted.deflate!, {
      role: "server",
    });
    try {
      // Server to client: "Hello", compressed by us.
      await conn.write(
        compressedTextFrame(await engine.compress(encoder.encode("Hello"))),
      );
      // Client to server: a masked compressed frame from ws.
      const header = await readBytes(conn, rest, 6);
      strictEqual(header[0], 0xc1, "FIN, RSV1 and text");
      const length = header[1]! & 0x7f;
      ok(header[1]! & 0x80, "masked");
      const masked = await readBytes(conn, rest.subarray(6), length);
      const payload = masked.map((byte, i) => byte ^ header[2 + (i % 4)]!);
      return {
        accepted,
        received: decoder.decode(await engine.decompress(payload, true, 1000)),
      };
    } finally {
      engine.close();
    }
  })();
  const client = new WsWebSocket(`ws://127.0.0.1:${listener.addr.port}/`, [
    "chat",
  ], { perMessageDeflate: { threshold: 0 } });
  const message = new Promise<string>((resolve, reject) => {
    client.on("message", (data: Uint8Array) => resolve(decoder.decode(data)));
    client.on("error", reject);
  });
  const closed = new Promise<void>((resolve) => client.on("close", resolve));
  await new Promise<void>((resolve) => client.on("open", resolve));
  strictEqual(client.protocol, "chat");
  strictEqual(client.extensions, "permessage-deflate");
  strictEqual(await message, "Hello");
  client.send("Hello back", { compress: true });
  const { accepted, received } = await server;
  strictEqual(received, "Hello back");
  deepStrictEqual(accepted.deflate, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
  await closed;
});

Deno.test("verifyClientHandshake accepts Deno.upgradeWebSocket's answer", async () => {
  const serverClosed = Promise.withResolvers<void>();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "chat.v1",
      });
      socket.onclose = () => serverClosed.resolve();
      return response;
    },
  );
  const handshake = createClientHandshake(
    `ws://127.0.0.1:${server.addr.port}/chat`,
    { protocols: ["chat.v2", "chat.v1"], deflate: true },
  );
  {
    using conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.addr.port,
    });
    await conn.write(
      serializeHttp1RequestHead({
        url: handshake.url,
        headers: handshake.headers,
      }),
    );
    const { head } = await readHead(conn);
    const response = parseHttp1ResponseHead(head);
    strictEqual(response.status, 101);
    const result = await verifyClientHandshake(handshake, response);
    // Deno's server never negotiates permessage-deflate.
    deepStrictEqual(result, {
      protocol: "chat.v1",
      extensions: "",
      deflate: undefined,
    });
  }
  await serverClosed.promise;
});

Deno.test("verifyClientHandshake accepts the ws server's permessage-deflate answer", async () => {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: { threshold: 0, serverNoContextTakeover: true },
    handleProtocols: (protocols: Set<string>) =>
      protocols.has("chat") ? "chat" : false,
  });
  const serverClosed = new Promise<void>((resolve) => wss.on("close", resolve));
  const connectionClosed = new Promise<void>((resolve) => {
    wss.on("connection", (socket: WsWebSocket) => {
      socket.on("close", () => resolve());
      socket.send("Hello from ws");
    });
  });
  await new Promise<void>((resolve) => wss.on("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  const handshake = createClientHandshake(`ws://127.0.0.1:${port}/`, {
    protocols: ["chat"],
    deflate: true,
  });
  try {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      serializeHttp1RequestHead({
        url: handshake.url,
        headers: handshake.headers,
      }),
    );
    const { head, rest } = await readHead(conn);
    const result = await verifyClientHandshake(
      handshake,
      parseHttp1ResponseHead(head),
    );
    strictEqual(result.protocol, "chat");
    strictEqual(
      result.extensions,
      "permessage-deflate; server_no_context_takeover",
    );
    const engine = createPermessageDeflate(result.deflate!, { role: "client" });
    try {
      const header = await readBytes(conn, rest, 2);
      strictEqual(header[0], 0xc1, "FIN, RSV1 and text");
      strictEqual(header[1]! & 0x80, 0, "not masked");
      const payload = await readBytes(conn, rest.subarray(2), header[1]!);
      strictEqual(
        decoder.decode(await engine.decompress(payload, true, 1000)),
        "Hello from ws",
      );
    } finally {
      engine.close();
    }
  } finally {
    await connectionClosed;
    wss.close();
    await serverClosed;
  }
});
