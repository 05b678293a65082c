// Copyright 2026 the serverpush authors. MIT license.
// Unit tests of the WHATWG WebSocket wrapper, on a scripted fake socket.
import {
  deepStrictEqual,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  hasRoom,
  pushMessages,
  socketConnection,
  whenDrained,
} from "../../ws/_socket_connection.ts";
import { type MessageSink, UNREAD_MESSAGE_OVERHEAD } from "../../ws/_inbox.ts";
import { sentAtOnce } from "../../ws/_socket_sender.ts";
import { FakeSocket, tick } from "./_fake_socket.ts";

/** Settles to "pending" if `promise` has not settled after a macrotask. */
async function state(
  promise: Promise<unknown>,
): Promise<"pending" | "resolved" | "rejected"> {
  let result: "pending" | "resolved" | "rejected" = "pending";
  promise.then(() => result = "resolved", () => result = "rejected");
  await tick();
  return result;
}

function openFake(): FakeSocket {
  const socket = new FakeSocket();
  socket.open();
  return socket;
}

Deno.test("socketConnection yields text as strings and binary as bytes", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  strictEqual(socket.binaryType, "arraybuffer");
  socket.receive("hello");
  socket.receive(new Uint8Array([1, 2, 3]).buffer);
  socket.finish(1000, "bye");
  deepStrictEqual(await Array.fromAsync(connection), [
    "hello",
    new Uint8Array([1, 2, 3]),
  ]);
  deepStrictEqual(await connection.closed, {
    code: 1000,
    reason: "bye",
    wasClean: true,
  });
});

Deno.test("socketConnection send() waits for a connecting socket to open", async () => {
  const socket = new FakeSocket();
  const connection = socketConnection(socket.asWebSocket);
  const sent = connection.send("early");
  strictEqual(await state(sent), "pending");
  deepStrictEqual(socket.sent, []);
  socket.open();
  await sent;
  deepStrictEqual(socket.sent, ["early"]);
});

Deno.test("socketConnection send() rejects when the socket never opens", async () => {
  const socket = new FakeSocket();
  const connection = socketConnection(socket.asWebSocket);
  const sent = connection.send("early");
  socket.fail();
  await rejects(sent, { name: "InvalidStateError" });
  deepStrictEqual(await connection.closed, {
    code: 1006,
    reason: "",
    wasClean: false,
  });
});

Deno.test("socketConnection send() waits until bufferedAmount is back under maxBufferedBytes", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 10,
  });
  socket.bufferedAmount = 10;
  await connection.send("at the limit");
  socket.bufferedAmount = 11;
  const first = connection.send("over");
  strictEqual(await state(first), "pending");
  // The data was handed over; only the promise waits.
  deepStrictEqual(socket.sent, ["at the limit", "over"]);
  socket.bufferedAmount = 10;
  await first;
  const second = connection.send("then more");
  socket.bufferedAmount = 10;
  await second;
  deepStrictEqual(socket.sent, ["at the limit", "over", "then more"]);
  strictEqual(connection.bufferedAmount, 10);
});

Deno.test("socketConnection refuses a send() made over maxBufferedBytes and closes with 1008", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 10,
  });
  socket.bufferedAmount = 11;
  // The caller did not wait for the send that went over: refused.
  const waiting = connection.send("over");
  const refused = connection.send("still over");
  await rejects(refused, {
    name: "InvalidStateError",
    message:
      "Cannot send message: more than maxBufferedBytes of 10 are queued for the peer",
  });
  deepStrictEqual(socket.sent, ["over"]);
  deepStrictEqual(socket.calls.filter((call) => call.kind === "close"), [{
    kind: "close",
    code: 1008,
    reason:
      "Cannot send message: the peer reads too slowly (over maxBufferedBytes of 10)",
  }]);
  socket.finish(1008, "");
  await rejects(waiting, { name: "InvalidStateError" });
  await connection.closed;
});

Deno.test("hasRoom and whenDrained tell a sender when a send() would be accepted", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 10,
  });
  // The connection's own limit decides, not the one passed.
  strictEqual(hasRoom(connection, 0), true);
  strictEqual(await state(whenDrained(connection, 0)), "resolved");
  socket.bufferedAmount = 11;
  const waiting = connection.send("0123456789ab");
  strictEqual(hasRoom(connection, 100), false);
  const drained = whenDrained(connection, 100);
  strictEqual(await state(drained), "pending");
  socket.bufferedAmount = 10;
  await Promise.all([drained, waiting]);
  strictEqual(hasRoom(connection, 0), true);
  // A sender that waits for room is never refused.
  await connection.send("more");
  socket.bufferedAmount = 11;
  void connection.send("x");
  const stuck = whenDrained(connection, 0);
  strictEqual(await state(stuck), "pending");
  socket.finish(1006, "", false);
  await rejects(stuck, { name: "InvalidStateError" });
});

