// Copyright 2026 the serverpush authors. MIT license.

import { FRAME_OVERHEAD } from "../../ws/_codec_sender.ts";
import {
  deepStrictEqual as assertEquals,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import type { ByteDuplex } from "../../ws/_byte_io.ts";
import { codecConnection } from "../../ws/_codec_connection.ts";
import type { DeflateParams } from "../../ws/mod.ts";
import { createPermessageDeflate } from "../../ws/deflate.ts";
import { closeOf, duplexPair, partialWriter, rawPeer } from "./_duplex.ts";

const text = new TextEncoder();
const utf8 = new TextDecoder();

Deno.test("codecConnection answers a ping with a pong carrying the same data", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 9, payload: text.encode("hi") });
  const pong = await client.next();
  strictEqual(pong?.opcode, 10);
  strictEqual(utf8.decode(pong.payload), "hi");
  await client.sendClose(1000);
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.close();
  await server.closed;
});

Deno.test("codecConnection delivers text as strings and binary as bytes, in order", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("héllo") });
  await client.send({ opcode: 2, payload: new Uint8Array([1, 2, 3]) });
  await client.send({ opcode: 1, fin: false, payload: text.encode("ab") });
  await client.send({ opcode: 0, payload: text.encode("cd") });
  await client.sendClose(1000);
  const received = await Array.fromAsync(server);
  assertEquals(received, ["héllo", new Uint8Array([1, 2, 3]), "abcd"]);
  await client.close();
  assertEquals(await server.closed, {
    code: 1000,
    reason: "",
    wasClean: true,
  });
});

Deno.test("codecConnection answers the peer's close with its code and reports it", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.sendClose(4001, "bye");
  assertEquals(closeOf(await client.next()), [4001, ""]);
  // Our sending direction ends after the close frame.
  strictEqual(await client.next(), undefined);
  await client.close();
  assertEquals(await server.closed, {
    code: 4001,
    reason: "bye",
    wasClean: true,
  });
});

Deno.test("codecConnection answers a close without a code with an empty close", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.sendClose();
  assertEquals(closeOf(await client.next()), [1005, ""]);
  await client.close();
  strictEqual((await server.closed).code, 1005);
});

Deno.test("codecConnection close() completes the handshake when the peer answers", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  const closing = server.close(1000, "done");
  assertEquals(closeOf(await client.next()), [1000, "done"]);
  await client.sendClose(1000, "ok");
  await client.close();
  await closing;
  assertEquals(await server.closed, {
    code: 1000,
    reason: "ok",
    wasClean: true,
  });
});

Deno.test("codecConnection close() drops the connection with 1006 after closeTimeout", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server", closeTimeout: 20 });
  const client = rawPeer(b, "client");
  const closing = server.close(1001);
  assertEquals(closeOf(await client.next()), [1001, ""]);
  // The peer never answers; the transport is dropped.
  strictEqual(await client.next(), undefined);
  await closing;
  assertEquals(await server.closed, {
    code: 1006,
    reason: "",
    wasClean: false,
  });
  await client.close();
});

Deno.test("codecConnection close() rejects a code that may not be sent", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await rejects(server.close(1005), RangeError);
  await rejects(server.close(undefined, "why"), TypeError);
  await rejects(server.close(1000, "x".repeat(124)), RangeError);
  const closing = server.close(1000);
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.sendClose(1000);
  await closing;
  await client.close();
});

