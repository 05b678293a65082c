// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkByteLimit } from "../_internal/check.ts";
import type { WsFrame } from "./frame.ts";
import { copyMasked, WORD_MASK_MIN_BYTES, xorMask } from "./_mask.ts";
import { WsProtocolError } from "./protocol_error.ts";

/**
 * Default {@linkcode WsFrameParserOptions.maxFrameBytes}: 16 MiB plus 64 KiB.
 * The 64 KiB of headroom lets a 16 MiB message through even when an
 * extension makes it slightly bigger on the wire (deflate adds 5 bytes per
 * 64 KiB block of incompressible data, about 1.3 KiB per 16 MiB).
 */
const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024 + 64 * 1024;

/** Masked payloads this long get a buffer of their own. */
const OWN_BUFFER_BYTES = 4096;
/** Size of the buffers that smaller masked payloads share. */
const SLAB_BYTES = 64 * 1024;

/** Bytes allocated up front for a frame whose payload arrives in pieces. */
const INITIAL_BODY_BYTES = 64 * 1024;
/**
 * A payload that arrives in pieces gets its exact-size buffer once this
 * fraction (1 / EXACT_BODY_FRACTION) of its frame has arrived; until then
 * its buffer doubles from INITIAL_BODY_BYTES. So the memory held for a
 * frame in progress stays within 16 times the bytes received (or 64 KiB),
 * and a large payload is copied about once: a 1 MiB frame that arrives in
 * 64 KiB socket reads gets its buffer with the first read.
 */
const EXACT_BODY_FRACTION = 16;

/** Options for {@linkcode createFrameParser}. */
export interface WsFrameParserOptions {
  /**
   * Which end of the connection this parser runs on. A server requires every
   * frame to be masked; a client requires no frame to be.
   */
  role: "client" | "server";
  /**
   * Largest frame payload accepted, in bytes. A frame whose header announces
   * more fails with close code 1009 before any of its payload is buffered.
   * The default is 16 MiB plus 64 KiB, so a 16 MiB message still fits when
   * an extension such as permessage-deflate makes it slightly bigger.
   *
   * @default {16842752}
   */
  maxFrameBytes?: number;
  /**
   * Accept RSV1 on the first frame of a text or binary message: set this
   * when permessage-deflate (RFC 7692) has been negotiated.
   *
   * @default {false}
   */
  allowRsv1?: boolean;
  /**
   * Unmask masked payloads inside the pushed chunk and hand out views into
   * it, without copying: the chunk's payload bytes are modified. For a
   * caller that owns each chunk and is done with a frame's payload before
   * it reuses the chunk's memory (a server decoding text at once, say).
   * Without it, a masked payload gets memory of its own and the chunk is
   * left untouched. A frame that arrives in pieces gets its own buffer
   * either way.
   *
   * @default {false}
   */
  inPlace?: boolean;
}

/**
 * A push parser for WebSocket frames, made by {@linkcode createFrameParser}.
 */
export interface WsFrameParser {
  /**
   * Parses the next bytes of the stream, calling `onFrame` once for every
   * frame they complete, in order.
   *
   * @throws {WsProtocolError} When the bytes break RFC 6455; the frames
   * before the offending one have been delivered. The parser then stays
   * failed: every later call throws the same error.
   */
  push(chunk: Uint8Array): void;
  /**
   * The frame whose payload is arriving in pieces, as far as it has
   * arrived: its first header byte (FIN, RSV bits, opcode) and its payload
   * bytes so far, unmasked; `undefined` when no frame's payload is under way.
   * Lets a caller check a large frame's bytes as they arrive (text against
   * UTF-8, say) instead of once it is complete. The view is valid until the
   * next `push`.
   */
  partial(): WsPartialFrame | undefined;
  /**
   * Declares the end of the input.
   *
   * @throws {WsProtocolError} With code `"unexpected-end"` if the input
   * stopped inside a frame.
   */
  end(): void;
}

/** A frame in progress, as {@linkcode WsFrameParser.partial} gives it. */
export interface WsPartialFrame {
  /** The first header byte: FIN, RSV1-3 and the opcode. */
  b0: number;
  /** The payload bytes received so far, unmasked. */
  payload: Uint8Array;
}

