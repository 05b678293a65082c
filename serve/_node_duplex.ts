// Copyright 2026 the serverpush authors. MIT license.
// Private: a `WsDuplex` over a Node `net.Socket` (or `tls.TLSSocket`), for
// serverpush's codec engine. The socket is paused whenever no read
// waits, so when the engine stops reading (its limits) TCP holds the peer
// back. Reads and writes wait until the `101` is written (`open()`);
// `refuse()` hands the socket back for a refusal instead.
//
// The codec engine reads with `readChunk`, which hands over Node's own
// chunks through callbacks, as `ws` does: an idle connection holds no read
// buffer and no pending promise, only the two callbacks its engine made
// once. `read(p)` (the `WsDuplex` contract) is built on it.

import type { WsDuplex } from "../ws/upgrade_provider.ts";
import type { NodeSocket } from "./_node_types.ts";
import { type Resolvers, withResolvers } from "../_internal/resolvers.ts";
import { holdWrite } from "../_internal/write_batch.ts";
import { writeNodeSocket } from "../ws/_node_socket.ts";

/** Takes the next chunk (the caller's to keep), or `undefined` at the end. */
type OnChunk = (chunk: Uint8Array | undefined) => void;
/** Takes the error that ended reading. */
type OnError = (error: unknown) => void;

const WAITING = 0;
const OPEN = 1;
const REFUSED = 2;

function refusedError(): DOMException {
  return new DOMException(
    "Cannot open WebSocket: the handler did not return the upgrade response",
    "InvalidStateError",
  );
}

/** The controller of each signal made by `closeSignal`, while it lives. */
const CONTROLLERS = new WeakMap<AbortSignal, AbortController>();

/** Where a socket keeps its duplex, for the shared listeners. */
const DUPLEX: unique symbol = Symbol("duplex");
type Owned = NodeSocket & { [DUPLEX]: NodeSocketDuplex };
let onData: (this: Owned, data: Uint8Array) => void;
let onEnd: (this: Owned) => void;
let onClose: (this: Owned) => void;
let onError: (this: Owned, error: unknown) => void;

/** See the file comment. */
export class NodeSocketDuplex implements WsDuplex {
  #socket: NodeSocket;
  /** Bytes received and not read yet (the head first); made when needed. */
  #chunks: Uint8Array[] | undefined;
  #ended = false;
  #error: { error: unknown } | undefined;
  /** The read waiting for bytes. */
  #onChunk: OnChunk | undefined;
  #onError: OnError | undefined;
  #state: number = WAITING;
  #signal: WeakRef<AbortSignal> | undefined;
  /**
   * Settles when the upgrade is answered, for writes made before; made
   * only when a write comes that early.
   */
  #gate: Resolvers<void> | undefined;

