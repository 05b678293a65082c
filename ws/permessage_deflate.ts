// Copyright 2026 the serverpush authors. MIT license.
// This module needs `node:zlib` (built into Deno, Node and Bun), so it is
// not browser compatible. It takes it from `process.getBuiltinModule` when
// the first engine is created, not with an import: `serve()` holds a
// default engine on every runtime but uses it only on Node, and Bun's
// `node:zlib` would otherwise add about half a megabyte of heap to every
// process. `CompressionStream("deflate-raw")` cannot flush without ending
// the stream (no Z_SYNC_FLUSH), so it can neither keep the LZ77 window
// between messages (context takeover) nor produce the sync-flushed blocks
// that RFC 7692 section 7.2.1 describes.

import type { DeflateRaw, InflateRaw } from "node:zlib";
import { nodeModule } from "../_internal/node_module.ts";
import type { WsCompressor } from "./compressor.ts";
import type { DeflateLimiter } from "./deflate_limiter.ts";
import type { DeflateParams } from "./deflate_negotiation.ts";

/** `node:zlib`, as far as used. */
interface Zlib {
  constants: { Z_SYNC_FLUSH: number };
  createDeflateRaw(
    options: { windowBits: number; level: number; memLevel: number },
  ): DeflateRaw;
  createInflateRaw(options: { windowBits: number }): InflateRaw;
}

let loaded: Zlib | undefined;

/** `node:zlib`, loaded on first use. */
function loadZlib(): Zlib {
  return loaded ??= nodeModule<Zlib>("node:zlib");
}

/** The empty stored block a sync flush ends with (RFC 7692 section 7.2.1). */
const TRAILER = new Uint8Array([0, 0, 0xff, 0xff]);

/** Options for {@linkcode createPermessageDeflate}. */
export interface PermessageDeflateOptions {
  /**
   * Which side of the connection this engine is on; it decides which half of
   * the {@linkcode DeflateParams} applies to compression and which to
   * decompression.
   */
  role: "server" | "client";
  /**
   * Messages smaller than this many bytes are sent uncompressed.
   *
   * @default {1024}
   */
  threshold?: number;
  /**
   * zlib compression level, 0 (none) to 9 (best).
   *
   * @default {6}
   */
  level?: number;
  /**
   * zlib memory level for compression, 1 to 9: lower uses less memory per
   * connection and compresses worse.
   *
   * @default {8}
   */
  memLevel?: number;
  /**
   * Shared cap on zlib operations running at once across connections; see
   * {@linkcode createDeflateLimiter}. Without it, each engine still runs only
   * one operation at a time per direction.
   *
   * @default {undefined}
   */
  limiter?: DeflateLimiter;
}

/**
 * A permessage-deflate engine for one connection: a {@linkcode WsCompressor}
 * that also frees its zlib state on {@linkcode PermessageDeflate.close}.
 */
export interface PermessageDeflate extends WsCompressor {
  /**
   * Frees the zlib streams. Operations in progress or queued reject with a
   * `TypeError`, as do later calls. Calling it again does nothing.
   */
  close(): void;
}

/** The settle functions of the operation a zlib stream is working on. */
interface Pending {
  resolve(value: Uint8Array): void;
  reject(reason: unknown): void;
}

