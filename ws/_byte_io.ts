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
  /**
   * Calls `onChunk` once with the next chunk (the caller's to keep and to
   * modify), or `undefined` at the end; or `onError` with the error that
   * stopped reading: `read` for a transport that allocates its own chunks
   * (a Node socket), with neither a promise nor a buffer of the caller's.
   * Used instead of `read` and `readable` when present.
   */
  readChunk?(
    onChunk: (chunk: Uint8Array | undefined) => void,
    onError: (error: unknown) => void,
  ): void;
  /**
   * Writes all of `p` and calls `done` once written (with the error that
   * stopped it, if any): `write` without a promise, for a transport with
   * callbacks (a Node socket). Used instead of `write` when present.
   * `done` may be called before `writeChunk` returns (the bytes went to
   * the kernel at once).
   */
  writeChunk?(p: Uint8Array, done: (error?: unknown) => void): void;
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
  /**
   * Whether the reader should let other work run before its next read:
   * true once every `FULL_READS_PER_TURN` reads in a row filled the whole
   * read buffer (the peer sends faster than it is served), so that one peer
   * sending as fast as it can does not starve the others when reads
   * complete at once. Present when the duplex has a `read` method.
   */
  saturated?(): boolean;
  /**
   * `read()` without a promise: `onChunk` gets the chunk (or `undefined`
   * at the end), `onError` is called if reading failed. Present when the
   * duplex has a `readChunk` method.
   */
  readTo?(
    onChunk: (chunk: Uint8Array | undefined) => void,
    onError: (error: unknown) => void,
  ): void;
  /** Lets another source read the duplex (after the handshake). */
  release(): void;
  /** Stops reading; a pending `read()` settles. */
  cancel(): void;
}

const MIN_READ_BYTES = 4 * 1024;
/** Full reads in a row after which a reader lets other work run. */
const FULL_READS_PER_TURN = 16;
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
  if (duplex.readChunk !== undefined) return new ChunkSource(duplex);
  const read = duplex.read;
  if (read !== undefined) {
    return new ReadSource(duplex, read, options.lend ?? false);
  }
  return new StreamSource(duplex.readable.getReader());
}

// The sources and the sink are objects of classes, their logic in shared
// methods: a server holding many connections holds one of each per
// connection, and closures would cost more memory.

/** A {@linkcode ByteSource} over `duplex.read`. */
class ReadSource implements ByteSource {
  #duplex: ByteDuplex;
  #read: (p: Uint8Array) => Promise<number | null>;
  #lend: boolean;
  #buffer = new Uint8Array(MIN_READ_BYTES);
  #done = false;
  #fullReads = 0;

  constructor(
    duplex: ByteDuplex,
    read: (p: Uint8Array) => Promise<number | null>,
    lend: boolean,
  ) {
    this.#duplex = duplex;
    this.#read = read;
    this.#lend = lend;
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.#done) return Promise.resolve(undefined);
    return this.#read.call(this.#duplex, this.#buffer).then((n) =>
      this.chunk(n)
    );
  }

  fill(): Promise<number | null> {
    if (this.#done) return Promise.resolve(null);
    return this.#read.call(this.#duplex, this.#buffer);
  }

  chunk(n: number | null): Uint8Array | undefined {
    if (n === null) {
      this.#done = true;
      return undefined;
    }
    const buffer = this.#buffer;
    const chunk = this.#lend ? buffer.subarray(0, n) : buffer.slice(0, n);
    if (n === buffer.length) {
      this.#fullReads++;
      if (buffer.length < MAX_READ_BYTES) {
        // Reads fill the buffer: the peer sends a lot, read more at once.
        this.#buffer = new Uint8Array(buffer.length * 4);
      }
    } else {
      this.#fullReads = 0;
    }
    return chunk;
  }

  saturated(): boolean {
    if (this.#fullReads < FULL_READS_PER_TURN) return false;
    this.#fullReads = 0;
    return true;
  }

  release(): void {}

  cancel(): void {
    this.#done = true;
  }
}

/**
 * A {@linkcode ByteSource} over `duplex.readChunk`: the transport's chunks
 * as they come, no buffer of its own (the transport waits between reads).
 */
class ChunkSource implements ByteSource {
  #duplex: ByteDuplex;
  #done = false;

  constructor(duplex: ByteDuplex) {
    this.#duplex = duplex;
  }

  read(): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => this.readTo(resolve, reject));
  }

  readTo(
    onChunk: (chunk: Uint8Array | undefined) => void,
    onError: (error: unknown) => void,
  ): void {
    if (this.#done) {
      queueMicrotask(() => onChunk(undefined));
      return;
    }
    // The transport itself keeps answering `undefined` after its end.
    this.#duplex.readChunk!(onChunk, onError);
  }

  release(): void {}

  cancel(): void {
    this.#done = true;
  }
}

/** A {@linkcode ByteSource} over `duplex.readable`. */
class StreamSource implements ByteSource {
  #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  async read(): Promise<Uint8Array | undefined> {
    const { done, value } = await this.#reader.read();
    return done ? undefined : value;
  }

  release(): void {
    this.#reader.releaseLock();
  }

  cancel(): void {
    this.#reader.cancel().catch(ignore);
  }
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
  return new Sink(duplex);
}