Deno.test("codecConnection sends the close code of a protocol error", async (t) => {
  const cases: [string, Uint8Array, number][] = [
    // An unmasked frame from a client.
    ["unmasked frame", new Uint8Array([0x81, 0x01, 0x41]), 1002],
    // A reserved opcode (3), masked.
    ["reserved opcode", new Uint8Array([0x83, 0x80, 1, 2, 3, 4]), 1002],
    // Invalid UTF-8 (0xff) masked with a zero key.
    ["invalid UTF-8", new Uint8Array([0x81, 0x81, 0, 0, 0, 0, 0xff]), 1007],
  ];
  for (const [name, bytes, code] of cases) {
    await t.step(name, async () => {
      const { a, b } = duplexPair();
      const server = codecConnection(a, { role: "server" });
      const client = rawPeer(b, "client");
      await client.write(bytes);
      const [sent, reason] = closeOf(await client.next());
      strictEqual(sent, code);
      ok(reason.startsWith("Cannot decode"), reason);
      await client.close();
      const closed = await server.closed;
      strictEqual(closed.code, code);
      strictEqual(closed.wasClean, false);
    });
  }
});

Deno.test("codecConnection closes with 1009 on a message over maxMessageBytes", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server", maxMessageBytes: 10 });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 2, payload: new Uint8Array(10) });
  await client.send({ opcode: 2, fin: false, payload: new Uint8Array(6) });
  await client.send({ opcode: 0, payload: new Uint8Array(6) });
  strictEqual(closeOf(await client.next())[0], 1009);
  await client.close();
  strictEqual((await server.closed).code, 1009);
  // The message within the limit was delivered.
  assertEquals(await Array.fromAsync(server), [new Uint8Array(10)]);
});

Deno.test("codecConnection reports 1006 when the stream ends without a close frame", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("x") });
  await client.end();
  assertEquals(await Array.fromAsync(server), ["x"]);
  assertEquals(await server.closed, {
    code: 1006,
    reason: "",
    wasClean: false,
  });
  await client.close();
});

Deno.test("codecConnection sends pings on the heartbeat and closes with 1001 without an answer", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, {
    role: "server",
    heartbeat: { interval: 5, timeout: 5 },
  });
  const client = rawPeer(b, "client");
  strictEqual((await client.next())?.opcode, 9);
  strictEqual(closeOf(await client.next())[0], 1001);
  const closed = await server.closed;
  strictEqual(closed.code, 1001);
  strictEqual(closed.wasClean, false);
  await client.close();
});

Deno.test("codecConnection keeps pinging while the peer answers", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, {
    role: "server",
    heartbeat: { interval: 5, timeout: 60_000 },
  });
  const client = rawPeer(b, "client");
  for (let i = 0; i < 3; i++) {
    const ping = await client.next();
    strictEqual(ping?.opcode, 9);
    await client.send({ opcode: 10, payload: ping.payload });
  }
  const closing = server.close(1000);
  // Pings may still be in flight before the close frame.
  let frame = await client.next();
  while (frame?.opcode === 9) frame = await client.next();
  assertEquals(closeOf(frame), [1000, ""]);
  await client.sendClose(1000);
  await closing;
  strictEqual((await server.closed).wasClean, true);
  await client.close();
});

Deno.test("codecConnection masks every frame as a client", async () => {
  const { a, b } = duplexPair();
  const connection = codecConnection(a, { role: "client" });
  // A server-role decoder refuses unmasked frames.
  const server = rawPeer(b, "server");
  await connection.send("hello");
  await connection.send(new Uint8Array([9, 8]));
  const first = await server.next();
  ok(first?.mask !== undefined);
  strictEqual(utf8.decode(first.payload), "hello");
  assertEquals((await server.next())?.payload, new Uint8Array([9, 8]));
  const closing = connection.close(1000);
  assertEquals(closeOf(await server.next()), [1000, ""]);
  await server.sendClose(1000);
  await server.close();
  await closing;
  strictEqual((await connection.closed).wasClean, true);
});

Deno.test("codecConnection decodes the bytes given as head before the stream", async () => {
  const { a, b } = duplexPair();
  const { encodeFrame } = await import("../../ws/mod.ts");
  const head = encodeFrame({
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: 1,
    payload: text.encode("early"),
  }, { mask: true });
  const server = codecConnection(a, { role: "server", head });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("late") });
  await client.sendClose(1000);
  assertEquals(await Array.fromAsync(server), ["early", "late"]);
  await client.close();
  await server.closed;
});

