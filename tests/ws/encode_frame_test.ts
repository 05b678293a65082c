// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  strictEqual,
  throws,
} from "node:assert/strict";
import { encodeFrame, Opcode, type WsFrame } from "../../ws/mod.ts";
import { fromHex, prng } from "./_helpers.ts";

const enc = new TextEncoder();

function frame(opcode: number, payload: Uint8Array, fin = true): WsFrame {
  return { fin, rsv1: false, rsv2: false, rsv3: false, opcode, payload };
}

function naiveMask(payload: Uint8Array, key: Uint8Array): Uint8Array {
  return payload.map((b, i) => b ^ key[i & 3]!);
}

Deno.test("encodeFrame writes the RFC 6455 section 5.7 examples", () => {
  const key = fromHex("37fa213d");
  deepStrictEqual(
    encodeFrame(frame(Opcode.Text, enc.encode("Hello"))),
    fromHex("810548656c6c6f"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Text, enc.encode("Hello")), { mask: key }),
    fromHex("818537fa213d7f9f4d5158"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Text, enc.encode("Hel"), false)),
    fromHex("010348656c"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Continuation, enc.encode("lo"))),
    fromHex("80026c6f"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Ping, enc.encode("Hello"))),
    fromHex("890548656c6c6f"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Pong, enc.encode("Hello")), { mask: key }),
    fromHex("8a8537fa213d7f9f4d5158"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Binary, new Uint8Array(256))).subarray(0, 4),
    fromHex("827e0100"),
  );
  deepStrictEqual(
    encodeFrame(frame(Opcode.Binary, new Uint8Array(65536))).subarray(0, 10),
    fromHex("827f0000000000010000"),
  );
});

Deno.test("encodeFrame uses the shortest length form", async (t) => {
  const cases: [number, string][] = [
    [0, "8200"],
    [125, "827d"],
    [126, "827e007e"],
    [65535, "827effff"],
    [65536, "827f0000000000010000"],
    [70000, "827f0000000000011170"],
  ];
  for (const [length, head] of cases) {
    await t.step(`${length} bytes`, () => {
      const bytes = encodeFrame(frame(Opcode.Binary, new Uint8Array(length)));
      deepStrictEqual(bytes.subarray(0, head.length / 2), fromHex(head));
      strictEqual(bytes.length, head.length / 2 + length);
    });
  }
});

Deno.test("encodeFrame sets FIN and the RSV bits", () => {
  const bytes = encodeFrame({
    fin: false,
    rsv1: true,
    rsv2: true,
    rsv3: true,
    opcode: Opcode.Binary,
    payload: new Uint8Array(0),
  });
  deepStrictEqual(bytes, fromHex("7200"));
});

Deno.test("encodeFrame masks correctly at every size and alignment", () => {
  const random = prng(7);
  const key = fromHex("a1b2c3d4");
  const sizes = [
    ...Array.from({ length: 41 }, (_, i) => i),
    127,
    8191,
    8192,
    8193,
    10007,
  ];
  for (const size of sizes) {
    for (let offset = 0; offset < 4; offset++) {
      const backing = new Uint8Array(size + offset);
      for (let i = 0; i < backing.length; i++) {
        backing[i] = Math.floor(random() * 256);
      }
      const payload = backing.subarray(offset);
      const before = payload.slice();
      const bytes = encodeFrame(frame(Opcode.Binary, payload), { mask: key });
      const start = bytes.length - size;
      deepStrictEqual(
        bytes.subarray(start),
        naiveMask(before, key),
        `size ${size}, offset ${offset}`,
      );
      deepStrictEqual(payload, before, "payload left unmodified");
    }
  }
});

Deno.test("encodeFrame with mask: true draws a fresh key for each frame", () => {
  const payload = enc.encode("same payload");
  const keys: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bytes = encodeFrame(frame(Opcode.Text, payload), { mask: true });
    strictEqual(bytes[1]! & 0x80, 0x80);
    const key = bytes.subarray(2, 6);
    deepStrictEqual(naiveMask(bytes.subarray(6), key), payload);
    keys.push(Array.from(key).join(","));
  }
  ok(new Set(keys).size > 1, "keys differ");
  deepStrictEqual(payload, enc.encode("same payload"));
});

Deno.test("encodeFrame uses the frame's own mask unless the options say otherwise", () => {
  const key = fromHex("01020304");
  const masked: WsFrame = {
    ...frame(Opcode.Binary, fromHex("00000000")),
    mask: key,
  };
  deepStrictEqual(encodeFrame(masked), fromHex("828401020304" + "01020304"));
  deepStrictEqual(
    encodeFrame(masked, { mask: false }),
    fromHex("820400000000"),
  );
  deepStrictEqual(
    encodeFrame(masked, { mask: fromHex("ffffffff") }),
    fromHex("8284ffffffff" + "ffffffff"),
  );
  notDeepStrictEqual(encodeFrame(masked, { mask: true }).subarray(2, 6), key);
});

Deno.test("encodeFrame rejects frames that would break the protocol", async (t) => {
  const cases: [string, WsFrame, Uint8Array | undefined][] = [
    ["reserved data opcode", frame(3, new Uint8Array(0)), undefined],
    ["reserved control opcode", frame(11, new Uint8Array(0)), undefined],
    ["opcode out of range", frame(16, new Uint8Array(0)), undefined],
    [
      "control frame over 125 bytes",
      frame(Opcode.Ping, new Uint8Array(126)),
      undefined,
    ],
    [
      "fragmented control frame",
      frame(Opcode.Close, new Uint8Array(0), false),
      undefined,
    ],
    [
      "3-byte masking key",
      frame(Opcode.Text, new Uint8Array(0)),
      new Uint8Array(3),
    ],
  ];
  for (const [name, f, mask] of cases) {
    await t.step(name, () => {
      throws(
        () => encodeFrame(f, mask === undefined ? undefined : { mask }),
        RangeError,
      );
    });
  }
});