  constructor(socket: NodeSocket, head: Uint8Array) {
    this.#socket = socket;
    if (head.length > 0) this.#chunks = [head];
    // Paused before the listener, so that adding it does not start the
    // flow.
    socket.pause();
    // Listeners shared by every socket, which find their duplex on the
    // socket: no closures of its own per connection.
    (socket as Owned)[DUPLEX] = this;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onClose);
    socket.on("error", onError);
  }

  /**
   * A signal aborted when the socket closes, for the upgrade's request
   * (made only if its handler reads `signal`). The socket holds it weakly:
   * once nobody holds the signal, nobody can see it abort, so an open
   * WebSocket keeps neither it nor its controller.
   */
  closeSignal(): AbortSignal {
    const aborter = new AbortController();
    const { signal } = aborter;
    CONTROLLERS.set(signal, aborter);
    if (this.#socket.destroyed) aborter.abort();
    else this.#signal = new WeakRef(signal);
    return signal;
  }

  /** Lets reads and writes through (the `101` is written). */
  open(): void {
    this.#state = OPEN;
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.resolve();
    if (this.#onChunk !== undefined) this.#next();
  }

  /**
   * Fails the connection's reads and writes, and leaves the socket to the
   * caller (to write a refusal).
   */
  refuse(): void {
    this.#state = REFUSED;
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.reject(refusedError());
    const onError = this.#onError;
    if (onError === undefined) return;
    this.#onChunk = undefined;
    this.#onError = undefined;
    onError(refusedError());
  }

  /**
   * Calls `onChunk` once with the next chunk of bytes (the caller's to
   * keep and to modify: Node allocates each one), or `undefined` at the
   * end; or `onError` with the error that ended reading. One read at a
   * time. The socket flows only while a read waits.
   */
  readChunk(onChunk: OnChunk, onError: OnError): void {
    if (this.#state === REFUSED) {
      queueMicrotask(() => onError(refusedError()));
      return;
    }
    this.#onChunk = onChunk;
    this.#onError = onError;
    if (this.#state === WAITING) return;
    if (
      this.#chunks !== undefined || this.#ended || this.#error !== undefined
    ) {
      // Settles later, as a read from the socket would.
      queueMicrotask(() => this.#next());
      return;
    }
    this.#socket.resume();
  }

  read(p: Uint8Array): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.readChunk((chunk) => {
        if (chunk === undefined) {
          resolve(null);
          return;
        }
        const size = Math.min(chunk.length, p.length);
        p.set(chunk.subarray(0, size));
        if (size < chunk.length) {
          (this.#chunks ??= []).unshift(chunk.subarray(size));
        }
        resolve(size);
      }, reject);
    });
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#state === OPEN) return this.#write(p);
    if (this.#state === REFUSED) return Promise.reject(refusedError());
    const gate = this.#gate ??= withResolvers<void>();
    return gate.promise.then(() => this.#write(p));
  }

  /**
   * `write` with a callback, as Node's socket takes it: no promise. Inside
   * a fan-out's batch the write is made once the batch ends.
   */
  writeChunk(p: Uint8Array, done: (error?: unknown) => void): void {
    if (this.#state === OPEN) {
      const socket = this.#socket;
      if (!holdWrite(writeNodeSocket, socket, p, done)) {
        writeNodeSocket(socket, p, done);
      }
      return;
    }
    this.write(p).then(() => done(), done);
  }

  close(): void {
    if (this.#state !== REFUSED) this.#socket.destroy();
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.end(resolve);
    });
  }

  #write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (error) => {
        if (error) reject(error);
        else resolve(p.length);
      });
    });
  }

  /** Settles the waiting read from what is queued, or lets bytes flow. */
  #next(): void {
    const onChunk = this.#onChunk;
    const onError = this.#onError;
    if (onChunk === undefined || onError === undefined) return;
    const chunks = this.#chunks;
    if (chunks !== undefined) {
      const chunk = chunks.shift()!;
      if (chunks.length === 0) this.#chunks = undefined;
      this.#onChunk = undefined;
      this.#onError = undefined;
      onChunk(chunk);
      return;
    }
    if (this.#error !== undefined) {
      this.#onChunk = undefined;
      this.#onError = undefined;
      onError(this.#error.error);
      return;
    }
    if (this.#ended) {
      this.#onChunk = undefined;
      this.#onError = undefined;
      onChunk(undefined);
      return;
    }
    this.#socket.resume();
  }

  static {
    onData = function (this: Owned, data: Uint8Array): void {
      this[DUPLEX].#onData(data);
    };
    onEnd = function (this: Owned): void {
      this[DUPLEX].#onEnd();
    };
    onClose = function (this: Owned): void {
      const duplex = this[DUPLEX];
      duplex.#onEnd();
      const signal = duplex.#signal?.deref();
      if (signal !== undefined) CONTROLLERS.get(signal)?.abort();
    };
    onError = function (this: Owned, error: unknown): void {
      const duplex = this[DUPLEX];
      duplex.#error ??= { error };
      duplex.#onEnd();
    };
  }

  #onData(chunk: Uint8Array): void {
    // Node's Buffer as it is, as the head is: the engine makes the views it
    // hands out itself (plain Uint8Arrays, whose `slice` copies), so a view
    // of each chunk here would only be one more object per read.
    const onChunk = this.#onChunk;
    if (
      onChunk === undefined || this.#state !== OPEN ||
      this.#chunks !== undefined
    ) {
      this.#socket.pause();
      (this.#chunks ??= []).push(chunk);
      return;
    }
    this.#onChunk = undefined;
    this.#onError = undefined;
    onChunk(chunk);
    // The engine usually asks for the next chunk while it handles this
    // one: the socket keeps flowing then (pausing and resuming it for
    // every chunk costs a tick and, past the stream's high-water mark, a
    // stop and a start of the TCP handle's reading). It pauses only when
    // no read waits, which is when the engine holds back.
    if (this.#onChunk === undefined) this.#socket.pause();
  }

  #onEnd(): void {
    this.#ended = true;
    if (this.#state === OPEN) this.#next();
  }
}
