// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: reading and writing the bytes of a transport for the codec
// engine. A `Deno.Conn` is used through its `read` / `write` methods, which
// skip the stream machinery and let one read buffer be reused (its
// `readable` allocates 64 KiB per read); anything else through its streams.

/**
 * A bidirectional byte stream: what a `Deno.Conn` offers, and what a test
 * builds in memory from two streams.
 */
export interface ByteDuplex {
  /** Bytes from the peer (used when `read` is absent). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer (used when `write` is absent). */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes both directions at once; may throw if already closed. */
  close(): void;
  /** Ends the sending direction only (TCP FIN), if the transport can. */
  closeWrite?(): Promise<void>;
  /** Reads into `p`, as `Deno.Conn.read`: bytes read, or `null` at the end. */
  read?(p: Uint8Array): Promise<number | null>;
  /** Writes from `p`, as `Deno.Conn.write`: bytes written, maybe fewer. */
  write?(p: Uint8Array): Promise<number>;
}

/** Reads a duplex chunk by chunk. */
export interface ByteSource {
  /** The next chunk (owned by the caller), or `undefined` at the end. */
  read(): Promise<Uint8Array | undefined>;
  /**
   * `read()` in two steps, one promise fewer: `fill()` reads from the
   * duplex (its result goes to `chunk`), `chunk` turns it into what `read()`
   * would have given. Present when the duplex has a `read` method.
   */
  fill?(): Promise<number | null>;
  /** See `fill`. */
  chunk?(n: number | null): Uint8Array | undefined;
  /** Lets another source read the duplex (after the handshake). */
  release(): void;
  /** Stops reading; a pending `read()` settles. */
  cancel(): void;
}

const MIN_READ_BYTES = 4 * 1024;
const MAX_READ_BYTES = 256 * 1024;

/** Options for {@linkcode byteSource}. */
export interface ByteSourceOptions {
  /**
   * Chunks read through `duplex.read` are views into a buffer that the next
   * `read()` reuses (no copy): for a caller done with each chunk before
   * asking for the next.
   *
   * @default {false}
   */
  lend?: boolean;
}

