// Copyright 2026 the serverpush authors. MIT license.
// Agreement with npm:ws (the Node.js reference implementation): our frames
// are byte-for-byte what ws's Sender.frame writes, ws's Receiver accepts what
// we encode, and our decoders accept what ws's Sender writes.

import { Buffer } from "node:buffer";
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Receiver, Sender } from "ws";
import {
  createFrameEncoder,
  encodeFrame,
  Opcode,
  WsFrameEncoderStream,
  type WsMessage,
  WsMessageEncoderStream,
  WsProtocolError,
} from "../../ws/mod.ts";
import { concatBytes, decodeMessages, fromHex, prng } from "./_helpers.ts";

/** The part of ws's Sender.frame options used here. */
interface WsSenderFrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  maskBuffer?: Buffer;
  generateMask?: (mask: Buffer) => void;
}

/** ws's static Sender.frame, typed. */
const senderFrame = (Sender as {
  frame(data: Buffer, options: WsSenderFrameOptions): Buffer[];
}).frame;

/** The part of ws's Receiver used here. */
interface WsReceiver {
  on(
    event: "message",
    listener: (data: Buffer, isBinary: boolean) => void,
  ): void;
  on(event: "ping" | "pong", listener: (data: Buffer) => void): void;
  on(event: "conclude", listener: (code: number, reason: Buffer) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: Buffer): boolean;
  end(callback: (error?: Error | null) => void): void;
}

const ReceiverClass = Receiver as new (
  options: { isServer: boolean },
) => WsReceiver;

function wsFrame(
  payload: Uint8Array,
  options: Omit<WsSenderFrameOptions, "readOnly" | "mask">,
  key?: Uint8Array,
): Uint8Array {
  const list = senderFrame(Buffer.from(payload), {
    ...options,
    readOnly: true,
    mask: key !== undefined,
    ...(key === undefined ? {} : {
      maskBuffer: Buffer.alloc(4),
      generateMask: (mask: Buffer) => mask.set(key),
    }),
  });
  return concatBytes(
    list.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)),
  );
}

/** Feeds `bytes` to a ws Receiver and returns what it reports. */
function wsReceive(
  bytes: Uint8Array[],
  isServer: boolean,
): Promise<{ messages: WsMessage[]; error: Error | undefined }> {
  const receiver = new ReceiverClass({ isServer });
  const messages: WsMessage[] = [];
  receiver.on("message", (data, isBinary) => {
    messages.push(
      isBinary
        ? { type: "binary", data: new Uint8Array(data) }
        : { type: "text", data: data.toString("utf8") },
    );
  });
  receiver.on(
    "ping",
    (data) => messages.push({ type: "ping", data: new Uint8Array(data) }),
  );
  receiver.on(
    "pong",
    (data) => messages.push({ type: "pong", data: new Uint8Array(data) }),
  );
  receiver.on("conclude", (code, reason) => {
    messages.push({ type: "close", code, reason: reason.toString("utf8") });
  });
  // The error also reaches end()'s callback, which reports it.
  receiver.on("error", () => {});
  return new Promise((resolve) => {
    for (const chunk of bytes) receiver.write(Buffer.from(chunk));
    receiver.end((error) => resolve({ messages, error: error ?? undefined }));
  });
}

/** The close code ws attaches to its protocol errors. */
function wsStatusCode(error: Error | undefined): unknown {
  if (error === undefined) return undefined;
  const key = Object.getOwnPropertySymbols(error).find((s) =>
    s.description === "status-code"
  );
  return key === undefined
    ? undefined
    : (error as unknown as Record<symbol, unknown>)[key];
}

Deno.test("encodeFrame matches ws Sender.frame byte for byte", () => {
  const random = prng(99);
  const keys = [
    undefined,
    fromHex("37fa213d"),
    fromHex("00000000"),
    fromHex("ffffffff"),
  ];
  let compared = 0;
  for (
    const size of [0, 1, 4, 47, 48, 125, 126, 127, 1000, 65535, 65536, 70000]
  ) {
    const payload = Uint8Array.from(
      { length: size },
      () => Math.floor(random() * 256),
    );
    for (const opcode of [0, 1, 2, 8, 9, 10]) {
      if (opcode >= 8 && size > 125) continue;
      for (const fin of opcode >= 8 ? [true] : [true, false]) {
        for (const rsv1 of opcode >= 8 ? [false] : [false, true]) {
          for (const key of keys) {
            const ours = encodeFrame(
              { fin, rsv1, rsv2: false, rsv3: false, opcode, payload },
              { mask: key ?? false },
            );
            const theirs = wsFrame(payload, { fin, rsv1, opcode }, key);
            deepStrictEqual(
              ours,
              theirs,
              `opcode ${opcode}, ${size} bytes, fin ${fin}, rsv1 ${rsv1}, key ${key}`,
            );
            if (key === undefined) {
              // Unmasked, ws writes the header and hands the payload back.
              const frame = {
                fin,
                rsv1,
                rsv2: false,
                rsv3: false,
                opcode,
                payload,
              };
              const [header] = senderFrame(Buffer.from(payload), {
                fin,
                rsv1,
                opcode,
                mask: false,
                readOnly: true,
              });
              deepStrictEqual(
                createFrameEncoder({ role: "server" }).encodeHeader(frame),
                new Uint8Array(
                  header!.buffer,
                  header!.byteOffset,
                  header!.length,
                ),
              );
            }
            compared++;
          }
        }
      }
    }
  }
  strictEqual(compared > 300, true);
});

