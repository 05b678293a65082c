// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  jsonCodec,
  withCodec,
  type WsCodec,
  WsDecodeError,
} from "../../ws/mod.ts";
import { socketConnection } from "../../ws/_socket_connection.ts";
import { FakeSocket } from "./_fake_socket.ts";

function openConnection(): {
  socket: FakeSocket;
  raw: ReturnType<typeof socketConnection>;
} {
  const socket = new FakeSocket();
  socket.open();
  return { socket, raw: socketConnection(socket.asWebSocket) };
}

Deno.test("withCodec round-trips JSON values", async () => {
  const { socket, raw } = openConnection();
  const typed = withCodec(raw, jsonCodec());
  await typed.send({ a: [1, "two", null] });
  deepStrictEqual(socket.sent, ['{"a":[1,"two",null]}']);
  socket.receive('{"b":true}');
  socket.receive("3");
  socket.finish(1000);
  deepStrictEqual(await Array.fromAsync(typed), [{ b: true }, 3]);
  deepStrictEqual(await typed.closed, {
    code: 1000,
    reason: "",
    wasClean: true,
  });
});

Deno.test("withCodec closes with 1007 on text that does not decode", async () => {
  const { socket, raw } = openConnection();
  const typed = withCodec(raw, jsonCodec());
  socket.receive('{"ok":1}');
  socket.receive("{oops");
  socket.receive('{"after":1}');
  // Messages are decoded as they are read; the bad one ends the stream.
  deepStrictEqual(await Array.fromAsync(typed), [{ ok: 1 }]);
  const close = socket.closes[0];
  strictEqual(close?.code, 1007);
  strictEqual(close?.reason?.startsWith("Cannot decode message: "), true);
  socket.finish(1007);
  const info = await typed.closed;
  strictEqual(info.code, 1007);
  strictEqual(info.reason, close?.reason);
});

Deno.test("withCodec closes with 1003 on binary to the JSON codec", async () => {
  const { socket, raw } = openConnection();
  const typed = withCodec(raw, jsonCodec());
  socket.receive(new Uint8Array([123, 125]).buffer);
  deepStrictEqual(await Array.fromAsync(typed), []);
  deepStrictEqual(socket.closes, [{
    kind: "close",
    code: 1003,
    reason: "Cannot decode message: the JSON codec takes text, not binary",
  }]);
  // The peer answers with some other code: closed still says why.
  socket.finish(1000);
  deepStrictEqual(await typed.closed, {
    code: 1003,
    reason: "Cannot decode message: the JSON codec takes text, not binary",
    wasClean: true,
  });
});

Deno.test("withCodec closes with 1007 when a validator throws", async () => {
  const { socket, raw } = openConnection();
  const typed = withCodec(
    raw,
    jsonCodec((value) => {
      if (typeof value !== "number") throw new TypeError("not a number");
      return value;
    }),
  );
  socket.receive("1");
  socket.receive('"two"');
  deepStrictEqual(await Array.fromAsync(typed), [1]);
  strictEqual(socket.closes[0]?.code, 1007);
  strictEqual(socket.closes[0]?.reason, "Cannot decode message: not a number");
  socket.finish(1007);
});

Deno.test("withCodec uses the close code a WsDecodeError carries", async () => {
  const codec: WsCodec<string> = {
    encode: (value) => value,
    decode(): string {
      throw new WsDecodeError("Cannot decode message: policy", {
        closeCode: 4400,
      });
    },
  };
  const { socket, raw } = openConnection();
  const typed = withCodec(raw, codec);
  socket.receive("x");
  deepStrictEqual(await Array.fromAsync(typed), []);
  strictEqual(socket.closes[0]?.code, 4400);
  socket.finish(4400);
  await typed.closed;
});

Deno.test("withCodec send() rejects with the codec's error when encode throws", async () => {
  const { socket, raw } = openConnection();
  const typed = withCodec(raw, jsonCodec());
  await rejects(typed.send(undefined), TypeError);
  deepStrictEqual(socket.sent, []);
  socket.finish(1000);
});

Deno.test("withCodec passes through protocol, bufferedAmount and close()", async () => {
  const socket = new FakeSocket();
  socket.open();
  const raw = socketConnection(socket.asWebSocket, { protocol: "json.v1" });
  const typed = withCodec(raw, jsonCodec());
  strictEqual(typed.protocol, "json.v1");
  strictEqual(typed.connection, raw);
  socket.bufferedAmount = 7;
  strictEqual(typed.bufferedAmount, 7);
  const closing = typed.close(4000, "done");
  deepStrictEqual(socket.closes.map((c) => c.code), [4000]);
  socket.finish(4000, "done");
  await closing;
});
