// Copyright 2026 the serverpush authors. MIT license.

import { makeChatMessages, makeRandomBytes } from "./_ws_deflate_fixtures.ts";
import type { DeflateParams } from "../ws/deflate_negotiation.ts";
import { createPermessageDeflate } from "../ws/permessage_deflate.ts";
import { acceptUpgrade } from "../ws/server_handshake.ts";
import { createHttp1HeadReader, parseHttp1RequestHead } from "../ws/_http1.ts";

const MESSAGES = makeChatMessages({ count: 20, bytes: 2048, seed: 1 });
const RANDOM = [makeRandomBytes(16_384, 2)];
const TAKEOVER: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const NO_TAKEOVER: DeflateParams = {
  ...TAKEOVER,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};

/** Compresses every message with a fresh engine, then decompresses them. */
async function roundTrip(
  params: DeflateParams,
  messages: readonly Uint8Array[],
): Promise<void> {
  const server = createPermessageDeflate(params, { role: "server" });
  const client = createPermessageDeflate(params, { role: "client" });
  try {
    for (const message of messages) {
      await client.decompress(await server.compress(message), true, 1 << 20);
    }
  } finally {
    server.close();
    client.close();
  }
}

Deno.bench({
  group: "permessage-deflate 20 chat messages of 2 KiB, compress + decompress",
  name: "context takeover",
  baseline: true,
  async fn(): Promise<void> {
    await roundTrip(TAKEOVER, MESSAGES);
  },
});

Deno.bench({
  group: "permessage-deflate 20 chat messages of 2 KiB, compress + decompress",
  name: "no context takeover",
  async fn(): Promise<void> {
    await roundTrip(NO_TAKEOVER, MESSAGES);
  },
});

Deno.bench({
  group: "permessage-deflate one 16 KiB random message, compress + decompress",
  name: "context takeover",
  baseline: true,
  async fn(): Promise<void> {
    await roundTrip(TAKEOVER, RANDOM);
  },
});

Deno.bench({
  group: "permessage-deflate one 16 KiB random message, compress + decompress",
  name: "no context takeover",
  async fn(): Promise<void> {
    await roundTrip(NO_TAKEOVER, RANDOM);
  },
});

const REQUEST_HEAD = new TextEncoder().encode(
  "GET /chat HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v1, chat.v2\r\n" +
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
    "Origin: http://localhost:8080\r\nUser-Agent: bench\r\n\r\n",
);

Deno.bench({
  group: "server handshake of one 400-byte upgrade request",
  name: "read + parse head, acceptUpgrade without deflate",
  baseline: true,
  async fn(): Promise<void> {
    const split = createHttp1HeadReader().push(REQUEST_HEAD)!;
    await acceptUpgrade(parseHttp1RequestHead(split.head), {
      protocols: ["chat.v2"],
    });
  },
});

Deno.bench({
  group: "server handshake of one 400-byte upgrade request",
  name: "read + parse head, acceptUpgrade with deflate",
  async fn(): Promise<void> {
    const split = createHttp1HeadReader().push(REQUEST_HEAD)!;
    await acceptUpgrade(parseHttp1RequestHead(split.head), {
      protocols: ["chat.v2"],
      deflate: true,
    });
  },
});