Deno.test("socketConnection counts sends made before the socket opened against maxBufferedBytes", async () => {
  const socket = new FakeSocket();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 10,
  });
  const first = connection.send("0123456789ab");
  const refused = connection.send("more");
  await rejects(refused, { name: "InvalidStateError" });
  socket.open();
  await rejects(first, { name: "InvalidStateError" });
  deepStrictEqual(socket.sent, []);
  strictEqual(socket.calls[0]?.code, 1008);
});

Deno.test("socketConnection send() rejects when the connection closes while it waits", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 0,
  });
  socket.bufferedAmount = 1;
  const sent = connection.send("stuck");
  strictEqual(await state(sent), "pending");
  socket.finish(1006, "", false);
  await rejects(sent, {
    name: "InvalidStateError",
    message:
      "Cannot send message: the connection closed before the data was sent",
  });
});

Deno.test("socketConnection send() on a closed connection rejects without an unhandled rejection", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.finish(1000);
  await connection.closed;
  // Fire and forget: had this rejection been unhandled, the test would fail.
  void connection.send("lost");
  await tick();
  await rejects(connection.send("lost"), {
    name: "InvalidStateError",
    message: "Cannot send message: the connection is closed",
  });
  deepStrictEqual(socket.sent, []);
});

Deno.test("socketConnection send() rejects once close() has started", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  const closing = connection.close(1000);
  await rejects(connection.send("late"), {
    message: "Cannot send message: the connection is closing",
  });
  socket.finish(1000);
  await closing;
});

Deno.test("socketConnection close() sends the code and reason and resolves with the peer's close", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  const closing = connection.close(4000, "done");
  deepStrictEqual(socket.closes, [{
    kind: "close",
    code: 4000,
    reason: "done",
  }]);
  strictEqual(await state(closing), "pending");
  socket.finish(4000, "done");
  await closing;
  deepStrictEqual(await connection.closed, {
    code: 4000,
    reason: "done",
    wasClean: true,
  });
});

Deno.test("socketConnection close() twice sends one close frame", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  const first = connection.close(1000);
  const second = connection.close(4001);
  strictEqual(socket.closes.length, 1);
  socket.finish(1000);
  await Promise.all([first, second]);
});

Deno.test("socketConnection close() refuses codes and reasons that may not be sent", async (t) => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  for (const code of [999, 1005, 1006, 1015, 2999, 5000]) {
    await t.step(`code ${code}`, async () => {
      await rejects(connection.close(code), RangeError);
    });
  }
  await t.step("reason of 124 bytes", async () => {
    await rejects(connection.close(1000, "é".repeat(62)), RangeError);
  });
  await t.step("reason without a code", async () => {
    await rejects(connection.close(undefined, "why"), TypeError);
  });
  strictEqual(socket.closes.length, 0);
  socket.finish(1000);
});

Deno.test("socketConnection close() reports 1006 when the peer does not answer within closeTimeout", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, { closeTimeout: 1 });
  await connection.close(1000);
  deepStrictEqual(await connection.closed, {
    code: 1006,
    reason: "",
    wasClean: false,
  });
});

Deno.test("socketConnection close() falls back to no code when a client socket refuses the code", async () => {
  const socket = openFake();
  socket.refuseCloseCode = (code) => code === 1009;
  const connection = socketConnection(socket.asWebSocket);
  const closing = connection.close(1009, "too big");
  deepStrictEqual(socket.closes, [{
    kind: "close",
    code: undefined,
    reason: undefined,
  }]);
  socket.finish(1005);
  await closing;
});

Deno.test("socketConnection close() before open closes again once the socket opens", async () => {
  // Deno's server-side socket ignores a close() made while it connects.
  const socket = new FakeSocket();
  const connection = socketConnection(socket.asWebSocket);
  const closing = connection.close(1001, "going");
  socket.readyState = 0; // the platform forgot the first close
  socket.open();
  deepStrictEqual(socket.closes.map((c) => c.code), [1001, 1001]);
  socket.finish(1001);
  await closing;
});

