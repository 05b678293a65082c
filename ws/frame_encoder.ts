// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { checkFrame } from "./_frame_header.ts";
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
/** Masked payloads this long are copied, then XORed a word at a time. */
const WORD_MASK_MIN_BYTES = 32;

/** The state of one encoder, shared by the functions below. */
interface EncoderState {
  /**
   * The shared buffer small frames are carved from. A masked payload
   * starts on a 4-byte boundary of it, so it can be XORed through `slab32`.
   */
  slab: Uint8Array;
  slabBuffer: ArrayBufferLike;
  slab32: Uint32Array | undefined;
  slabPos: number;
  /**
   * The key pool, read as bytes (for the header) and as words (for the word
   * loop: the same bytes in memory order, so no endianness test is needed).
   */
  keys: Uint8Array<ArrayBuffer>;
  keys32: Uint32Array;
  keyPos: number;
}

// The encoder's work is done by module functions over an EncoderState, not
// by closures made per encoder: V8 then compiles one body that inlines its
// helpers for every encoder, instead of deoptimizing when a second encoder
// calls a different closure.

function newSlab(state: EncoderState): Uint8Array {
  const slab = new Uint8Array(SLAB_BYTES);
  state.slab = slab;
  state.slabBuffer = slab.buffer;
  state.slab32 = undefined;
  state.slabPos = 0;
  return slab;
}

/** Writes the header bytes before the key; returns where the key goes. */
function writeStart(
  out: Uint8Array,
  at: number,
  frame: WsFrame,
  length: number,
  maskBit: number,
): number {
  out[at] = (frame.fin ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) |
    (frame.rsv2 ? 0x20 : 0) | (frame.rsv3 ? 0x10 : 0) | frame.opcode;
  if (length <= 125) {
    out[at + 1] = maskBit | length;
    return at + 2;
  }
  if (length <= 0xffff) {
    out[at + 1] = maskBit | 126;
    out[at + 2] = length >>> 8;
    out[at + 3] = length & 0xff;
    return at + 4;
  }
  out[at + 1] = maskBit | 127;
  const hi = Math.floor(length / 0x100000000);
  out[at + 2] = hi >>> 24;
  out[at + 3] = (hi >>> 16) & 0xff;
  out[at + 4] = (hi >>> 8) & 0xff;
  out[at + 5] = hi & 0xff;
  out[at + 6] = length >>> 24;
  out[at + 7] = (length >>> 16) & 0xff;
  out[at + 8] = (length >>> 8) & 0xff;
  out[at + 9] = length & 0xff;
  return at + 10;
}

