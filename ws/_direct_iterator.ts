// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the async iterator both connection classes hand out before their
// `readable` exists, and the reader of `forEachMessage`. The iterator holds
// no state but whether it has ended; the connection does the work through
// two symbol-keyed methods, so that iterating costs one small object and no
// closures.

/** Key of the host method behind `next()`. */
export const NEXT: unique symbol = Symbol("next");
/** Key of the host method behind `return()`. */
export const RETURN: unique symbol = Symbol("return");

/** One step of a connection's messages. */
export type MessageResult = IteratorResult<string | Uint8Array, undefined>;

/** A connection whose messages a {@linkcode DirectIterator} reads. */
export interface IteratorHost {
  [NEXT](iterator: DirectIterator): Promise<MessageResult>;
  [RETURN](iterator: DirectIterator, value: unknown): Promise<MessageResult>;
}

/**
 * What a connection's `[Symbol.asyncIterator]()` returns before `readable`
 * exists: its unread messages one at a time, from the connection's queue.
 */
export class DirectIterator
  implements AsyncIterableIterator<string | Uint8Array> {
  #host: IteratorHost;
  /** Whether the iterator has ended (and released the messages). */
  done = false;

  constructor(host: IteratorHost) {
    this.#host = host;
  }

  next(): Promise<MessageResult> {
    return this.#host[NEXT](this);
  }

  return(value?: unknown): Promise<MessageResult> {
    return this.#host[RETURN](this, value);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<string | Uint8Array> {
    return this;
  }
}

/** What `forEachMessage` calls with each message. */
export type MessageHandler = (
  data: string | Uint8Array,
) => void | PromiseLike<void>;

/**
 * The reader `forEachMessage` puts where the async iterator would be: the
 * handler, and the promise that settles when the messages end (or the
 * handler fails). The connection calls the handler itself.
 */
export class EachReader {
  /** Whether the reader has ended (and released the messages). */
  done = false;
  readonly handler: MessageHandler;
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(handler: MessageHandler) {
    this.handler = handler;
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
