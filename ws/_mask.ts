// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

// Masking (RFC 6455 section 5.3): XOR with a 4-byte key, byte i with key
// byte i % 4. Short runs go byte by byte. Longer runs go 32 bits at a time
// through an aligned Int32Array, eight words a turn (on Deno about five
// times a byte loop; on Node 20 and Bun the unrolling itself is worth three
// to four times), once the view's construction cost is paid off.

/** Runs at least this long are XORed a word at a time. */
export const WORD_MASK_MIN_BYTES = 32;

/**
 * Runs at least this long are XORed by a WebAssembly routine where the
 * runtime has WebAssembly SIMD: 16 bytes an instruction, in its own memory
 * (the run is copied in and back out). For 64 KiB on Node 20 about 4 µs
 * against 11 µs for the word loop, on Deno 3.6 against 6.5; on Bun the
 * same 3.6 either way.
 */
const WASM_MASK_MIN_BYTES = 8 * 1024;
/** Bytes the routine XORs a call; its memory (two pages) holds more. */
const WASM_BLOCK_BYTES = 64 * 1024;

/**
 * The routine, assembled by hand (90 bytes). In the text format:
 *
 * ```wat
 * (module
 *   (memory (export "m") 2)
 *   ;; XORs memory[0, length rounded up to 16) with `key` in every 4 bytes.
 *   (func (export "x") (param $length i32) (param $key i32)
 *     (local $k v128) (local $i i32)
 *     (local.set $k (i32x4.splat (local.get $key)))
 *     (block $done
 *       (loop $next
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
 *         (v128.store (local.get $i)
 *           (v128.xor (v128.load (local.get $i)) (local.get $k)))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $next)))))
 * ```
 */
const WASM_BODY = [
  ...[0x02, 0x01, 0x7b, 0x01, 0x7f], // locals: one v128, one i32
  ...[0x20, 0x01, 0xfd, 0x11, 0x21, 0x02], // $k = i32x4.splat($key)
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...[0x20, 0x03, 0x20, 0x00, 0x4f, 0x0d, 0x01], // br_if $done ($i >= $length)
  ...[0x20, 0x03, 0x20, 0x03, 0xfd, 0x00, 0x04, 0x00], // $i, v128.load $i
  ...[0x20, 0x02, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x00], // xor $k, v128.store
  ...[0x20, 0x03, 0x41, 0x10, 0x6a, 0x21, 0x03, 0x0c, 0x00], // $i += 16, br
  ...[0x0b, 0x0b, 0x0b], // end loop, block, function
];
const WASM_MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00], // type: (i32, i32) -> ()
  ...[0x03, 0x02, 0x01, 0x00], // one function of that type
  ...[0x05, 0x03, 0x01, 0x00, 0x02], // memory: two pages
  ...[0x07, 0x09, 0x02, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x78, 0x00, 0x00], // exports "m", "x"
  ...[0x0a, WASM_BODY.length + 2, 0x01, WASM_BODY.length, ...WASM_BODY],
]);

/** The routine's memory and function, once made. */
interface WasmMasker {
  memory: Uint8Array;
  xor: (length: number, key: number) => void;
}
/** `undefined` until first needed; `null` where it cannot run. */
let wasmMasker: WasmMasker | null | undefined;
let wasmEnabled = true;

/** Turns the WebAssembly routine off or on again (tests run both ways). */
export function useWasmMask(enabled: boolean): void {
  wasmEnabled = enabled;
}

/** The routine, or `null` where the runtime lacks WebAssembly or SIMD. */
function loadWasmMasker(): WasmMasker | null {
  try {
    const { exports } = new WebAssembly.Instance(
      new WebAssembly.Module(WASM_MODULE),
    );
    return {
      memory: new Uint8Array((exports.m as WebAssembly.Memory).buffer),
      xor: exports.x as (length: number, key: number) => void,
    };
  } catch {
    // No WebAssembly, no SIMD, or a policy forbids compiling: the word
    // loop does the work.
    return null;
  }
}

/**
 * Copies `length` bytes of `src` from `from` to `dst` at `to`, XORed with
 * the key as {@linkcode xorMask} does (key byte `phase % 4` at `from`): for
 * a payload arriving in pieces, one copy fewer than copying, then
 * unmasking in place.
 */
export function copyMasked(
  src: Uint8Array,
  from: number,
  dst: Uint8Array,
  to: number,
  length: number,
  mask: Uint8Array,
  maskOffset: number,
  phase: number,
): void {
  if (
    length >= WASM_MASK_MIN_BYTES &&
    wasmXor(
      src,
      from,
      dst,
      to,
      length,
      mask[maskOffset + (phase & 3)]!,
      mask[maskOffset + ((phase + 1) & 3)]!,
      mask[maskOffset + ((phase + 2) & 3)]!,
      mask[maskOffset + ((phase + 3) & 3)]!,
    )
  ) return;
  dst.set(new Uint8Array(src.buffer, src.byteOffset + from, length), to);
  xorMask(dst, to, to + length, mask, maskOffset, phase);
}