/** The {@linkcode ByteSink} of {@linkcode byteSink}. */
class Sink implements ByteSink {
  #duplex: ByteDuplex;
  #direct: ((p: Uint8Array) => Promise<number>) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  /** Bytes waiting to be written, and their callbacks; made when needed. */
  #queue: Uint8Array[] | undefined;
  #callbacks: (WriteCallback | undefined)[] | undefined;
  #writing = false;
  #failure: { error: unknown } | undefined;
  // The write made at once, outside the flush loop (one at a time).
  #directBytes: Uint8Array | undefined;
  #directDone: WriteCallback | undefined;
  #directShared = false;
  /** Its settlement handlers, made on the first such write. */
  #onDirectWritten: ((n: number) => void) | undefined;
  #onDirectFailed: ((error: unknown) => void) | undefined;
  #onChunkWritten: ((error?: unknown) => void) | undefined;

  constructor(duplex: ByteDuplex) {
    this.#duplex = duplex;
    const direct = duplex.write;
    this.#direct = direct;
    if (direct === undefined) this.#writer = duplex.writable.getWriter();
  }

  write(bytes: Uint8Array, done?: WriteCallback, shared = false): void {
    if (this.#failure !== undefined) {
      done?.(this.#failure.error);
      return;
    }
    const direct = this.#direct;
    if (!this.#writing && direct !== undefined) {
      // Nothing queued: write at once, without the flush loop's promises.
      this.#writing = true;
      this.#directBytes = bytes;
      this.#directDone = done;
      this.#directShared = shared;
      const duplex = this.#duplex;
      if (duplex.writeChunk !== undefined) {
        duplex.writeChunk(bytes, this.#onChunkWritten ?? this.#chunkHandler());
        return;
      }
      if (this.#onDirectWritten === undefined) this.#promiseHandlers();
      direct.call(duplex, bytes).then(
        this.#onDirectWritten,
        this.#onDirectFailed,
      );
      return;
    }
    (this.#queue ??= []).push(shared ? bytes.slice() : bytes);
    (this.#callbacks ??= []).push(done);
    if (!this.#writing) void this.#flush();
  }

  // The settlement handlers are made here rather than in `write`: a
  // function that makes a closure over `this` allocates a context at every
  // call, even when it makes none, and `write` runs for every frame.

  #chunkHandler(): (error?: unknown) => void {
    return this.#onChunkWritten = (error) =>
      error === undefined || error === null
        ? this.#directWritten(this.#directBytes!.length)
        : this.#directFailed(error);
  }

  #promiseHandlers(): void {
    this.#onDirectWritten = (n) => this.#directWritten(n);
    this.#onDirectFailed = (error) => this.#directFailed(error);
  }

  abort(): void {
    this.#fail(
      new DOMException("Cannot write: the sink was aborted", "AbortError"),
    );
    this.#writer?.abort().catch(ignore);
  }

  release(): void {
    this.#writer?.releaseLock();
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#writer !== undefined) return this.#writer.write(bytes);
    const direct = this.#direct!;
    let offset = 0;
    while (offset < bytes.length) {
      offset += await direct.call(this.#duplex, bytes.subarray(offset));
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    const pending = this.#callbacks;
    this.#queue = undefined;
    this.#callbacks = undefined;
    if (pending === undefined) return;
    for (const callback of pending) callback?.(this.#failure.error);
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    let queue: Uint8Array[] | undefined;
    while (
      (queue = this.#queue) !== undefined && queue.length > 0 &&
      this.#failure === undefined
    ) {
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
      const done = this.#callbacks!.splice(0, count);
      try {
        await this.#writeAll(batch);
      } catch (error) {
        for (const callback of done) callback?.(error);
        this.#fail(error);
        break;
      }
      for (const callback of done) callback?.();
    }
    if (this.#queue !== undefined && this.#queue.length === 0) {
      // Written out: a connection that stays quiet keeps no arrays.
      this.#queue = undefined;
      this.#callbacks = undefined;
    }
    this.#writing = false;
  }

  #directWritten(n: number): void {
    const bytes = this.#directBytes!;
    const done = this.#directDone;
    this.#directBytes = undefined;
    this.#directDone = undefined;
    if (n < bytes.length) {
      // A partial write: the rest goes first, then anything queued.
      (this.#queue ??= []).unshift(
        this.#directShared ? bytes.slice(n) : bytes.subarray(n),
      );
      (this.#callbacks ??= []).unshift(done);
      void this.#flush();
      return;
    }
    this.#writing = false;
    done?.();
    if (this.#queue !== undefined && this.#queue.length > 0) void this.#flush();
  }

  #directFailed(error: unknown): void {
    const done = this.#directDone;
    this.#directBytes = undefined;
    this.#directDone = undefined;
    this.#writing = false;
    done?.(error);
    this.#fail(error);
  }
}
