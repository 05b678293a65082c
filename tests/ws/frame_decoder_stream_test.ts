// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  type WsFrame,
  WsFrameDecoderStream,
  WsProtocolError,
} from "../../ws/mod.ts";
import { collect, fromHex } from "./_helpers.ts";

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("WsFrameDecoderStream decodes frames from a piped source", async () => {
  const { items, error } = await collect(
    ReadableStream.from([fromHex("8102486981"), fromHex("0169")])
      .pipeThrough(new WsFrameDecoderStream({ role: "client" })),
  );
  strictEqual(error, undefined);
  deepStrictEqual(items.map((f) => new TextDecoder().decode(f.payload)), [
    "Hi",
    "i",
  ]);
});

Deno.test("WsFrameDecoderStream is a TransformStream", () => {
  const stream = new WsFrameDecoderStream({ role: "server" });
  ok(stream instanceof TransformStream);
  ok(stream.readable instanceof ReadableStream);
  ok(stream.writable instanceof WritableStream);
});

Deno.test("WsFrameDecoderStream delivers the frames before a bad one even to a slow reader", async () => {
  const bytes = fromHex("8201aa" + "8201bb" + "8201cc" + "8300");
  const reader = ReadableStream.from([bytes])
    .pipeThrough(new WsFrameDecoderStream({ role: "client" }))
    .getReader();
  const seen: number[] = [];
  let failure: unknown;
  try {
    while (true) {
      await tick(); // let the error happen before we read
      const { done, value } = await reader.read();
      if (done) break;
      seen.push(value.payload[0]!);
    }
  } catch (error) {
    failure = error;
  }
  deepStrictEqual(seen, [0xaa, 0xbb, 0xcc]);
  ok(failure instanceof WsProtocolError);
  strictEqual(failure.code, "reserved-opcode");
});

Deno.test("WsFrameDecoderStream cancels its source at once on a protocol error", async () => {
  let cancelled: unknown;
  const source = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(fromHex("8201aa" + "8201bb" + "8300"));
    },
    cancel(reason): void {
      cancelled = reason;
    },
  });
  const reader = source.pipeThrough(
    new WsFrameDecoderStream({ role: "client" }),
  )
    .getReader();
  await reader.read();
  await tick();
  ok(
    cancelled instanceof WsProtocolError,
    "source cancelled before the reader drained",
  );
  strictEqual((await reader.read()).value?.payload[0], 0xbb);
  await rejects(reader.read(), WsProtocolError);
});

Deno.test("WsFrameDecoderStream errors with unexpected-end when input stops inside a frame", async () => {
  const { items, error } = await collect(
    ReadableStream.from([fromHex("8201aa82")])
      .pipeThrough(new WsFrameDecoderStream({ role: "client" })),
  );
  strictEqual(items.length, 1);
  ok(error instanceof WsProtocolError);
  strictEqual(error.code, "unexpected-end");
  strictEqual(error.closeCode, 1006);
});

Deno.test("WsFrameDecoderStream parses a chunk only when the reader wants a frame", async () => {
  const stream = new WsFrameDecoderStream({ role: "client" });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let written = false;
  const write = writer.write(fromHex("8201aa8201bb")).then(() => {
    written = true;
  });
  await tick();
  strictEqual(written, false, "not parsed before a read");
  deepStrictEqual((await reader.read()).value?.payload, fromHex("aa"));
  await write;
  strictEqual(written, true);
  let secondWritten = false;
  const second = writer.write(fromHex("8201cc")).then(() => {
    secondWritten = true;
  });
  await tick();
  strictEqual(
    secondWritten,
    false,
    "second chunk waits while a frame is queued",
  );
  deepStrictEqual((await reader.read()).value?.payload, fromHex("bb"));
  deepStrictEqual((await reader.read()).value?.payload, fromHex("cc"));
  await second;
  await writer.close();
  strictEqual((await reader.read()).done, true);
});

Deno.test("WsFrameDecoderStream cancelling the readable errors the writable", async () => {
  const stream = new WsFrameDecoderStream({ role: "client" });
  const writer = stream.writable.getWriter();
  await stream.readable.cancel("stop");
  await rejects(writer.closed, (reason) => reason === "stop");
});

Deno.test("WsFrameDecoderStream aborting the writable errors the readable", async () => {
  const stream = new WsFrameDecoderStream({ role: "client" });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  await writer.abort("gone");
  await rejects(reader.read(), (reason) => reason === "gone");
});

Deno.test("WsFrameDecoderStream closes cleanly on an empty input", async () => {
  const frames: WsFrame[] = await Array.fromAsync(
    ReadableStream.from<Uint8Array>([])
      .pipeThrough(new WsFrameDecoderStream({ role: "server" })),
  );
  deepStrictEqual(frames, []);
});