function protocolError(
  message: string,
  code: ConstructorParameters<typeof WsProtocolError>[1]["code"],
): WsProtocolError {
  return new WsProtocolError(`Cannot decode frame: ${message}`, { code });
}

/** Whether this platform stores a 32-bit word's low byte first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The state of one parser, shared by the functions below. */
interface ParserState {
  onFrame: (frame: WsFrame) => void;
  expectMask: boolean;
  allowRsv1: boolean;
  inPlace: boolean;
  maxFrameBytes: number;
  littleEndian: boolean;
  // A frame split across chunks. headLen > 0 means one is open.
  head: Uint8Array | undefined;
  headLen: number;
  /** Header bytes, known once the first two arrived. */
  headNeed: number;
  /** Header bytes up to the end of the length field. */
  lengthEnd: number;
  payloadLength: number;
  headerDone: boolean;
  body: Uint8Array | undefined;
  bodyLen: number;
}

// The parser's work is done by module functions over a ParserState, not by
// closures made per parser: V8 then compiles one body that inlines its
// helpers for every parser, instead of deoptimizing when a second parser
// calls a different closure.

/** Validates the first two header bytes. */
function checkStart(state: ParserState, b0: number, b1: number): void {
  const opcode = b0 & 0x0f;
  if ((b0 & 0x70) !== 0) {
    if ((b0 & 0x30) !== 0) {
      throw protocolError(
        `${
          (b0 & 0x20) !== 0 ? "RSV2" : "RSV3"
        } is set and no extension allows it`,
        "reserved-bits",
      );
    }
    if (!state.allowRsv1) {
      throw protocolError(
        "RSV1 is set and no extension allows it",
        "reserved-bits",
      );
    }
    if (opcode !== 1 && opcode !== 2) {
      throw protocolError(
        `RSV1 is set on a frame with opcode ${opcode}, not on the first frame of a message`,
        "reserved-bits",
      );
    }
  }
  if (opcode >= 8) {
    if (opcode > 10) {
      throw protocolError(`opcode ${opcode} is reserved`, "reserved-opcode");
    }
    if ((b0 & 0x80) === 0) {
      throw protocolError(
        `control frame with opcode ${opcode} has FIN clear`,
        "fragmented-control-frame",
      );
    }
    if ((b1 & 0x7f) > 125) {
      throw protocolError(
        `control frame with opcode ${opcode} is longer than 125 bytes`,
        "control-frame-too-long",
      );
    }
  } else if (opcode > 2) {
    throw protocolError(`opcode ${opcode} is reserved`, "reserved-opcode");
  }
  if (((b1 & 0x80) !== 0) !== state.expectMask) {
    throw state.expectMask
      ? protocolError(
        "a client sent an unmasked frame",
        "unmasked-frame",
      )
      : protocolError("a server sent a masked frame", "masked-frame");
  }
}

/** Validates a 64-bit length given as two 32-bit halves. */
function length64(hi: number, lo: number): number {
  if (hi >= 0x80000000) {
    throw protocolError(
      "the 64-bit payload length has its most significant bit set",
      "invalid-length",
    );
  }
  return hi * 0x100000000 + lo;
}

function checkLength(state: ParserState, length: number): void {
  if (length > state.maxFrameBytes) {
    throw new WsProtocolError(
      `Cannot decode frame: payload of ${length} bytes exceeds maxFrameBytes of ${state.maxFrameBytes}`,
      { code: "frame-too-large" },
    );
  }
}

function emit(
  state: ParserState,
  b0: number,
  payload: Uint8Array,
  mask: Uint8Array | undefined,
): void {
  const fin = (b0 & 0x80) !== 0;
  const rsv1 = (b0 & 0x40) !== 0;
  const opcode = b0 & 0x0f;
  state.onFrame(
    mask === undefined
      ? { fin, rsv1, rsv2: false, rsv3: false, opcode, payload }
      : { fin, rsv1, rsv2: false, rsv3: false, opcode, payload, mask },
  );
}

