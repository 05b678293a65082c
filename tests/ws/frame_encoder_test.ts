// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  createFrameEncoder,
  createFrameParser,
  encodeFrame,
  Opcode,
  type WsFrame,
} from "../../ws/mod.ts";
import { concatBytes, prng } from "./_helpers.ts";

function binary(payload: Uint8Array): WsFrame {
  return {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Binary,
    payload,
  };
}

function decodeOne(bytes: Uint8Array, role: "client" | "server"): WsFrame {
  const frames: WsFrame[] = [];
  const parser = createFrameParser((f) => frames.push(f), { role });
  parser.push(bytes);
  parser.end();
  strictEqual(frames.length, 1);
  return frames[0]!;
}

Deno.test("createFrameEncoder output stays intact while later frames are encoded", () => {
  const random = prng(8);
  for (const role of ["client", "server"] as const) {
    const encoder = createFrameEncoder({ role });
    const payloads: Uint8Array[] = [];
    const outputs: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    // Enough frames of mixed sizes to fill several shared buffers.
    for (let i = 0; i < 400; i++) {
      const size = [0, 1, 15, 16, 17, 125, 126, 1000, 8000, 9000][i % 10]!;
      const payload = Uint8Array.from(
        { length: size },
        () => Math.floor(random() * 256),
      );
      const bytes = encoder.encode(binary(payload));
      payloads.push(payload);
      outputs.push(bytes);
      copies.push(bytes.slice());
    }
    outputs.forEach((bytes, i) => {
      deepStrictEqual(bytes, copies[i], `frame ${i} unchanged`);
      deepStrictEqual(
        decodeOne(bytes, role === "client" ? "server" : "client").payload,
        payloads[i],
      );
    });
  }
});

Deno.test("createFrameEncoder as a client masks every frame with a fresh key", () => {
  const encoder = createFrameEncoder({ role: "client" });
  const keys = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const frame = { ...binary(new Uint8Array(4)), mask: new Uint8Array(4) };
    const bytes = encoder.encode(frame);
    strictEqual(bytes[1]! & 0x80, 0x80);
    keys.add(Array.from(bytes.subarray(2, 6)).join(","));
  }
  ok(keys.size > 590, `${keys.size} distinct keys of 600`);
});

Deno.test("createFrameEncoder as a server writes what encodeFrame writes", () => {
  const encoder = createFrameEncoder({ role: "server" });
  for (const size of [0, 125, 126, 65535, 65536, 100_000]) {
    const frame = binary(new Uint8Array(size).fill(size & 0xff));
    deepStrictEqual(encoder.encode(frame), encodeFrame(frame, { mask: false }));
    deepStrictEqual(
      concatBytes([encoder.encodeHeader(frame), frame.payload]),
      encodeFrame(frame, { mask: false }),
    );
  }
});

Deno.test("createFrameEncoder refuses a header-only encode on a client", () => {
  throws(
    () =>
      createFrameEncoder({ role: "client" }).encodeHeader(
        binary(new Uint8Array(1)),
      ),
    TypeError,
  );
});

Deno.test("createFrameEncoder rejects frames that would break the protocol", () => {
  const encoder = createFrameEncoder({ role: "server" });
  throws(
    () => encoder.encode({ ...binary(new Uint8Array(0)), opcode: 3 }),
    RangeError,
  );
  throws(
    () =>
      encoder.encodeHeader({
        ...binary(new Uint8Array(126)),
        opcode: Opcode.Ping,
      }),
    RangeError,
  );
  throws(() => createFrameEncoder({ role: "relay" as "server" }), TypeError);
});

Deno.test("createFrameEncoder never modifies the payload", () => {
  const encoder = createFrameEncoder({ role: "client" });
  for (const size of [5, 100, 20_000]) {
    const payload = new Uint8Array(size).fill(0x42);
    encoder.encode(binary(payload));
    deepStrictEqual(payload, new Uint8Array(size).fill(0x42));
  }
});