/**
 * XORs `src[from, from + length)` with the key bytes `m0`-`m3` into `dst`
 * at `to` through the WebAssembly routine; `false`, having done nothing,
 * where it cannot run.
 */
function wasmXor(
  src: Uint8Array,
  from: number,
  dst: Uint8Array,
  to: number,
  length: number,
  m0: number,
  m1: number,
  m2: number,
  m3: number,
): boolean {
  if (!wasmEnabled) return false;
  const wasm = wasmMasker ??= loadWasmMasker();
  if (wasm === null) return false;
  // Little-endian, as WebAssembly's memory: m0 on each block's first byte
  // (every block starts a multiple of 4 bytes after `from`).
  const key = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
  const { memory, xor } = wasm;
  for (let done = 0; done < length; done += WASM_BLOCK_BYTES) {
    const size = Math.min(WASM_BLOCK_BYTES, length - done);
    memory.set(new Uint8Array(src.buffer, src.byteOffset + from + done, size));
    xor(size, key);
    dst.set(new Uint8Array(memory.buffer, 0, size), to + done);
  }
  return true;
}

/**
 * XORs `buf[start..end)` in place with the 4-byte key at
 * `mask[maskOffset..]`, key byte `phase % 4` at `start` (so a payload that
 * arrives in pieces can be unmasked piece by piece: pass the number of
 * payload bytes before the piece as `phase`).
 */
export function xorMask(
  buf: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  maskOffset = 0,
  phase = 0,
): void {
  // The key rotated so that m0 applies at `start`.
  const m0 = mask[maskOffset + (phase & 3)]!;
  const m1 = mask[maskOffset + ((phase + 1) & 3)]!;
  const m2 = mask[maskOffset + ((phase + 2) & 3)]!;
  const m3 = mask[maskOffset + ((phase + 3) & 3)]!;
  if (
    end - start >= WASM_MASK_MIN_BYTES &&
    wasmXor(buf, start, buf, start, end - start, m0, m1, m2, m3)
  ) return;
  let i = start;
  if (end - start >= WORD_MASK_MIN_BYTES) {
    // Bytes up to the first 4-byte boundary of the underlying buffer.
    const abs = buf.byteOffset + start;
    const lead = -abs & 3;
    if (lead > 0) {
      buf[i]! ^= m0;
      if (lead > 1) {
        buf[i + 1]! ^= m1;
        if (lead > 2) buf[i + 2]! ^= m2;
      }
      i += lead;
    }
    const words = (end - i) >>> 2;
    const view = new Int32Array(buf.buffer, abs + lead, words);
    // The key as a native-endian word, rotated by `lead`: XOR the first
    // word byte by byte and see how it changed (no endianness test).
    const before = view[0]!;
    const k = lead;
    buf[i]! ^= k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3;
    buf[i + 1]! ^= k === 0 ? m1 : k === 1 ? m2 : k === 2 ? m3 : m0;
    buf[i + 2]! ^= k === 0 ? m2 : k === 1 ? m3 : k === 2 ? m0 : m1;
    buf[i + 3]! ^= k === 0 ? m3 : k === 1 ? m0 : k === 2 ? m1 : m2;
    const word = before ^ view[0]!;
    // Eight words a turn: on Node 20 and Bun this runs three to four times
    // faster than one word a turn (V8 and JavaScriptCore unroll little).
    let w = 1;
    for (const stop = words - 7; w < stop; w += 8) {
      view[w]! ^= word;
      view[w + 1]! ^= word;
      view[w + 2]! ^= word;
      view[w + 3]! ^= word;
      view[w + 4]! ^= word;
      view[w + 5]! ^= word;
      view[w + 6]! ^= word;
      view[w + 7]! ^= word;
    }
    for (; w < words; w++) view[w]! ^= word;
    i += words << 2;
  } else {
    for (const stop = start + ((end - start) & ~3); i < stop; i += 4) {
      buf[i]! ^= m0;
      buf[i + 1]! ^= m1;
      buf[i + 2]! ^= m2;
      buf[i + 3]! ^= m3;
    }
  }
  // At most three bytes are left; the key index is (i - start) % 4.
  if (i < end) {
    const k = (i - start) & 3;
    buf[i]! ^= k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3;
    if (++i < end) {
      buf[i]! ^= k === 0 ? m1 : k === 1 ? m2 : k === 2 ? m3 : m0;
      if (++i < end) buf[i]! ^= k === 0 ? m2 : k === 1 ? m3 : k === 2 ? m0 : m1;
    }
  }
}
