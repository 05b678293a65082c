// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  createFrameParser,
  encodeFrame,
  Opcode,
  type WsFrame,
  WsProtocolError,
} from "../../ws/mod.ts";
import { chunkings } from "../_chunks.ts";
import { concatBytes, fromHex, prng } from "./_helpers.ts";

function parseAll(
  chunks: Uint8Array[],
  role: "client" | "server",
  options: { maxFrameBytes?: number; allowRsv1?: boolean } = {},
): WsFrame[] {
  const frames: WsFrame[] = [];
  const parser = createFrameParser((f) => frames.push(f), { role, ...options });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return frames;
}

function isProtocolError(
  code: string,
  closeCode: number,
): (error: unknown) => boolean {
  return (error: unknown): boolean => {
    ok(error instanceof WsProtocolError, `not a WsProtocolError: ${error}`);
    strictEqual(error.code, code);
    strictEqual(error.closeCode, closeCode);
    return true;
  };
}

Deno.test("createFrameParser reads the RFC 6455 section 5.7 examples", () => {
  const [masked] = parseAll([fromHex("818537fa213d7f9f4d5158")], "server");
  deepStrictEqual(masked, {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Text,
    payload: new TextEncoder().encode("Hello"),
    mask: fromHex("37fa213d"),
  });
  const fragments = parseAll([fromHex("010348656c80026c6f")], "client");
  deepStrictEqual(
    fragments.map((
      f,
    ) => [f.fin, f.opcode, new TextDecoder().decode(f.payload)]),
    [[false, 1, "Hel"], [true, 0, "lo"]],
  );
});

Deno.test("createFrameParser gives the same frames however the bytes are chunked", () => {
  const random = prng(3);
  const frames: WsFrame[] = [0, 1, 5, 16, 125, 126, 300, 9000].map((n, i) => ({
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: i % 2 ? Opcode.Binary : Opcode.Ping,
    payload: Uint8Array.from(
      { length: Math.min(n, i % 2 ? n : 125) },
      () => Math.floor(random() * 256),
    ),
  }));
  for (const role of ["client", "server"] as const) {
    const bytes = concatBytes(
      frames.map((f) =>
        encodeFrame(f, {
          mask: role === "server" ? fromHex("9a0b7c1d") : false,
        })
      ),
    );
    const expected = frames.map((f) => ({
      ...f,
      ...(role === "server" ? { mask: fromHex("9a0b7c1d") } : {}),
    }));
    let runs = 0;
    for (const { name, chunks } of chunkings(bytes)) {
      if (name.startsWith("split at") && Number(name.slice(9)) % 7 !== 0) {
        continue;
      }
      deepStrictEqual(parseAll(chunks, role), expected, `${role}, ${name}`);
      runs++;
    }
    ok(runs > 10);
  }
});

Deno.test("createFrameParser never modifies the pushed chunk", () => {
  for (const size of [5, 40, 20000]) {
    const bytes = encodeFrame(
      {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Binary,
        payload: new Uint8Array(size).fill(0x55),
      },
      { mask: fromHex("0f0f0f0f") },
    );
    const copy = bytes.slice();
    const [whole] = parseAll([bytes], "server");
    deepStrictEqual(bytes, copy);
    deepStrictEqual(whole!.payload, new Uint8Array(size).fill(0x55));
    const [pieces] = parseAll(
      [bytes.subarray(0, 9), bytes.subarray(9)],
      "server",
    );
    deepStrictEqual(bytes, copy);
    deepStrictEqual(pieces!.payload, new Uint8Array(size).fill(0x55));
  }
});

Deno.test("createFrameParser inPlace unmasks inside the chunk and hands out views into it", () => {
  const random = prng(5);
  const key = fromHex("a1b2c3d4");
  // Sizes on both sides of the word loop and of the own-buffer threshold.
  const payloads = [0, 3, 31, 32, 33, 4096, 9001].map((n) =>
    Uint8Array.from({ length: n }, () => Math.floor(random() * 256))
  );
  const wire = payloads.map((payload) =>
    encodeFrame({
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Binary,
      payload,
    }, { mask: key })
  );
  // One byte first, so the payloads sit at every alignment in the chunk.
  const chunk = concatBytes([new Uint8Array(1), ...wire]).subarray(1);
  const frames: WsFrame[] = [];
  const parser = createFrameParser((f) => frames.push(f), {
    role: "server",
    inPlace: true,
  });
  parser.push(chunk);
  deepStrictEqual(frames.map((f) => f.payload), payloads);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    const payload = frames[i]!.payload;
    strictEqual(payload.buffer, chunk.buffer);
    at += wire[i]!.length;
    // The payload ends where its frame ends in the chunk, unmasked there.
    strictEqual(payload.byteOffset + payload.length, chunk.byteOffset + at);
    deepStrictEqual(chunk.subarray(at - payload.length, at), payloads[i]);
  }
  // A frame split across chunks still gets memory of its own.
  const split: WsFrame[] = [];
  const second = createFrameParser((f) => split.push(f), {
    role: "server",
    inPlace: true,
  });
  const bytes = wire[6]!.slice();
  second.push(bytes.subarray(0, 100));
  second.push(bytes.subarray(100));
  deepStrictEqual(split[0]!.payload, payloads[6]);
  ok(split[0]!.payload.buffer !== bytes.buffer);
});