function encodeMasked(state: EncoderState, frame: WsFrame): Uint8Array {
  const payload = frame.payload;
  const length = payload.length;
  const keys = state.keys;
  if (state.keyPos === KEY_POOL_BYTES) {
    crypto.getRandomValues(keys);
    state.keyPos = 0;
  }
  const key = state.keyPos;
  state.keyPos = key + 4;
  const m0 = keys[key]!, m1 = keys[key + 1]!;
  const m2 = keys[key + 2]!, m3 = keys[key + 3]!;
  const head = length <= 125 ? 6 : length <= 0xffff ? 8 : 14;
  const total = head + length;

  if (total > POOLED_MAX_BYTES) {
    const out = new Uint8Array(total);
    const start = writeStart(out, 0, frame, length, 0x80);
    out[start] = m0;
    out[start + 1] = m1;
    out[start + 2] = m2;
    out[start + 3] = m3;
    out.set(payload, head);
    xorMask(out, head, total, keys, key);
    return out;
  }

  // Place the frame so that its payload starts on a 4-byte boundary.
  let slab = state.slab;
  let at = state.slabPos + (-(state.slabPos + head) & 3);
  if (at + total > slab.length) {
    slab = newSlab(state);
    at = -head & 3;
  }
  state.slabPos = at + total;
  const start = writeStart(slab, at, frame, length, 0x80) + 4;
  slab[start - 4] = m0;
  slab[start - 3] = m1;
  slab[start - 2] = m2;
  slab[start - 1] = m3;
  let i = 0;
  if (length >= WORD_MASK_MIN_BYTES) {
    slab.set(payload, start);
    const words = state.slab32 ??= new Uint32Array(state.slabBuffer);
    const word = state.keys32[key >>> 2]!;
    const first = start >>> 2;
    const stop = first + (length >>> 2);
    for (let w = first; w < stop; w++) words[w]! ^= word;
    i = length & ~3;
    if (i < length) {
      slab[start + i]! ^= m0;
      if (i + 1 < length) {
        slab[start + i + 1]! ^= m1;
        if (i + 2 < length) slab[start + i + 2]! ^= m2;
      }
    }
  } else {
    for (const stop = length & ~3; i < stop; i += 4) {
      slab[start + i] = payload[i]! ^ m0;
      slab[start + i + 1] = payload[i + 1]! ^ m1;
      slab[start + i + 2] = payload[i + 2]! ^ m2;
      slab[start + i + 3] = payload[i + 3]! ^ m3;
    }
    if (i < length) {
      slab[start + i] = payload[i]! ^ m0;
      if (i + 1 < length) {
        slab[start + i + 1] = payload[i + 1]! ^ m1;
        if (i + 2 < length) slab[start + i + 2] = payload[i + 2]! ^ m2;
      }
    }
  }
  return new Uint8Array(state.slabBuffer, at, total);
}

function encodeUnmasked(state: EncoderState, frame: WsFrame): Uint8Array {
  const payload = frame.payload;
  const length = payload.length;
  const head = length <= 125 ? 2 : length <= 0xffff ? 4 : 10;
  const total = head + length;
  if (total > POOLED_MAX_BYTES) {
    const out = new Uint8Array(total);
    writeStart(out, 0, frame, length, 0);
    out.set(payload, head);
    return out;
  }
  let slab = state.slab;
  let at = state.slabPos;
  if (at + total > slab.length) {
    slab = newSlab(state);
    at = 0;
  }
  state.slabPos = at + total;
  writeStart(slab, at, frame, length, 0);
  if (length > 0) slab.set(payload, at + head);
  return new Uint8Array(state.slabBuffer, at, total);
}

function encodeHeaderOnly(state: EncoderState, frame: WsFrame): Uint8Array {
  const length = frame.payload.length;
  const head = length <= 125 ? 2 : length <= 0xffff ? 4 : 10;
  let slab = state.slab;
  let at = state.slabPos;
  if (at + head > slab.length) {
    slab = newSlab(state);
    at = 0;
  }
  state.slabPos = at + head;
  writeStart(slab, at, frame, length, 0);
  return new Uint8Array(state.slabBuffer, at, head);
}

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
  const slab = new Uint8Array(0);
  const keys = new Uint8Array(role === "client" ? KEY_POOL_BYTES : 0);
  const state: EncoderState = {
    slab,
    slabBuffer: slab.buffer,
    slab32: undefined,
    slabPos: 0,
    keys,
    keys32: new Uint32Array(keys.buffer),
    keyPos: KEY_POOL_BYTES,
  };
  if (role === "client") {
    return {
      encode(frame: WsFrame): Uint8Array {
        checkFrame(frame, "encode frame");
        return encodeMasked(state, frame);
      },
      encodeHeader(): Uint8Array {
        throw new TypeError(
          "Cannot encode frame header: a client masks its payloads, so it needs encode()",
        );
      },
    };
  }
  return {
    encode(frame: WsFrame): Uint8Array {
      checkFrame(frame, "encode frame");
      return encodeUnmasked(state, frame);
    },
    encodeHeader(frame: WsFrame): Uint8Array {
      checkFrame(frame, "encode frame header");
      return encodeHeaderOnly(state, frame);
    },
  };
}
