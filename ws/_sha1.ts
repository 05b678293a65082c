// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: SHA-1 (FIPS 180-4) of a short input, synchronously, for the
// `Sec-WebSocket-Accept` value only (RFC 6455 uses SHA-1 as a checksum, not
// for security). WebCrypto's digest is asynchronous: on Node it is a job on
// the thread pool with its promises, which cost more per handshake than
// hashing the 60 bytes here. A handshake's key is hashed in buffers shared
// by every call and its base64 written in one string: on a server taking
// thousands of upgrades, each one's garbage grows the young generation.

/** The 80 words of the message schedule, reused by every call. */
const w = new Int32Array(80);
/** The digest's five words, reused by every call. */
const h = new Int32Array(5);

/**
 * Hashes `padded` (the message, a 0x80 byte, zeros and the bit length in
 * 8 bytes: whole 64-byte blocks) into {@linkcode h}.
 */
function hashPadded(view: DataView, byteLength: number): void {
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let block = 0; block < byteLength; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(block + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
}

/** Writes the padding and bit length of a `length`-byte message. */
function pad(padded: Uint8Array, view: DataView, length: number): number {
  const byteLength = (((length + 8) >>> 6) + 1) * 64;
  padded[length] = 0x80;
  padded.fill(0, length + 1, byteLength - 8);
  const bits = length * 8;
  view.setUint32(byteLength - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(byteLength - 4, bits >>> 0);
  return byteLength;
}

/** The SHA-1 digest (20 bytes) of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const padded = new Uint8Array((((data.length + 8) >>> 6) + 1) * 64);
  padded.set(data);
  const view = new DataView(padded.buffer);
  hashPadded(view, pad(padded, view, data.length));
  const digest = new Uint8Array(20);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 5; i++) out.setInt32(i * 4, h[i]!);
  return digest;
}

/** The GUID that RFC 6455 section 1.3 appends to every key before hashing. */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();

/** A key and the GUID fit here (with padding) when the key is this long. */
const MAX_SHARED_KEY = 128 - 9 - WEBSOCKET_GUID.length;
/** The message of a short ASCII key, padded: shared by every call. */
const message = new Uint8Array(128);
const messageView = new DataView(message.buffer);
const BASE64 =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** The 28 character codes of an accept value, reused by every call. */
const codes: number[] = new Array(28).fill(0);

/**
 * The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`, at once: the
 * base64 of the SHA-1 digest of the key followed by the GUID.
 */
export function secWebSocketAccept(key: string): string {
  const length = key.length + WEBSOCKET_GUID.length;
  if (key.length <= MAX_SHARED_KEY && writeAscii(key)) {
    hashPadded(messageView, pad(message, messageView, length));
  } else {
    sha1(encoder.encode(key + WEBSOCKET_GUID));
  }
  return base64Digest();
}

/** Writes `key` and the GUID into `message`, if `key` is all ASCII. */
function writeAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return false;
    message[i] = code;
  }
  for (let i = 0; i < WEBSOCKET_GUID.length; i++) {
    message[key.length + i] = WEBSOCKET_GUID.charCodeAt(i);
  }
  return true;
}

/** The base64 of the 20-byte digest in {@linkcode h}, padded. */
function base64Digest(): string {
  let at = 0;
  // Six groups of three bytes, then two bytes and the padding.
  for (let byte = 0; byte < 18; byte += 3) {
    const triple = (byteOf(byte) << 16) | (byteOf(byte + 1) << 8) |
      byteOf(byte + 2);
    codes[at++] = BASE64.charCodeAt(triple >>> 18);
    codes[at++] = BASE64.charCodeAt((triple >>> 12) & 63);
    codes[at++] = BASE64.charCodeAt((triple >>> 6) & 63);
    codes[at++] = BASE64.charCodeAt(triple & 63);
  }
  const pair = (byteOf(18) << 8) | byteOf(19);
  codes[at++] = BASE64.charCodeAt(pair >>> 10);
  codes[at++] = BASE64.charCodeAt((pair >>> 4) & 63);
  codes[at++] = BASE64.charCodeAt((pair << 2) & 63);
  codes[at] = 0x3d; // "="
  return String.fromCharCode.apply(null, codes);
}

/** Byte `i` (big-endian) of the digest in {@linkcode h}. */
function byteOf(i: number): number {
  return (h[i >>> 2]! >>> (24 - (i & 3) * 8)) & 0xff;
}