function checkInteger(
  name: string,
  value: number,
  min: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot create permessage-deflate: ${name} ${value} is not an integer from ${min} to ${max}`,
    );
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Runs operations one after another, each through the limiter if any. */
function serialQueue(
  limiter: DeflateLimiter | undefined,
): <T>(op: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => limiter ? limiter.run(op) : op());
    // The caller gets `result`'s rejection; the queue only waits for it.
    tail = result.then(ignore, ignore);
    return result;
  };
}

function ignore(): void {}

/**
 * Creates the permessage-deflate (RFC 7692) engine for one connection, from
 * the parameters the handshake agreed on.
 *
 * Compression uses a raw deflate stream flushed with `Z_SYNC_FLUSH` after
 * each message, the trailing `00 00 ff ff` removed. Decompression appends
 * that trailer to a message's last fragment. With context takeover the LZ77
 * window carries over between messages; without it the stream is reset
 * after every message. A negotiated window of 8 bits compresses with 9,
 * as zlib requires for raw deflate: zlib never emits distances beyond 250
 * bytes with a 9-bit window, so the peer's 256-byte window still suffices.
 *
 * Work is bounded: one operation at a time per direction, an optional shared
 * {@linkcode DeflateLimiter} across connections, and decompression stops as
 * soon as a message's output passes `maxBytes`. After a failed decompression
 * (too large, or invalid data) the decompressing side stays failed, since
 * the connection must be closed anyway.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7692#section-7 | RFC 7692 section 7}
 *
 * @param params The agreed parameters, from {@linkcode acceptUpgrade} or
 * {@linkcode verifyClientHandshake}.
 * @param options The role and the tuning options.
 * @returns A compressor for the message streams; call `close()` when the
 * connection ends.
 * @throws {RangeError} If an option or window size is out of range.
 * @throws {TypeError} If the runtime has no `node:zlib` (a browser).
 *
 * @example Compress and decompress a message
 * ```ts
 * import { createPermessageDeflate } from "@serverpush/serverpush/ws/deflate";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const params = {
 *   serverNoContextTakeover: false,
 *   clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * };
 * const server = createPermessageDeflate(params, { role: "server" });
 * const client = createPermessageDeflate(params, { role: "client" });
 * const payload = new TextEncoder().encode("Hello");
 * const wire = await server.compress(payload);
 * deepStrictEqual(wire, new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
 * deepStrictEqual(await client.decompress(wire, true, 1024), payload);
 * server.close();
 * client.close();
 * ```
 */
export function createPermessageDeflate(
  params: DeflateParams,
  options: PermessageDeflateOptions,
): PermessageDeflate {
  const { role, limiter } = options;
  if (role !== "server" && role !== "client") {
    throw new TypeError(
      `Cannot create permessage-deflate: role ${
        JSON.stringify(role)
      } is not "server" or "client"`,
    );
  }
  const threshold = options.threshold ?? 1024;
  const level = options.level ?? 6;
  const memLevel = options.memLevel ?? 8;
  checkInteger("threshold", threshold, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("level", level, 0, 9);
  checkInteger("memLevel", memLevel, 1, 9);
  checkInteger("serverMaxWindowBits", params.serverMaxWindowBits, 8, 15);
  checkInteger("clientMaxWindowBits", params.clientMaxWindowBits, 8, 15);
  const zlib = loadZlib();
  const isServer = role === "server";
  const ownBits = isServer
    ? params.serverMaxWindowBits
    : params.clientMaxWindowBits;
  const peerBits = isServer
    ? params.clientMaxWindowBits
    : params.serverMaxWindowBits;
  const ownReset = isServer
    ? params.serverNoContextTakeover
    : params.clientNoContextTakeover;
  const peerReset = isServer
    ? params.clientNoContextTakeover
    : params.serverNoContextTakeover;

  let closed = false;

  // Compressing side.
  const compressQueue = serialQueue(limiter);
  let deflate: DeflateRaw | undefined;
  let deflatePending: Pending | undefined;
  let deflateChunks: Uint8Array[] = [];
  let deflateBytes = 0;

  function openDeflate(): DeflateRaw {
    const stream = zlib.createDeflateRaw({
      windowBits: Math.max(9, ownBits),
      level,
      memLevel,
    });
    stream.on("data", (chunk: Uint8Array) => {
      deflateChunks.push(chunk);
      deflateBytes += chunk.length;
    });
    stream.on("error", (error: unknown) => failDeflate(stream, error));
    return stream;
  }

  function failDeflate(stream: DeflateRaw, error: unknown): void {
    // The stream is unusable; the next message opens a new one.
    if (deflate !== stream) return;
    deflate = undefined;
    deflateChunks = [];
    deflateBytes = 0;
    const pending = deflatePending;
    deflatePending = undefined;
    pending?.reject(
      new TypeError("Cannot compress message: zlib failed", { cause: error }),
    );
  }

  function compressNow(payload: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (closed) {
        reject(closedError("compress"));
        return;
      }
      const stream = deflate ??= openDeflate();
      const pending: Pending = { resolve, reject };
      deflatePending = pending;
      stream.write(payload);
      stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (deflatePending !== pending) return; // failed or closed meanwhile
        if (stream.destroyed) {
          // zlib failed; the callback can come before the "error" event.
          failDeflate(stream, stream.errored);
          return;
        }
        deflatePending = undefined;
        const out = concat(deflateChunks, deflateBytes);
        deflateChunks = [];
        deflateBytes = 0;
        if (ownReset) stream.reset();
        // A sync flush always ends with the empty stored block 00 00 ff ff.
        resolve(out.subarray(0, out.length - TRAILER.length));
      });
    });
  }

  // Decompressing side.
  const decompressQueue = serialQueue(limiter);
  let inflate: InflateRaw | undefined;
  let inflatePending: Pending | undefined;
  let inflateChunks: Uint8Array[] = [];
  let inflateBytes = 0;
  /** Decompressed bytes of the current message so far. */
  let messageBytes = 0;
  let messageLimit = 0;
  /** Set once decompression failed; every later call rejects with it. */
  let inflateError: unknown;
  /** Set when the peer ended the deflate stream with a BFINAL block. */
  let inflateEnded = false;

  function failInflate(error: unknown): void {
    inflateError = error;
    const stream = inflate;
    inflate = undefined;
    inflateChunks = [];
    inflateBytes = 0;
    const pending = inflatePending;
    inflatePending = undefined;
    stream?.destroy();
    pending?.reject(error);
  }

  function openInflate(): InflateRaw {
    const stream = zlib.createInflateRaw({ windowBits: peerBits });
    inflateEnded = false;
    stream.on("data", (chunk: Uint8Array) => {
      if (inflate !== stream) return;
      messageBytes += chunk.length;
      if (messageBytes > messageLimit) {
        // Stop zlib before it produces the rest (zip bomb).
        failInflate(
          new RangeError(
            `Cannot decompress message: inflated ${messageBytes} bytes, which exceeds maxBytes of ${messageLimit}`,
          ),
        );
        return;
      }
      inflateChunks.push(chunk);
      inflateBytes += chunk.length;
    });
    stream.on("end", () => {
      if (inflate === stream) inflateEnded = true;
    });
    stream.on("error", (error: unknown) => {
      if (inflate === stream) failInflate(invalidData(error));
    });
    return stream;
  }

  function decompressNow(
    fragment: Uint8Array,
    fin: boolean,
    maxBytes: number,
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (closed) {
        reject(closedError("decompress"));
        return;
      }
      if (inflateError !== undefined) {
        reject(inflateError);
        return;
      }
      const stream = inflate ??= openInflate();
      const pending: Pending = { resolve, reject };
      inflatePending = pending;
      messageLimit = maxBytes;
      stream.write(fragment);
      if (fin) stream.write(TRAILER);
      stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (inflatePending !== pending) return; // failed or closed meanwhile
        if (stream.destroyed) {
          // zlib failed; the callback can come before the "error" event.
          failInflate(invalidData(stream.errored));
          return;
        }
        inflatePending = undefined;
        const out = concat(inflateChunks, inflateBytes);
        inflateChunks = [];
        inflateBytes = 0;
        if (fin) {
          messageBytes = 0;
          if (inflateEnded || stream.readableEnded) {
            // A BFINAL block ended the stream; the next message needs a new one.
            inflate = undefined;
            stream.close();
          } else if (peerReset) {
            stream.reset();
          }
        }
        resolve(out);
      });
    });
  }

  return {
    threshold,
    compress(payload: Uint8Array): Promise<Uint8Array> {
      return compressQueue(() => compressNow(payload));
    },
    decompress(
      fragment: Uint8Array,
      fin: boolean,
      maxBytes: number,
    ): Promise<Uint8Array> {
      if (!(maxBytes >= 0)) {
        return Promise.reject(
          new RangeError(
            `Cannot decompress message: maxBytes ${maxBytes} is not a non-negative number`,
          ),
        );
      }
      return decompressQueue(() => decompressNow(fragment, fin, maxBytes));
    },
    close(): void {
      if (closed) return;
      closed = true;
      const compressing = deflatePending;
      const decompressing = inflatePending;
      deflatePending = undefined;
      inflatePending = undefined;
      deflate?.close();
      inflate?.close();
      deflate = undefined;
      inflate = undefined;
      compressing?.reject(closedError("compress"));
      decompressing?.reject(closedError("decompress"));
    },
  };
}

function invalidData(cause: unknown): SyntaxError {
  return new SyntaxError("Cannot decompress message: invalid deflate data", {
    cause,
  });
}

function closedError(verb: string): TypeError {
  return new TypeError(`Cannot ${verb} message: permessage-deflate is closed`);
}