Deno.test("codecConnection send() rejects once the connection is closing", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  const closing = server.close(1000);
  await rejects(
    server.send("late"),
    (error) =>
      error instanceof DOMException && error.name === "InvalidStateError",
  );
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.sendClose(1000);
  await client.close();
  await closing;
});

Deno.test("codecConnection cancelling the readable closes with 1000", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("one") });
  for await (const message of server) {
    strictEqual(message, "one");
    break;
  }
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.sendClose(1000);
  await client.close();
  strictEqual((await server.closed).code, 1000);
});

Deno.test("codecConnection send() waits while bufferedAmount exceeds maxBufferedBytes", async () => {
  // 4 KiB of room in the transport, and a peer that never reads.
  const { a, b } = duplexPair(4096);
  const server = codecConnection(a, {
    role: "server",
    maxBufferedBytes: 10_000,
    closeTimeout: 10,
  });
  const message = new Uint8Array(3000);
  let pending: Promise<void> | undefined;
  let sent = 0;
  for (; sent < 100; sent++) {
    const send = server.send(message);
    const settled = await Promise.race([
      send.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 0)),
    ]);
    if (!settled) {
      pending = send;
      break;
    }
  }
  ok(pending !== undefined, "send() never waited");
  ok(server.bufferedAmount > 10_000);
  // Each frame counts its bytes and FRAME_OVERHEAD.
  ok(server.bufferedAmount <= 10_000 + message.length + FRAME_OVERHEAD);
  // The peer reads: everything drains and the pending send resolves.
  const client = rawPeer(b, "client");
  for (let i = 0; i <= sent; i++) {
    strictEqual((await client.next())?.payload.length, 3000);
  }
  await pending;
  strictEqual(server.bufferedAmount, 0);
  await client.sendClose(1000);
  await closeOf(await client.next());
  await client.close();
  await server.closed;
});

const DEFLATE: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

Deno.test("codecConnection compresses and decompresses with permessage-deflate", async (t) => {
  for (
    const params of [DEFLATE, {
      ...DEFLATE,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    }]
  ) {
    await t.step(
      params.serverNoContextTakeover ? "no context takeover" : "takeover",
      async () => {
        const pair = duplexPair();
        const server = codecConnection(pair.a, {
          role: "server",
          compressor: createPermessageDeflate(params, { role: "server" }),
          extensions: "permessage-deflate",
        });
        const client = codecConnection(pair.b, {
          role: "client",
          compressor: createPermessageDeflate(params, { role: "client" }),
        });
        const big = "serverpush ".repeat(10_000);
        await client.send(big);
        await client.send("small");
        const reader = server.readable.getReader();
        strictEqual((await reader.read()).value, big);
        strictEqual((await reader.read()).value, "small");
        await server.send(big);
        await server.send(text.encode(big));
        const back = client.readable.getReader();
        strictEqual((await back.read()).value, big);
        assertEquals((await back.read()).value, text.encode(big));
        // Far fewer bytes than the 110 KB of each big message went over.
        ok(pair.aWritten < 10_000, `server wrote ${pair.aWritten}`);
        ok(pair.bWritten < 10_000, `client wrote ${pair.bWritten}`);
        strictEqual(server.extensions, "permessage-deflate");
        reader.releaseLock();
        back.releaseLock();
        await client.close(1000);
        assertEquals(await server.closed, {
          code: 1000,
          reason: "",
          wasClean: true,
        });
        strictEqual((await client.closed).wasClean, true);
      },
    );
  }
});

Deno.test("codecConnection sends long texts intact across header sizes, ASCII or not", async () => {
  const { a, b } = duplexPair(1 << 20);
  const server = codecConnection(a, { role: "server" });
  const client = codecConnection(b, { role: "client" });
  const texts = [
    "a".repeat(8192),
    "b".repeat(65535),
    "c".repeat(65536),
    "d".repeat(70_000),
    "é".repeat(10_000),
    `${"x".repeat(9000)}✓`,
  ];
  for (const text of texts) await server.send(text);
  const reader = client.readable.getReader();
  for (const text of texts) strictEqual((await reader.read()).value, text);
  reader.releaseLock();
  await client.close(1000);
  strictEqual((await server.closed).wasClean, true);
});