/**
 * Feeds bytes of a frame that is split across chunks, from `pos`.
 * Returns the position after the bytes it used; the frame is complete
 * when `headLen` is back to 0.
 */
function feedPartial(
  state: ParserState,
  chunk: Uint8Array,
  pos: number,
): number {
  const len = chunk.length;
  const head = state.head ??= new Uint8Array(14);
  while (!state.headerDone) {
    if (pos >= len) return pos;
    const headLen = ++state.headLen;
    head[headLen - 1] = chunk[pos++]!;
    if (headLen === 2) {
      const b1 = head[1]!;
      checkStart(state, head[0]!, b1);
      const len7 = b1 & 0x7f;
      state.lengthEnd = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      state.headNeed = state.lengthEnd + ((b1 & 0x80) !== 0 ? 4 : 0);
    }
    if (headLen === state.lengthEnd) {
      const len7 = head[1]! & 0x7f;
      state.payloadLength = len7 === 126
        ? (head[2]! << 8) | head[3]!
        : len7 === 127
        ? length64(
          ((head[2]! << 24) | (head[3]! << 16) | (head[4]! << 8) |
            head[5]!) >>> 0,
          ((head[6]! << 24) | (head[7]! << 16) | (head[8]! << 8) |
            head[9]!) >>> 0,
        )
        : len7;
      checkLength(state, state.payloadLength);
    }
    if (headLen === state.headNeed) {
      state.headerDone = true;
      state.bodyLen = 0;
      state.body = undefined;
    }
  }
  const payloadLength = state.payloadLength;
  const bodyLen = state.bodyLen;
  const masked = state.headNeed > state.lengthEnd;
  let body = state.body;
  const take = Math.min(len - pos, payloadLength - bodyLen);
  if (take > 0) {
    const needed = bodyLen + take;
    if (body === undefined || needed > body.length) {
      // The frame's bytes so far, header included.
      const received = state.headNeed + needed;
      const size = received * EXACT_BODY_FRACTION >= payloadLength
        ? payloadLength
        : Math.max(
          needed,
          body === undefined ? INITIAL_BODY_BYTES : body.length * 2,
        );
      const grown = new Uint8Array(Math.min(payloadLength, size));
      if (body !== undefined) grown.set(body.subarray(0, bodyLen));
      state.body = body = grown;
    }
    if (masked) {
      // Unmasked as each piece lands, while it is still in the cache.
      copyMasked(
        chunk,
        pos,
        body,
        bodyLen,
        take,
        head,
        state.lengthEnd,
        bodyLen,
      );
    } else {
      body.set(
        new Uint8Array(chunk.buffer, chunk.byteOffset + pos, take),
        bodyLen,
      );
    }
    state.bodyLen = needed;
    pos += take;
  }
  if (state.bodyLen === payloadLength) {
    const payload = body ?? new Uint8Array(0);
    const mask = masked
      ? head.slice(state.lengthEnd, state.headNeed)
      : undefined;
    const b0 = head[0]!;
    state.headLen = 0;
    state.headerDone = false;
    state.body = undefined;
    emit(state, b0, payload, mask);
  }
  return pos;
}