/** Opens a {@linkcode ByteSource} on `duplex`. */
export function byteSource(
  duplex: ByteDuplex,
  options: ByteSourceOptions = {},
): ByteSource {
  const read = duplex.read;
  const lend = options.lend ?? false;
  if (read !== undefined) {
    let buffer = new Uint8Array(MIN_READ_BYTES);
    let done = false;
    const onRead = (n: number | null): Uint8Array | undefined => {
      if (n === null) {
        done = true;
        return undefined;
      }
      const chunk = lend ? buffer.subarray(0, n) : buffer.slice(0, n);
      if (n === buffer.length && buffer.length < MAX_READ_BYTES) {
        // Reads fill the buffer: the peer sends a lot, read more at once.
        buffer = new Uint8Array(buffer.length * 4);
      }
      return chunk;
    };
    return {
      read(): Promise<Uint8Array | undefined> {
        if (done) return Promise.resolve(undefined);
        return read.call(duplex, buffer).then(onRead);
      },
      fill(): Promise<number | null> {
        if (done) return Promise.resolve(null);
        return read.call(duplex, buffer);
      },
      chunk: onRead,
      release(): void {},
      cancel(): void {
        done = true;
      },
    };
  }
  const reader = duplex.readable.getReader();
  return {
    async read(): Promise<Uint8Array | undefined> {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    release(): void {
      reader.releaseLock();
    },
    cancel(): void {
      reader.cancel().catch(ignore);
    },
  };
}

/**
 * Writes all of `bytes` to `duplex` and resolves once written: for a
 * handshake's head, before any {@linkcode ByteSink} writes.
 */
export async function writeAll(
  duplex: ByteDuplex,
  bytes: Uint8Array,
): Promise<void> {
  const write = duplex.write;
  if (write === undefined) {
    const writer = duplex.writable.getWriter();
    try {
      await writer.write(bytes);
    } finally {
      writer.releaseLock();
    }
    return;
  }
  let offset = 0;
  while (offset < bytes.length) {
    offset += await write.call(duplex, bytes.subarray(offset));
  }
}

/** Called once the bytes are written, or with the error that stopped them. */
export type WriteCallback = (error?: unknown) => void;

/** Writes to a duplex in order, coalescing small writes. */
export interface ByteSink {
  /**
   * Queues `bytes`; `done` is called once they are written or failed.
   * `shared` says `bytes` is a view into memory that other writes share (a
   * slab): the sink then copies whatever part of it has to wait behind
   * another write, so that a slow peer never holds on to the whole slab.
   */
  write(bytes: Uint8Array, done?: WriteCallback, shared?: boolean): void;
  /** Stops writing; queued writes fail. */
  abort(): void;
  /** Lets another sink write the duplex. */
  release(): void;
}

/** Queued bytes up to this size are joined into one write. */
const COALESCE_BYTES = 64 * 1024;

/**
 * Intentionally empty: the failure is reported through the write callbacks
 * (and then `closed`), so the promise that carried it needs no handler.
 */
function ignore(): void {}

/** Opens a {@linkcode ByteSink} on `duplex`. */
export function byteSink(duplex: ByteDuplex): ByteSink {
  const direct = duplex.write;
  const writer = direct === undefined ? duplex.writable.getWriter() : undefined;
  const queue: Uint8Array[] = [];
  const callbacks: (WriteCallback | undefined)[] = [];
  let writing = false;
  let failure: { error: unknown } | undefined;

  async function writeAll(bytes: Uint8Array): Promise<void> {
    if (writer !== undefined) return writer.write(bytes);
    let offset = 0;
    while (offset < bytes.length) {
      offset += await direct!.call(duplex, bytes.subarray(offset));
    }
  }

  function fail(error: unknown): void {
    failure ??= { error };
    const pending = callbacks.splice(0);
    queue.length = 0;
    for (const callback of pending) callback?.(failure.error);
  }

  async function flush(): Promise<void> {
    writing = true;
    while (queue.length > 0 && failure === undefined) {
      let count = 1;
      let size = queue[0]!.length;
      while (
        count < queue.length && size + queue[count]!.length <= COALESCE_BYTES
      ) {
        size += queue[count]!.length;
        count++;
      }
      let batch: Uint8Array;
      if (count === 1) {
        batch = queue[0]!;
      } else {
        batch = new Uint8Array(size);
        let offset = 0;
        for (let i = 0; i < count; i++) {
          batch.set(queue[i]!, offset);
          offset += queue[i]!.length;
        }
      }
      queue.splice(0, count);
      const done = callbacks.splice(0, count);
      try {
        await writeAll(batch);
      } catch (error) {
        for (const callback of done) callback?.(error);
        fail(error);
        break;
      }
      for (const callback of done) callback?.();
    }
    writing = false;
  }

  // The write made at once, outside the flush loop (one at a time).
  let directBytes: Uint8Array | undefined;
  let directDone: WriteCallback | undefined;
  let directShared = false;

  function onDirectWritten(n: number): void {
    const bytes = directBytes!;
    const done = directDone;
    directBytes = undefined;
    directDone = undefined;
    if (n < bytes.length) {
      // A partial write: the rest goes first, then anything queued.
      queue.unshift(directShared ? bytes.slice(n) : bytes.subarray(n));
      callbacks.unshift(done);
      void flush();
      return;
    }
    writing = false;
    done?.();
    if (queue.length > 0) void flush();
  }

  function onDirectFailed(error: unknown): void {
    const done = directDone;
    directBytes = undefined;
    directDone = undefined;
    writing = false;
    done?.(error);
    fail(error);
  }

  return {
    write(bytes, done, shared = false): void {
      if (failure !== undefined) {
        done?.(failure.error);
        return;
      }
      if (!writing && direct !== undefined) {
        // Nothing queued: write at once, without the flush loop's promises.
        writing = true;
        directBytes = bytes;
        directDone = done;
        directShared = shared;
        direct.call(duplex, bytes).then(onDirectWritten, onDirectFailed);
        return;
      }
      queue.push(shared ? bytes.slice() : bytes);
      callbacks.push(done);
      if (!writing) void flush();
    },
    abort(): void {
      fail(
        new DOMException("Cannot write: the sink was aborted", "AbortError"),
      );
      writer?.abort().catch(ignore);
    },
    release(): void {
      writer?.releaseLock();
    },
  };
}
