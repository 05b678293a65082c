// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { checkFrame, headerLength, writeHeader } from "./_frame_header.ts";
import { xorMask } from "./_mask.ts";

/** Options for {@linkcode createFrameEncoder}. */
export interface WsFrameEncoderOptions {
  /**
   * Which end of the connection writes these frames: a client masks every
   * frame with a fresh random key, a server never masks.
   */
  role: "client" | "server";
}

/** A frame encoder made by {@linkcode createFrameEncoder}. */
export interface WsFrameEncoder {
  /**
   * Encodes one frame into wire bytes: masked with a fresh key for a
   * client (the frame's own `mask` is ignored), unmasked for a server.
   *
   * @throws {RangeError} On the frames {@linkcode encodeFrame} rejects.
   */
  encode(frame: WsFrame): Uint8Array;
  /**
   * Encodes only the header of an unmasked frame, so a server can send the
   * payload as a separate chunk instead of copying it: the header followed
   * by `frame.payload` is what {@linkcode WsFrameEncoder.encode} returns.
   *
   * @throws {TypeError} On a client's encoder: a client must mask, which
   * takes a copy of the payload.
   * @throws {RangeError} On the frames {@linkcode encodeFrame} rejects.
   */
  encodeHeader(frame: WsFrame): Uint8Array;
}

/** Bytes of one shared buffer that small frames are carved from. */
const SLAB_BYTES = 64 * 1024;
/** Frames up to this size share a slab; bigger ones get their own buffer. */
const POOLED_MAX_BYTES = 8 * 1024;
/** Random bytes drawn at once for masking keys (256 keys). */
const KEY_POOL_BYTES = 1024;

/**
 * Creates the frame encoder that {@linkcode WsFrameEncoderStream} wraps:
 * {@linkcode encodeFrame} with the role's masking rule, made cheap for
 * small frames.
 *
 * Allocating a buffer per frame costs more than encoding a small frame, so
 * frames of up to 8 KiB are written into views of a shared 64 KiB buffer,
 * and masking keys come from `crypto.getRandomValues` 256 at a time. The
 * returned bytes are never reused by the encoder, but small ones share an
 * `ArrayBuffer`: do not transfer it, and know that keeping one small frame
 * alive keeps its 64 KiB buffer alive.
 *
 * @param options Which end of the connection this is.
 * @returns The encoder.
 *
 * @example Encode frames as a client, and a header alone as a server
 * ```ts
 * import { createFrameEncoder, Opcode } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const frame = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text, payload: new TextEncoder().encode("Hi") };
 * const bytes = createFrameEncoder({ role: "client" }).encode(frame);
 * strictEqual(bytes.length, 8); // 2 header bytes, 4 key bytes, 2 payload bytes
 * deepStrictEqual(createFrameEncoder({ role: "server" }).encodeHeader(frame), new Uint8Array([0x81, 0x02]));
 * ```
 */
export function createFrameEncoder(
  options: WsFrameEncoderOptions,
): WsFrameEncoder {
  const role = options.role;
  if (role !== "client" && role !== "server") {
    throw new TypeError(
      `Cannot create frame encoder: role "${
        String(role).slice(0, 20)
      }" is neither "client" nor "server"`,
    );
  }
  const masked = role === "client";
  let slab: Uint8Array | undefined;
  let slabPos = 0;
  let keys: Uint8Array | undefined;
  let keyPos = KEY_POOL_BYTES;

  function allocate(bytes: number): Uint8Array {
    if (bytes > POOLED_MAX_BYTES) return new Uint8Array(bytes);
    if (slab === undefined || slabPos + bytes > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      slabPos = 0;
    }
    const out = new Uint8Array(slab.buffer, slabPos, bytes);
    // Keep every frame 4-byte aligned, for the word loop of the masking.
    slabPos = (slabPos + bytes + 3) & ~3;
    return out;
  }

  return {
    encode(frame: WsFrame): Uint8Array {
      checkFrame(frame, "encode frame");
      const payload = frame.payload;
      const length = payload.length;
      const out = allocate(headerLength(length, masked) + length);
      if (!masked) {
        const start = writeHeader(out, frame, length, undefined);
        if (length > 0) out.set(payload, start);
        return out;
      }
      if (keyPos === KEY_POOL_BYTES) {
        keys = crypto.getRandomValues(new Uint8Array(KEY_POOL_BYTES));
        keyPos = 0;
      }
      const start = writeHeader(out, frame, length, keys, keyPos);
      if (length < 64) {
        for (let i = 0; i < length; i++) {
          out[start + i] = payload[i]! ^ keys![keyPos + (i & 3)]!;
        }
      } else {
        out.set(payload, start);
        xorMask(out, start, start + length, keys!, keyPos);
      }
      keyPos += 4;
      return out;
    },
    encodeHeader(frame: WsFrame): Uint8Array {
      if (masked) {
        throw new TypeError(
          "Cannot encode frame header: a client masks its payloads, so it needs encode()",
        );
      }
      checkFrame(frame, "encode frame header");
      const length = frame.payload.length;
      const out = allocate(headerLength(length, false));
      writeHeader(out, frame, length, undefined);
      return out;
    },
  };
}