function pushChunk(state: ParserState, chunk: Uint8Array): void {
  const len = chunk.length;
  let pos = 0;
  if (state.headLen > 0) {
    pos = feedPartial(state, chunk, 0);
    if (state.headLen > 0) return;
  }
  // Views are made with the constructor: cheaper than subarray().
  const buffer = chunk.buffer;
  const base = chunk.byteOffset;
  // Masked payloads of this chunk are unmasked into a shared slab. A
  // payload is placed in the slab at the same offset modulo 4 as in the
  // chunk, so one loop can read the chunk and write the slab a 32-bit word
  // at a time, through word views made once per chunk and slab.
  let slab: Uint8Array | undefined;
  let slab32: Uint32Array | undefined;
  let slabPos = 0;
  let chunk32: Uint32Array | undefined;
  /** Byte offset in `buffer` of chunk32[0]: the chunk's first boundary. */
  const chunk32Base = (base + 3) & ~3;
  while (pos < len) {
    const avail = len - pos;
    if (avail < 2) {
      feedPartial(state, chunk, pos);
      return;
    }
    const b0 = chunk[pos]!;
    const b1 = chunk[pos + 1]!;
    checkStart(state, b0, b1);
    let length = b1 & 0x7f;
    let start = pos + 2;
    if (length === 126) {
      if (avail < 4) {
        feedPartial(state, chunk, pos);
        return;
      }
      length = (chunk[pos + 2]! << 8) | chunk[pos + 3]!;
      start += 2;
    } else if (length === 127) {
      if (avail < 10) {
        feedPartial(state, chunk, pos);
        return;
      }
      length = length64(
        ((chunk[pos + 2]! << 24) | (chunk[pos + 3]! << 16) |
          (chunk[pos + 4]! << 8) | chunk[pos + 5]!) >>> 0,
        ((chunk[pos + 6]! << 24) | (chunk[pos + 7]! << 16) |
          (chunk[pos + 8]! << 8) | chunk[pos + 9]!) >>> 0,
      );
      start += 8;
    }
    checkLength(state, length);
    const masked = (b1 & 0x80) !== 0;
    if (masked) start += 4;
    const end = start + length;
    if (end > len) {
      feedPartial(state, chunk, pos);
      return;
    }
    pos = end;
    if (!masked) {
      emit(state, b0, new Uint8Array(buffer, base + start, length), undefined);
      continue;
    }
    const mask = new Uint8Array(buffer, base + start - 4, 4);
    if (length === 0) {
      emit(state, b0, new Uint8Array(buffer, base + start, 0), mask);
      continue;
    }
    if (state.inPlace) {
      xorMask(chunk, start, end, mask);
      emit(state, b0, new Uint8Array(buffer, base + start, length), mask);
      continue;
    }
    if (length >= OWN_BUFFER_BYTES) {
      // A large payload gets its own buffer (and memory the allocator can
      // recycle); copy, then XOR in place.
      const payload = new Uint8Array(length);
      payload.set(new Uint8Array(buffer, base + start, length));
      xorMask(payload, 0, length, mask);
      emit(state, b0, payload, mask);
      continue;
    }
    const abs = base + start;
    let at = slabPos + ((abs - slabPos) & 3);
    if (slab === undefined || at + length > slab.length) {
      slab = new Uint8Array(Math.min(len - start + 4, SLAB_BYTES));
      slab32 = undefined;
      at = abs & 3;
    }
    slabPos = at + length;
    const m0 = chunk[start - 4]!, m1 = chunk[start - 3]!;
    const m2 = chunk[start - 2]!, m3 = chunk[start - 1]!;
    let i = 0;
    if (length >= WORD_MASK_MIN_BYTES) {
      // Bytes up to the first 4-byte boundary, then whole words.
      const lead = -abs & 3;
      if (lead > 0) {
        slab[at] = chunk[start]! ^ m0;
        if (lead > 1) {
          slab[at + 1] = chunk[start + 1]! ^ m1;
          if (lead > 2) slab[at + 2] = chunk[start + 2]! ^ m2;
        }
      }
      // The key rotated by `lead`, as a native-endian word.
      const k0 = lead === 0 ? m0 : lead === 1 ? m1 : lead === 2 ? m2 : m3;
      const k1 = lead === 0 ? m1 : lead === 1 ? m2 : lead === 2 ? m3 : m0;
      const k2 = lead === 0 ? m2 : lead === 1 ? m3 : lead === 2 ? m0 : m1;
      const k3 = lead === 0 ? m3 : lead === 1 ? m0 : lead === 2 ? m1 : m2;
      const word = state.littleEndian
        ? k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)
        : (k0 << 24) | (k1 << 16) | (k2 << 8) | k3;
      chunk32 ??= new Uint32Array(
        buffer,
        chunk32Base,
        (base + len - chunk32Base) >>> 2,
      );
      slab32 ??= new Uint32Array(slab.buffer, 0, slab.length >>> 2);
      const words = (length - lead) >>> 2;
      const from = (abs + lead - chunk32Base) >>> 2;
      const to = (at + lead) >>> 2;
      for (let w = 0; w < words; w++) {
        slab32[to + w] = chunk32[from + w]! ^ word;
      }
      i = lead + (words << 2);
    }
    for (; i < length; i++) {
      const k = i & 3;
      slab[at + i] = chunk[start + i]! ^
        (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
    }
    emit(state, b0, new Uint8Array(slab.buffer, at, length), mask);
  }
}