Deno.test("codecConnection keeps order across fragmented messages with a ping between fragments", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("first") });
  await client.send({ opcode: 1, fin: false, payload: text.encode("ab") });
  await client.send({ opcode: 9, payload: text.encode("p") });
  await client.send({ opcode: 0, fin: false, payload: text.encode("c") });
  await client.send({ opcode: 0, payload: text.encode("d") });
  await client.send({ opcode: 2, payload: new Uint8Array([1]) });
  await client.send({ opcode: 1, payload: text.encode("last") });
  const pong = await client.next();
  strictEqual(pong?.opcode, 10);
  strictEqual(utf8.decode(pong.payload), "p");
  await client.sendClose(1000);
  assertEquals(await Array.fromAsync(server), [
    "first",
    "abcd",
    new Uint8Array([1]),
    "last",
  ]);
  await client.close();
  strictEqual((await server.closed).wasClean, true);
});

Deno.test("codecConnection decompresses a compressed message sent in fragments", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, {
    role: "server",
    compressor: createPermessageDeflate(DEFLATE, { role: "server" }),
  });
  const peer = createPermessageDeflate(DEFLATE, { role: "client" });
  const client = rawPeer(b, "client");
  const message = "fragmented and compressed ".repeat(100);
  const wire = await peer.compress(text.encode(message));
  const half = wire.length >> 1;
  await client.send({
    opcode: 1,
    rsv1: true,
    fin: false,
    payload: wire.subarray(0, half),
  });
  await client.send({ opcode: 0, payload: wire.subarray(half) });
  await client.send({ opcode: 1, payload: text.encode("plain") });
  await client.sendClose(1000);
  assertEquals(await Array.fromAsync(server), [message, "plain"]);
  peer.close();
  await client.close();
  await server.closed;
});

Deno.test("codecConnection fails a continuation frame with no message in progress with 1002", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("ok") });
  await client.send({ opcode: 0, payload: text.encode("stray") });
  strictEqual(closeOf(await client.next())[0], 1002);
  await client.close();
  strictEqual((await server.closed).code, 1002);
  assertEquals(await Array.fromAsync(server), ["ok"]);
});

/**
 * `duplex` read and written in place, as a `Deno.Conn` is: `read` fills the
 * caller's buffer, `write` is done with the bytes once it resolves.
 */
function inPlace(duplex: ByteDuplex): ByteDuplex {
  const reader = duplex.readable.getReader();
  const writer = duplex.writable.getWriter();
  let left: Uint8Array = new Uint8Array(0);
  let closed = false;
  return {
    readable: duplex.readable,
    writable: duplex.writable,
    close(): void {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => {});
      writer.releaseLock();
      duplex.close();
    },
    async read(p: Uint8Array): Promise<number | null> {
      if (left.length === 0) {
        const { done, value } = await reader.read();
        if (done) return null;
        left = value;
      }
      const n = Math.min(p.length, left.length);
      p.set(left.subarray(0, n));
      left = left.subarray(n);
      return n;
    },
    async write(p: Uint8Array): Promise<number> {
      // The pipe copies what is written.
      await writer.write(p);
      return p.length;
    },
  };
}