Deno.test("socketConnection closes with 1009 on a message over maxMessageBytes", async (t) => {
  const cases: [name: string, message: string | ArrayBuffer][] = [
    ["binary of 5 bytes", new ArrayBuffer(5)],
    ["text of 5 ASCII bytes", "abcde"],
    ["text of 2 characters, 6 bytes", "€€"],
  ];
  for (const [name, message] of cases) {
    await t.step(name, async () => {
      const socket = openFake();
      const connection = socketConnection(socket.asWebSocket, {
        maxMessageBytes: 4,
      });
      socket.receive(message);
      socket.receive("ok"); // after the limit: dropped
      deepStrictEqual(socket.closes, [{
        kind: "close",
        code: 1009,
        reason: "Cannot receive message: it exceeds maxMessageBytes of 4",
      }]);
      socket.finish(1009);
      deepStrictEqual(await Array.fromAsync(connection), []);
    });
  }
});

Deno.test("socketConnection accepts a message of exactly maxMessageBytes", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxMessageBytes: 6,
  });
  socket.receive("€€");
  socket.receive(new ArrayBuffer(6));
  socket.finish(1000);
  deepStrictEqual(await Array.fromAsync(connection), [
    "€€",
    new Uint8Array(6),
  ]);
});

Deno.test("socketConnection closes with 1008 when unread messages exceed maxUnreadBytes", async () => {
  const socket = openFake();
  const maxUnreadBytes = 2 * (10 + UNREAD_MESSAGE_OVERHEAD);
  const connection = socketConnection(socket.asWebSocket, { maxUnreadBytes });
  socket.receive("0123456789");
  socket.receive("0123456789");
  strictEqual(socket.closes.length, 0);
  socket.receive("x");
  deepStrictEqual(socket.closes.map((c) => c.code), [1008]);
  socket.finish(1008);
  deepStrictEqual(await Array.fromAsync(connection), [
    "0123456789",
    "0123456789",
  ]);
});

Deno.test("socketConnection always takes one message into an empty queue", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxUnreadBytes: 0,
  });
  socket.receive("first");
  const reader = connection.readable.getReader();
  strictEqual((await reader.read()).value, "first");
  socket.receive("second");
  strictEqual((await reader.read()).value, "second");
  socket.receive("third");
  socket.receive("fourth");
  deepStrictEqual(socket.closes.map((c) => c.code), [1008]);
  socket.finish(1008);
  reader.releaseLock();
});

Deno.test("socketConnection closes with 1000 when the reader stops early", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.receive("one");
  socket.receive("two");
  for await (const message of connection) {
    strictEqual(message, "one");
    break;
  }
  deepStrictEqual(socket.closes.map((c) => c.code), [1000]);
  socket.finish(1000);
  strictEqual((await connection.closed).code, 1000);
});

Deno.test("socketConnection locks readable while it is iterated and refuses a second iterator", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.receive("one");
  const iterator = connection[Symbol.asyncIterator]();
  strictEqual((await iterator.next()).value, "one");
  strictEqual(connection.readable.locked, true);
  throws(() => connection[Symbol.asyncIterator](), TypeError);
  socket.receive("two");
  strictEqual((await iterator.next()).value, "two");
  socket.finish(1000);
  strictEqual((await iterator.next()).done, true);
  strictEqual(connection.readable.locked, false);
});

Deno.test("socketConnection delivers queued messages through readable when it is read first", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.receive("a");
  socket.receive(new Uint8Array([7]).buffer);
  const reader = connection.readable.getReader();
  strictEqual((await reader.read()).value, "a");
  deepStrictEqual((await reader.read()).value, new Uint8Array([7]));
  socket.finish(1000);
  strictEqual((await reader.read()).done, true);
  reader.releaseLock();
});

Deno.test("socketConnection reports 1006 for the code 0 of a dropped connection", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.finish(0, "", false);
  deepStrictEqual(await connection.closed, {
    code: 1006,
    reason: "",
    wasClean: false,
  });
});

Deno.test("socketConnection reports the given protocol, extensions and remoteAddr", () => {
  const socket = openFake();
  socket.protocol = "from-socket";
  const given = socketConnection(socket.asWebSocket, {
    protocol: "chat.v2",
    extensions: "",
    remoteAddr: { hostname: "127.0.0.1", port: 4242 },
  });
  strictEqual(given.protocol, "chat.v2");
  deepStrictEqual(given.remoteAddr, { hostname: "127.0.0.1", port: 4242 });
  const fallback = socketConnection(socket.asWebSocket);
  strictEqual(fallback.protocol, "from-socket");
  strictEqual(fallback.remoteAddr, undefined);
  socket.finish(1000);
});