/**
 * Creates the pure, synchronous WebSocket frame parser that
 * {@linkcode WsFrameDecoderStream} wraps: bytes in, {@linkcode WsFrame}s out
 * through a callback.
 *
 * The parser checks everything RFC 6455 section 5 says about a single
 * frame (masking direction, reserved bits and opcodes, control frame rules,
 * length encoding, `maxFrameBytes`) from the header, as soon as the bytes
 * that decide it have arrived, and throws a {@linkcode WsProtocolError}.
 *
 * Payload ownership: an unmasked payload that arrives inside one chunk is a
 * view into that chunk (no copy). A masked payload is unmasked into new
 * memory, so the pushed chunk is never modified (unless `inPlace` says
 * otherwise): payloads under 4 KiB share 64 KiB buffers, larger ones get
 * their own. A payload that arrives in pieces is copied into its own buffer, which
 * grows as the bytes arrive (so a header that announces a large frame does
 * not allocate it all at once: the buffer takes its exact size once a
 * sixteenth of the frame is in, and holds at most 64 KiB before that).
 * Buffering is linear in the bytes received.
 * The parser keeps no reference to a chunk after `push` returns, except
 * through the payload views it handed out.
 *
 * @param onFrame Called with every complete frame, payload unmasked.
 * @param options The role and the limits.
 * @returns The parser.
 *
 * @example Parse two frames from one chunk
 * ```ts
 * import { createFrameParser, type WsFrame } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const frames: WsFrame[] = [];
 * const parser = createFrameParser((frame) => frames.push(frame), { role: "client" });
 * parser.push(new Uint8Array([0x81, 0x02, 0x48, 0x69, 0x89, 0x00]));
 * parser.end();
 * deepStrictEqual(frames.map((f) => [f.opcode, f.payload.length]), [[1, 2], [9, 0]]);
 * ```
 */
export function createFrameParser(
  onFrame: (frame: WsFrame) => void,
  options: WsFrameParserOptions,
): WsFrameParser {
  const role = options.role;
  if (role !== "client" && role !== "server") {
    throw new TypeError(
      `Cannot create frame parser: role "${
        String(role).slice(0, 20)
      }" is neither "client" nor "server"`,
    );
  }
  const maxFrameBytes = checkByteLimit(
    "create frame parser",
    "maxFrameBytes",
    options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
  );
  const state: ParserState = {
    onFrame,
    expectMask: role === "server",
    allowRsv1: options.allowRsv1 ?? false,
    inPlace: options.inPlace ?? false,
    maxFrameBytes,
    littleEndian: LITTLE_ENDIAN,
    head: undefined,
    headLen: 0,
    headNeed: 2,
    lengthEnd: 2,
    payloadLength: 0,
    headerDone: false,
    body: undefined,
    bodyLen: 0,
  };

  let failure: unknown = undefined;
  let failed = false;

  return {
    push(chunk: Uint8Array): void {
      if (failed) throw failure;
      try {
        pushChunk(state, chunk);
      } catch (error) {
        failed = true;
        failure = error;
        throw error;
      }
    },
    partial(): WsPartialFrame | undefined {
      if (failed || !state.headerDone || state.headLen === 0) return undefined;
      const body = state.body;
      return {
        b0: state.head![0]!,
        payload: body === undefined
          ? new Uint8Array(0)
          : body.subarray(0, state.bodyLen),
      };
    },
    end(): void {
      if (failed) throw failure;
      if (state.headLen > 0) {
        failed = true;
        failure = new WsProtocolError(
          `Cannot decode frame: input ended ${
            state.headerDone
              ? `after ${state.bodyLen} of ${state.payloadLength} payload bytes`
              : `after ${state.headLen} header bytes`
          }`,
          { code: "unexpected-end" },
        );
        throw failure;
      }
    },
  };
}
