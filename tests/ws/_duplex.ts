// Copyright 2026 the serverpush authors. MIT license.
// In-memory byte duplex pairs for the codec connection tests, and a raw
// frame-level peer to drive one end by hand.

import type { ByteDuplex } from "../../ws/_byte_io.ts";
import {
  encodeClosePayload,
  encodeFrame,
  type WsFrame,
  WsFrameDecoderStream,
} from "../../ws/mod.ts";

/** One direction: bytes written on `writable` come out of `readable`. */
interface Pipe {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /** Ends the stream after what was written (a FIN). */
  end(): void;
  /** Bytes written so far. */
  readonly written: number;
}

function pipe(highWaterMark: number): Pipe {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let state: "open" | "ended" | "broken" = "open";
  let pulled: (() => void) | undefined;
  let written = 0;
  const readable = new ReadableStream<Uint8Array>({
    start(c): void {
      controller = c;
    },
    pull(): void {
      pulled?.();
      pulled = undefined;
    },
    cancel(): void {
      state = "broken";
      pulled?.();
      pulled = undefined;
    },
  }, { highWaterMark, size: (chunk) => chunk.byteLength });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk): Promise<void> {
      if (state !== "open") throw new Error("Cannot write: pipe is closed");
      written += chunk.byteLength;
      controller.enqueue(chunk.slice());
      while (state === "open" && (controller.desiredSize ?? 0) <= 0) {
        await new Promise<void>((resolve) => pulled = resolve);
      }
      if ((state as string) === "broken") {
        throw new Error("Cannot write: pipe is broken");
      }
    },
    close(): void {
      end();
    },
    abort(): void {
      end();
    },
  });
  function end(): void {
    if (state !== "open") return;
    state = "ended";
    controller.close();
    pulled?.();
    pulled = undefined;
  }
  return {
    readable,
    writable,
    end,
    get written(): number {
      return written;
    },
  };
}

/** Two connected ends, with byte counters. */
export interface DuplexPair {
  a: ByteDuplex;
  b: ByteDuplex;
  /** Bytes `a` wrote (that `b` can read). */
  readonly aWritten: number;
  /** Bytes `b` wrote. */
  readonly bWritten: number;
}

/**
 * A connected pair of in-memory duplexes. Each direction buffers up to
 * `highWaterMark` bytes before writes wait for the reader.
 */
export function duplexPair(highWaterMark = 64 * 1024): DuplexPair {
  const ab = pipe(highWaterMark);
  const ba = pipe(highWaterMark);
  function end(out: Pipe, into: Pipe): ByteDuplex {
    return {
      readable: into.readable,
      writable: out.writable,
      close(): void {
        out.end();
      },
      closeWrite(): Promise<void> {
        out.end();
        return Promise.resolve();
      },
    };
  }
  return {
    a: end(ab, ba),
    b: end(ba, ab),
    get aWritten(): number {
      return ab.written;
    },
    get bWritten(): number {
      return ba.written;
    },
  };
}

/**
 * `duplex` behind a `write(p)` that takes at most `most` bytes a call, as a
 * busy socket may.
 */
export function partialWriter(duplex: ByteDuplex, most: number): ByteDuplex {
  const writer = duplex.writable.getWriter();
  return {
    readable: duplex.readable,
    writable: duplex.writable,
    close(): void {
      writer.releaseLock();
      duplex.close();
    },
    async write(p: Uint8Array): Promise<number> {
      const n = Math.min(most, p.length);
      await writer.write(p.slice(0, n));
      return n;
    },
  };
}

/** Drives one end of a duplex frame by frame. */
export interface RawPeer {
  /** Writes one frame (masked when the peer is a client). */
  send(frame: Partial<WsFrame> & { opcode: number }): Promise<void>;
  /** Writes raw bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Writes a close frame. */
  sendClose(code?: number, reason?: string): Promise<void>;
  /** The next frame from the other end, or `undefined` at its end. */
  next(): Promise<WsFrame | undefined>;
  /** Ends our sending direction. */
  end(): Promise<void>;
  /** Drains and closes everything. */
  close(): Promise<void>;
}

/** A raw peer in `role` over `duplex`. */
export function rawPeer(
  duplex: ByteDuplex,
  role: "client" | "server",
): RawPeer {
  const writer = duplex.writable.getWriter();
  const frames = duplex.readable
    .pipeThrough(
      new WsFrameDecoderStream({
        role,
        allowRsv1: true,
        maxFrameBytes: 1 << 30,
      }),
    )
    .getReader();
  let ended = false;
  const mask = role === "client";
  return {
    send(frame): Promise<void> {
      return writer.write(
        encodeFrame({
          fin: true,
          rsv1: false,
          rsv2: false,
          rsv3: false,
          payload: new Uint8Array(0),
          ...frame,
        }, { mask }),
      );
    },
    write(bytes): Promise<void> {
      return writer.write(bytes);
    },
    sendClose(code, reason): Promise<void> {
      return this.send({
        opcode: 8,
        payload: code === undefined
          ? new Uint8Array(0)
          : encodeClosePayload(code, reason ?? ""),
      });
    },
    async next(): Promise<WsFrame | undefined> {
      const { done, value } = await frames.read();
      return done ? undefined : value;
    },
    async end(): Promise<void> {
      if (ended) return;
      ended = true;
      await writer.close().catch(() => {});
    },
    async close(): Promise<void> {
      await this.end();
      await frames.cancel().catch(() => {});
    },
  };
}

/** The close code and reason in a close frame's payload. */
export function closeOf(frame: WsFrame | undefined): [number, string] {
  if (frame === undefined || frame.opcode !== 8) {
    throw new Error(`Expected a close frame, got opcode ${frame?.opcode}`);
  }
  const p = frame.payload;
  if (p.length === 0) return [1005, ""];
  return [(p[0]! << 8) | p[1]!, new TextDecoder().decode(p.subarray(2))];
}