Deno.test("codecConnection keeps texts and bytes intact over a transport read and written in place", async () => {
  const { a, b } = duplexPair(1 << 20);
  const server = codecConnection(inPlace(a), { role: "server" });
  const client = codecConnection(b, { role: "client" });
  const texts = [
    "",
    "a",
    "héllo ✓ \u{1F600}",
    "x".repeat(125),
    "y".repeat(126),
    "é".repeat(5 * 1024),
    "z".repeat(5 * 1024 + 1),
    `${"q".repeat(9000)}✓`,
  ];
  // Sent without waiting: several frames are in flight at once.
  const sends = texts.map((text) => server.send(text));
  sends.push(server.send(new Uint8Array([1, 2, 3])));
  await Promise.all(sends);
  const fromServer = client.readable.getReader();
  for (const text of texts) strictEqual((await fromServer.read()).value, text);
  assertEquals((await fromServer.read()).value, new Uint8Array([1, 2, 3]));
  fromServer.releaseLock();
  // Many messages from the client arrive in few reads of one reused buffer.
  const many = Array.from({ length: 200 }, (_, i) => `message ${i} ✓`);
  await Promise.all(many.map((text) => client.send(text)));
  const fromClient = server[Symbol.asyncIterator]();
  for (const text of many) {
    strictEqual((await fromClient.next()).value, text);
  }
  await client.close(1000);
  strictEqual((await fromClient.next()).done, true);
  strictEqual((await server.closed).wasClean, true);
});

Deno.test("codecConnection keeps binary messages, fragments and ping data intact when its read buffer is reused", async () => {
  const { a, b } = duplexPair(1 << 20);
  const server = codecConnection(inPlace(a), { role: "server" });
  const client = rawPeer(b, "client");
  const bytes = (n: number, fill: number): Uint8Array =>
    new Uint8Array(n).fill(fill);
  // Each frame is written (and read) on its own: every read overwrites the
  // buffer the one before was unmasked in.
  await client.send({ opcode: 2, payload: bytes(40, 1) });
  await client.send({ opcode: 2, payload: bytes(5000, 2) });
  await client.send({ opcode: 1, fin: false, payload: text.encode("frag") });
  await client.send({ opcode: 9, payload: text.encode("ping data") });
  await client.send({ opcode: 0, fin: false, payload: text.encode("ment") });
  await client.send({ opcode: 0, payload: text.encode("ed") });
  await client.send({ opcode: 2, fin: false, payload: bytes(40, 3) });
  await client.send({ opcode: 0, payload: bytes(40, 4) });
  const pong = await client.next();
  strictEqual(pong?.opcode, 10);
  strictEqual(utf8.decode(pong.payload), "ping data");
  await client.sendClose(1000);
  assertEquals(await Array.fromAsync(server), [
    bytes(40, 1),
    bytes(5000, 2),
    "fragmented",
    new Uint8Array([...bytes(40, 3), ...bytes(40, 4)]),
  ]);
  await client.close();
  strictEqual((await server.closed).wasClean, true);
});

Deno.test("codecConnection delivers text holding U+FFFD as sent", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("a\uFFFDb") });
  await client.sendClose(1000);
  assertEquals(await Array.fromAsync(server), ["a\uFFFDb"]);
  await client.close();
  strictEqual((await server.closed).code, 1000);
});

Deno.test("codecConnection shows its readable locked while it is iterated", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("one") });
  const iterator = server[Symbol.asyncIterator]();
  strictEqual((await iterator.next()).value, "one");
  strictEqual(server.readable.locked, true);
  throws(() => server[Symbol.asyncIterator](), TypeError);
  await client.sendClose(1000);
  strictEqual((await iterator.next()).done, true);
  strictEqual(server.readable.locked, false);
  await client.close();
  strictEqual((await server.closed).code, 1000);
});

Deno.test("codecConnection readable yields the messages and cancelling it closes with 1000", async () => {
  const { a, b } = duplexPair();
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  await client.send({ opcode: 1, payload: text.encode("one") });
  await client.send({ opcode: 2, payload: new Uint8Array([7]) });
  const reader = server.readable.getReader();
  strictEqual((await reader.read()).value, "one");
  assertEquals((await reader.read()).value, new Uint8Array([7]));
  await reader.cancel();
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.sendClose(1000);
  await client.close();
  strictEqual((await server.closed).code, 1000);
});