Deno.test("socketConnection refuses negative limits", () => {
  const socket = openFake();
  throws(
    () => socketConnection(socket.asWebSocket, { maxBufferedBytes: -1 }),
    RangeError,
  );
  throws(
    () => socketConnection(socket.asWebSocket, { closeTimeout: Infinity }),
    RangeError,
  );
});

/** A sink that records what it is given. */
function recordingSink(): MessageSink & { log: unknown[] } {
  const log: unknown[] = [];
  return {
    log,
    message(data): void {
      log.push(data);
    },
    messagesEnded(): void {
      log.push("end");
    },
  };
}

Deno.test("pushMessages hands over queued and new messages, then the end once", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.receive("early");
  const sink = recordingSink();
  strictEqual(pushMessages(connection, sink), true);
  deepStrictEqual(sink.log, ["early"]);
  socket.receive("later");
  socket.receive(new Uint8Array([7]).buffer);
  socket.finish(1000, "");
  socket.receive("after the end");
  deepStrictEqual(sink.log, ["early", "later", new Uint8Array([7]), "end"]);
  // The sink has the messages: the connection reads as locked.
  strictEqual(connection.readable.locked, true);
  throws(() => connection[Symbol.asyncIterator](), TypeError);
  strictEqual((await connection.closed).code, 1000);
});

Deno.test("pushMessages still enforces maxMessageBytes", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxMessageBytes: 4,
  });
  const sink = recordingSink();
  pushMessages(connection, sink);
  socket.receive("fits");
  socket.receive("too long");
  strictEqual(socket.closes[0]?.code, 1009);
  socket.finish(1009, "");
  deepStrictEqual(sink.log, ["fits", "end"]);
  await connection.closed;
});

Deno.test("pushMessages refuses a connection whose messages are being read", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  const iterator = connection[Symbol.asyncIterator]();
  strictEqual(pushMessages(connection, recordingSink()), false);
  const next = iterator.next();
  socket.receive("to the iterator");
  deepStrictEqual(await next, { value: "to the iterator", done: false });
  socket.finish(1000, "");
  await connection.closed;
  const otherSocket = openFake();
  const other = socketConnection(otherSocket.asWebSocket);
  strictEqual(other.readable.locked, false);
  strictEqual(pushMessages(other, recordingSink()), false);
  otherSocket.finish(1000, "");
  await other.closed;
});

Deno.test("pushMessages ends a sink at once on a connection that has closed", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  socket.receive("last");
  socket.finish(1001, "");
  await connection.closed;
  const sink = recordingSink();
  strictEqual(pushMessages(connection, sink), true);
  deepStrictEqual(sink.log, ["last", "end"]);
});

Deno.test("sentAtOnce tells a send under maxBufferedBytes from one that waits", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 10,
  });
  strictEqual(sentAtOnce(connection.send("small")), true);
  socket.bufferedAmount = 100;
  const waiting = connection.send("more");
  strictEqual(sentAtOnce(waiting), false);
  socket.bufferedAmount = 0;
  await waiting;
  socket.finish(1000, "");
  await connection.closed;
});

Deno.test("socketConnection send() asks the socket's bufferedAmount only once the bytes sent could pass maxBufferedBytes", async () => {
  const socket = openFake();
  let reads = 0;
  let amount = 0;
  Object.defineProperty(socket, "bufferedAmount", {
    get(): number {
      reads++;
      return amount;
    },
  });
  const connection = socketConnection(socket.asWebSocket, {
    maxBufferedBytes: 300,
  });
  // Ten 10-unit strings: at most 300 UTF-8 bytes, never more than the limit.
  for (let i = 0; i < 10; i++) await connection.send("0123456789");
  strictEqual(reads, 0);
  // The next one could pass it: the socket is asked, and says it is full.
  amount = 1000;
  const waiting = connection.send("0123456789");
  strictEqual(reads, 1);
  strictEqual(await state(waiting), "pending");
  amount = 0;
  await waiting;
  socket.finish(1000, "");
  await connection.closed;
});

Deno.test("socketConnection answers next() calls made before the messages arrive, in order", async () => {
  const socket = openFake();
  const connection = socketConnection(socket.asWebSocket);
  const messages = connection[Symbol.asyncIterator]();
  const first = messages.next();
  const second = messages.next();
  const third = messages.next();
  socket.receive("one");
  socket.receive("two");
  deepStrictEqual(await first, { value: "one", done: false });
  deepStrictEqual(await second, { value: "two", done: false });
  strictEqual(await state(third), "pending");
  socket.finish(1000, "");
  deepStrictEqual(await third, { value: undefined, done: true });
  await connection.closed;
});
