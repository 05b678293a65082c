// Copyright 2026 the serverpush authors. MIT license.
// Encoder / decoder pairs round-trip: frame → bytes → frame, and
// message → frames → bytes → frames → message, in both roles.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  createFrameParser,
  encodeFrame,
  Opcode,
  type WsFrame,
  WsFrameDecoderStream,
  WsFrameEncoderStream,
  type WsMessage,
  WsMessageDecoderStream,
  WsMessageEncoderStream,
} from "../../ws/mod.ts";
import { createRleCompressor } from "./_fake_compressor.ts";
import { collect, prng } from "./_helpers.ts";

const ROLES = ["client", "server"] as const;

function randomBytes(random: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

Deno.test("encodeFrame and createFrameParser round-trip frames in both roles", () => {
  const random = prng(21);
  const sizes = [0, 1, 125, 126, 127, 65535, 65536, 100_000];
  for (const role of ROLES) {
    // Frames a client sends are read by a server, and the other way round.
    const reader = role === "client" ? "server" : "client";
    for (const size of sizes) {
      for (const opcode of [0, 1, 2, 8, 9, 10]) {
        if (opcode >= 8 && size > 125) continue;
        const frame: WsFrame = {
          fin: opcode >= 8 || random() < 0.5,
          rsv1: opcode === 1 || opcode === 2 ? random() < 0.5 : false,
          rsv2: false,
          rsv3: false,
          opcode,
          payload: randomBytes(random, size),
        };
        const bytes = encodeFrame(frame, { mask: role === "client" });
        const out: WsFrame[] = [];
        const parser = createFrameParser((f) => out.push(f), {
          role: reader,
          allowRsv1: true,
        });
        parser.push(bytes);
        parser.end();
        strictEqual(out.length, 1);
        const { mask, ...rest } = out[0]!;
        deepStrictEqual(
          rest,
          frame,
          `${role}, opcode ${opcode}, ${size} bytes`,
        );
        strictEqual(mask === undefined, role === "server");
        // A decoded frame carries its key, so it encodes to the same bytes.
        deepStrictEqual(encodeFrame(out[0]!), bytes);
      }
    }
  }
});

function sampleMessages(random: () => number): WsMessage[] {
  return [
    { type: "text", data: "" },
    { type: "text", data: "Hello, κόσμε! 🎉".repeat(40) },
    { type: "binary", data: randomBytes(random, 3000) },
    { type: "binary", data: new Uint8Array(0) },
    { type: "ping", data: randomBytes(random, 125) },
    { type: "pong", data: new Uint8Array(0) },
    { type: "text", data: "a".repeat(70_000) },
    { type: "binary", data: new Uint8Array(5000).fill(7) },
    { type: "close", code: 4001, reason: "done ✓" },
  ];
}

async function roundTrip(
  messages: WsMessage[],
  role: "client" | "server",
  options: { fragmentBytes?: number; compress?: boolean },
): Promise<WsMessage[]> {
  const sendCompressor = options.compress ? createRleCompressor(16) : undefined;
  const readCompressor = options.compress ? createRleCompressor(16) : undefined;
  const { items, error } = await collect(
    ReadableStream.from(messages)
      .pipeThrough(
        new WsMessageEncoderStream({
          ...(options.fragmentBytes
            ? { fragmentBytes: options.fragmentBytes }
            : {}),
          ...(sendCompressor ? { compressor: sendCompressor } : {}),
        }),
      )
      .pipeThrough(new WsFrameEncoderStream({ role }))
      .pipeThrough(
        new WsFrameDecoderStream({
          role: role === "client" ? "server" : "client",
          allowRsv1: options.compress ?? false,
        }),
      )
      .pipeThrough(
        new WsMessageDecoderStream(
          readCompressor ? { compressor: readCompressor } : {},
        ),
      ),
  );
  strictEqual(error, undefined);
  if (options.compress) strictEqual(sendCompressor!.calls.compress > 0, true);
  return items;
}

Deno.test("WsMessageEncoderStream and WsMessageDecoderStream round-trip messages over the wire", async (t) => {
  for (const role of ROLES) {
    for (const fragmentBytes of [undefined, 1, 1000]) {
      for (const compress of [false, true]) {
        const name = `${role}, ${
          fragmentBytes ? `fragments of ${fragmentBytes}` : "unfragmented"
        }, ${compress ? "compressed" : "plain"}`;
        await t.step(name, async () => {
          const messages = sampleMessages(prng(5));
          const out = await roundTrip(messages, role, {
            ...(fragmentBytes ? { fragmentBytes } : {}),
            compress,
          });
          deepStrictEqual(out, messages);
        });
      }
    }
  }
});

Deno.test("WsMessageEncoderStream fragments decode back when interleaved with control frames", async () => {
  const frames = await Array.fromAsync(
    ReadableStream.from<WsMessage>([{ type: "text", data: "fragmented text" }])
      .pipeThrough(new WsMessageEncoderStream({ fragmentBytes: 4 })),
  );
  const ping: WsFrame = {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Ping,
    payload: new Uint8Array([1]),
  };
  const interleaved = frames.flatMap((f) => [f, ping]);
  const messages = await Array.fromAsync(
    ReadableStream.from(interleaved).pipeThrough(new WsMessageDecoderStream()),
  );
  strictEqual(messages.filter((m) => m.type === "ping").length, frames.length);
  deepStrictEqual(messages.at(-2), { type: "text", data: "fragmented text" });
});