Deno.test("codecConnection stops reading while unread messages exceed maxUnreadBytes, and resumes as they are read", async () => {
  // 4 KiB of room in the transport between the two ends.
  const pair = duplexPair(4096);
  const server = codecConnection(pair.a, {
    role: "server",
    maxUnreadBytes: 2000,
  });
  const client = rawPeer(pair.b, "client");
  const payload = text.encode("x".repeat(500));
  // 100 messages of 500 bytes: far more than the server takes unread.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    sends.push(client.send({ opcode: 1, payload }));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stalled = pair.bWritten;
  ok(
    stalled < 100 * 500,
    `the server read ${stalled} bytes without anyone reading its messages`,
  );
  // Reading the messages lets the rest in, in order and complete.
  const messages = server[Symbol.asyncIterator]();
  for (let i = 0; i < 100; i++) {
    strictEqual((await messages.next()).value, "x".repeat(500));
  }
  await Promise.all(sends);
  strictEqual(pair.bWritten, 100 * (500 + 8));
  await client.sendClose(1000);
  strictEqual((await messages.next()).done, true);
  await client.close();
  strictEqual((await server.closed).wasClean, true);
});

Deno.test("codecConnection finishes frames a transport writes in part, in order", async () => {
  const { a, b } = duplexPair(1 << 20);
  // A transport that takes at most 7 bytes a write, as a busy socket may.
  const partial = partialWriter(a, 7);
  const server = codecConnection(partial, { role: "server" });
  const client = rawPeer(b, "client");
  const sent = ["short", "x".repeat(300), "é✓".repeat(100), ""];
  for (const message of sent) void server.send(message);
  await server.send(new Uint8Array([1, 2, 3]));
  for (const message of sent) {
    const frame = await client.next();
    strictEqual(frame?.opcode, 1);
    strictEqual(utf8.decode(frame.payload), message);
  }
  assertEquals((await client.next())?.payload, new Uint8Array([1, 2, 3]));
  // The last write's completion comes a moment after its bytes arrive.
  for (let i = 0; i < 1000 && server.bufferedAmount > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  strictEqual(server.bufferedAmount, 0);
  await client.sendClose(1000);
  strictEqual(closeOf(await client.next())[0], 1000);
  await client.close();
  strictEqual((await server.closed).code, 1000);
});

Deno.test("codecConnection answers only the latest of the pings that arrive while a pong waits", async () => {
  const { a, b } = duplexPair(1);
  const server = codecConnection(a, { role: "server" });
  const client = rawPeer(b, "client");
  // The client does not read yet: the data waits, and the first pong
  // waits behind it.
  const sending = server.send(new Uint8Array(64 * 1024));
  for (const data of ["1", "2", "3"]) {
    await client.send({ opcode: 9, payload: text.encode(data) });
  }
  await client.send({ opcode: 1, payload: text.encode("after the pings") });
  const iterator = server[Symbol.asyncIterator]();
  strictEqual((await iterator.next()).value, "after the pings");
  // Pongs count in bufferedAmount while they wait: one pong of 3 bytes
  // and its frame overhead, whether or not the data was handed over (with
  // its own overhead).
  const buffered = server.bufferedAmount;
  const pong = 3 + FRAME_OVERHEAD;
  ok(
    buffered === pong || buffered === 64 * 1024 + FRAME_OVERHEAD + pong,
    `${buffered}`,
  );
  const frames: [number, string][] = [];
  for (let i = 0; i < 3; i++) {
    const frame = await client.next();
    frames.push([
      frame!.opcode,
      frame!.opcode === 2 ? "" : utf8.decode(frame!.payload),
    ]);
  }
  assertEquals(frames, [[2, ""], [10, "1"], [10, "3"]]);
  await sending;
  await client.sendClose(1000);
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.close();
  await iterator.return?.();
  await server.closed;
});

Deno.test("codecConnection stops reading while more than maxBufferedBytes waits for the peer", async () => {
  const { a, b } = duplexPair(1024);
  const server = codecConnection(a, {
    role: "server",
    maxBufferedBytes: 4096,
  });
  const client = rawPeer(b, "client");
  const iterator = server[Symbol.asyncIterator]();
  // The read under way when send() is called still gets its bytes. (The
  // in-memory peer takes a frame or two before it reads: send four.)
  const sending = Promise.all(
    [1, 2, 3, 4].map(() => server.send(new Uint8Array(64 * 1024))),
  );
  await client.send({ opcode: 1, payload: text.encode("one") });
  strictEqual((await iterator.next()).value, "one");
  ok(server.bufferedAmount > 4096, `${server.bufferedAmount}`);
  // Then reading stops: "two" waits in the transport.
  const writing = client.send({ opcode: 1, payload: text.encode("two") });
  let second: string | undefined;
  const next = iterator.next().then((r) => (second = r.value as string));
  await new Promise((resolve) => setTimeout(resolve, 50));
  strictEqual(second, undefined);
  // Once the peer reads, the buffer drains and reading resumes.
  for (let i = 0; i < 4; i++) strictEqual((await client.next())?.opcode, 2);
  await sending;
  await next;
  strictEqual(second, "two");
  await writing;
  await client.sendClose(1000);
  assertEquals(closeOf(await client.next()), [1000, ""]);
  await client.close();
  await iterator.return?.();
  await server.closed;
});

Deno.test("codecConnection sends one text to many connections intact, interleaved with other texts and partial writes", async () => {
  // A hub sends the same string to every subscriber: each connection must
  // get exactly it, also while an earlier frame still waits in a slow one.
  const peers = Array.from({ length: 4 }, (_, i) => {
    const { a, b } = duplexPair(1 << 20);
    // One connection's transport takes 3 bytes a write.
    const duplex = i === 0 ? partialWriter(a, 3) : a;
    return {
      server: codecConnection(duplex, { role: "server" }),
      client: rawPeer(b, "client"),
    };
  });
  const rounds = ["fan-out é", "other", "fan-out é", `{"id":"1","data":"x"}`];
  for (const message of rounds) {
    // The same string object to every connection, as a hub sends it.
    for (const { server } of peers) void server.send(message);
    // A different text in between, to one connection only.
    void peers[1]!.server.send("between");
  }
  for (const [i, { client }] of peers.entries()) {
    for (const message of rounds) {
      strictEqual(utf8.decode((await client.next())!.payload), message);
      if (i === 1) {
        strictEqual(utf8.decode((await client.next())!.payload), "between");
      }
    }
  }
  for (const { server, client } of peers) {
    await client.sendClose(1000);
    strictEqual(closeOf(await client.next())[0], 1000);
    await client.close();
    strictEqual((await server.closed).code, 1000);
  }
});

Deno.test("codecConnection sends large binary messages intact from reused buffers, also to a slow transport, and the caller may change its bytes after send()", async () => {
  const peers = Array.from({ length: 3 }, (_, i) => {
    const { a, b } = duplexPair(1 << 22);
    // One connection's transport takes at most 1000 bytes a write.
    const duplex = i === 0 ? partialWriter(a, 1000) : a;
    return {
      server: codecConnection(duplex, { role: "server" }),
      client: rawPeer(b, "client"),
    };
  });
  const sizes = [16_384, 70_000, 20_000, 65_536, 16_400];
  const expected = sizes.map((size, k) =>
    new Uint8Array(size).map((_, i) => (i * 7 + k) & 0xff)
  );
  for (const [k, size] of sizes.entries()) {
    const data = expected[k]!.slice();
    for (const { server } of peers) void server.send(data);
    // Changed at once: what was sent must not change with it.
    data.fill(0xee, 0, size);
  }
  for (const { client } of peers) {
    for (const bytes of expected) {
      const frame = await client.next();
      strictEqual(frame?.opcode, 2);
      assertEquals(frame.payload, bytes);
    }
  }
  for (const { server, client } of peers) {
    await client.sendClose(1000);
    strictEqual(closeOf(await client.next())[0], 1000);
    await client.close();
    strictEqual((await server.closed).code, 1000);
  }
});