Deno.test("createFrameParser hands out unmasked payloads as views into the chunk", () => {
  const bytes = fromHex("820301020382020405");
  const frames = parseAll([bytes], "client");
  strictEqual(frames[0]!.payload.buffer, bytes.buffer);
  strictEqual(frames[0]!.payload.byteOffset, 2);
  strictEqual(frames[1]!.payload.byteOffset, 7);
});

Deno.test("createFrameParser delivers the frames before a bad one, then throws", () => {
  const frames: WsFrame[] = [];
  const parser = createFrameParser((f) => frames.push(f), { role: "client" });
  throws(
    () => parser.push(fromHex("8201aa" + "8a00" + "8300")),
    isProtocolError("reserved-opcode", 1002),
  );
  strictEqual(frames.length, 2);
});

Deno.test("createFrameParser stays failed after an error", () => {
  const parser = createFrameParser(() => {}, { role: "client" });
  let first: unknown;
  try {
    parser.push(fromHex("8300"));
  } catch (error) {
    first = error;
  }
  ok(first instanceof WsProtocolError);
  throws(() => parser.push(fromHex("8200")), (e) => e === first);
  throws(() => parser.end(), (e) => e === first);
});

Deno.test("createFrameParser decides maxFrameBytes as soon as the length field is complete", () => {
  const frames: WsFrame[] = [];
  const parser = createFrameParser((f) => frames.push(f), {
    role: "client",
    maxFrameBytes: 100,
  });
  parser.push(fromHex("827e00"));
  throws(
    () => parser.push(fromHex("65")),
    isProtocolError("frame-too-large", 1009),
  );
  const exact = createFrameParser((f) => frames.push(f), {
    role: "client",
    maxFrameBytes: 100,
  });
  exact.push(concatBytes([fromHex("8264"), new Uint8Array(100)]));
  strictEqual(frames.length, 1);
});

Deno.test("createFrameParser end() reports input that stops inside a frame", async (t) => {
  for (
    const hex of ["82", "827e00", "827f000000", "82051122", "8285aabbccdd11"]
  ) {
    await t.step(hex, () => {
      const parser = createFrameParser(() => {}, {
        role: hex.startsWith("8285") ? "server" : "client",
      });
      parser.push(fromHex(hex));
      throws(() => parser.end(), isProtocolError("unexpected-end", 1006));
    });
  }
});

Deno.test("createFrameParser accepts RSV1 only on a first data frame, and only when allowed", () => {
  deepStrictEqual(
    parseAll([fromHex("c100")], "client", { allowRsv1: true }).map((f) =>
      f.rsv1
    ),
    [true],
  );
  throws(
    () => parseAll([fromHex("c100")], "client"),
    isProtocolError("reserved-bits", 1002),
  );
  throws(
    () => parseAll([fromHex("4100" + "c000")], "client", { allowRsv1: true }),
    isProtocolError("reserved-bits", 1002),
  );
  throws(
    () => parseAll([fromHex("c900")], "client", { allowRsv1: true }),
    isProtocolError("reserved-bits", 1002),
  );
  throws(
    () => parseAll([fromHex("a100")], "client", { allowRsv1: true }),
    isProtocolError("reserved-bits", 1002),
  );
});

Deno.test("createFrameParser checks its options", () => {
  throws(
    () => createFrameParser(() => {}, { role: "peer" as "client" }),
    TypeError,
  );
  throws(
    () => createFrameParser(() => {}, { role: "client", maxFrameBytes: -1 }),
    RangeError,
  );
  throws(
    () => createFrameParser(() => {}, { role: "client", maxFrameBytes: NaN }),
    RangeError,
  );
});

Deno.test("createFrameParser unmasks correctly at every size and alignment", () => {
  const random = prng(11);
  const key = fromHex("5a6b7c8d");
  for (
    const size of [
      0,
      1,
      3,
      4,
      15,
      16,
      17,
      31,
      63,
      64,
      125,
      4095,
      4096,
      8191,
      8192,
      8193,
      70001,
    ]
  ) {
    const payload = Uint8Array.from(
      { length: size },
      () => Math.floor(random() * 256),
    );
    const bytes = encodeFrame(
      {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Binary,
        payload,
      },
      { mask: key },
    );
    for (let lead = 0; lead < 4; lead++) {
      // A small frame before shifts the payload's alignment in the chunk.
      const prefix = encodeFrame(
        {
          fin: true,
          rsv1: false,
          rsv2: false,
          rsv3: false,
          opcode: Opcode.Ping,
          payload: new Uint8Array(lead),
        },
        { mask: key },
      );
      const frames = parseAll([concatBytes([prefix, bytes])], "server");
      deepStrictEqual(
        frames[1]!.payload,
        payload,
        `size ${size}, lead ${lead}`,
      );
    }
  }
});