function sample(): WsMessage[] {
  const random = prng(4);
  return [
    { type: "text", data: "Hello, κόσμε 🎉" },
    { type: "text", data: "x".repeat(70_000) },
    {
      type: "binary",
      data: Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256)),
    },
    { type: "binary", data: new Uint8Array(0) },
    { type: "ping", data: new Uint8Array([1, 2, 3]) },
    { type: "pong", data: new Uint8Array(0) },
    { type: "close", code: 4000, reason: "bye ✓" },
  ];
}

Deno.test("ws Receiver accepts what our encoders write, in both roles", async (t) => {
  for (const role of ["client", "server"] as const) {
    for (const fragmentBytes of [undefined, 1000]) {
      await t.step(
        `${role}, ${fragmentBytes ? "fragmented" : "whole"}`,
        async () => {
          const messages = sample();
          const bytes = await Array.fromAsync(
            ReadableStream.from(messages)
              .pipeThrough(
                new WsMessageEncoderStream(
                  fragmentBytes ? { fragmentBytes } : {},
                ),
              )
              .pipeThrough(new WsFrameEncoderStream({ role })),
          );
          const received = await wsReceive(bytes, role === "client");
          strictEqual(received.error, undefined);
          deepStrictEqual(received.messages, messages);
        },
      );
    }
  }
});

Deno.test("our decoders accept what ws Sender writes, in both roles", async (t) => {
  const textBytes = new TextEncoder().encode("fragmented κόσμε text");
  for (const role of ["client", "server"] as const) {
    await t.step(role, async () => {
      // ws's Sender draws its own random masking keys when asked to mask.
      const mask = role === "client";
      const frame = (
        data: Uint8Array,
        fin: boolean,
        opcode: number,
      ): Uint8Array => {
        const list = senderFrame(Buffer.from(data), {
          fin,
          rsv1: false,
          opcode,
          mask,
          readOnly: true,
        });
        return concatBytes(
          list.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)),
        );
      };
      const bytes = concatBytes([
        frame(new TextEncoder().encode("Hello"), true, Opcode.Text),
        frame(textBytes.subarray(0, 12), false, Opcode.Text),
        frame(new Uint8Array([9]), true, Opcode.Ping),
        frame(textBytes.subarray(12), true, Opcode.Continuation),
        frame(new Uint8Array(70_000).fill(3), true, Opcode.Binary),
        frame(new Uint8Array([0x03, 0xe9, 0x6f, 0x6b]), true, Opcode.Close),
      ]);
      const { items, error } = await decodeMessages([bytes], {
        role: role === "client" ? "server" : "client",
      });
      strictEqual(error, undefined);
      deepStrictEqual(items, [
        { type: "text", data: "Hello" },
        { type: "ping", data: new Uint8Array([9]) },
        { type: "text", data: "fragmented κόσμε text" },
        { type: "binary", data: new Uint8Array(70_000).fill(3) },
        { type: "close", code: 1001, reason: "ok" },
      ]);
    });
  }
});

Deno.test("ws Receiver and our decoder agree on the close code for broken input", async (t) => {
  const cases: [string, boolean, string][] = [
    ["unmasked frame to a server", true, "810141"],
    ["masked frame to a client", false, "8181aabbccdd41"],
    ["reserved opcode", false, "8300"],
    ["RSV2 set", false, "a100"],
    ["ping over 125 bytes", false, "897e007e" + "00".repeat(126)],
    ["fragmented ping", false, "0900"],
    ["continuation without a message", false, "8000"],
    ["text while a message is open", false, "0100" + "8100"],
    ["invalid UTF-8", false, "8102c0af"],
    ["1-byte close payload", false, "880103"],
    ["invalid close code", false, "880203ed"],
    ["invalid close reason", false, "880403e8c0af"],
  ];
  for (const [name, isServer, hex] of cases) {
    await t.step(name, async () => {
      const bytes = fromHex(hex);
      const theirs = await wsReceive([bytes], isServer);
      const ours = await decodeMessages([bytes], {
        role: isServer ? "server" : "client",
      });
      strictEqual(ours.error instanceof WsProtocolError, true);
      strictEqual(
        wsStatusCode(theirs.error),
        (ours.error as WsProtocolError).closeCode,
      );
    });
  }
});
