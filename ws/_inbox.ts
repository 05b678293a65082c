// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the queue of a connection's unread messages, and the ways a
// reader takes them: the connection's async iterator and `readable` pull
// from the queue; a `forEachMessage` handler and a `pushMessages` sink are
// handed each message as it arrives (the handler through the queue while it
// waits for a promise it returned).

import { Queue } from "../_internal/queue.ts";
import { ignore, RESOLVED } from "./_handled.ts";
import {
  DirectIterator,
  EachReader,
  type IteratorHost,
  type MessageHandler,
  type MessageResult,
  NEXT,
  RETURN,
} from "./_direct_iterator.ts";
import {
  CodecExtras,
  EACH_IDLE,
  INBOX_ENDED,
  READABLE_OPEN,
  UNANSWERED,
} from "./_codec_extras.ts";

/** What an unread message costs against `maxUnreadBytes`, besides its size. */
export const UNREAD_MESSAGE_OVERHEAD = 64;

/** What an unread message costs against `maxUnreadBytes`. */
export function unreadCost(data: string | Uint8Array): number {
  return (typeof data === "string" ? data.length : data.byteLength) +
    UNREAD_MESSAGE_OVERHEAD;
}

/** Takes a connection's messages as they arrive: see `pushMessages`. */
export interface MessageSink {
  /** A message arrived (within `maxMessageBytes`). */
  message(data: string | Uint8Array): void;
  /** No message will come any more: the connection closed. Called once. */
  messagesEnded(): void;
}

/** Key of the method that hands the messages to a {@linkcode MessageSink}. */
export const PUSH: unique symbol = Symbol("push");

/**
 * Key of the method that registers a connection's one closed callback
 * (see `onClosed` in `_socket_connection.ts`).
 */
export const ON_CLOSED: unique symbol = Symbol("onClosed");

/**
 * Key of the method behind `forEachMessage`: it calls a handler with each
 * message (see `[EACH]` below).
 */
export const EACH: unique symbol = Symbol("each");

/** Called with the connection once it has closed. */
export type ClosedCallback = (connection: object) => void;

/**
 * A connection's unread messages, as fields and shared methods of the
 * connection itself (it extends this class: no object of its own per
 * connection). Messages go to the reader through a small queue rather
 * than a ReadableStream: the connection's async iterator takes from it
 * directly (two promises fewer a message); `readable` is only made when
 * asked for, and then pulls from the same queue. The queue is made on the
 * first message that has to wait.
 *
 * The connection says what the inbox cannot know: how to wake its
 * receiving loop once there is room, whether a protocol error was held
 * back for the reader (it fails now, once the reader asks for more), and
 * how to close.
 */
export abstract class Inbox implements IteratorHost {
  protected _maxUnreadBytes: number;
  /**
   * The connection's yes/no state, as bits (see `_codec_extras.ts`): one
   * field rather than one per flag.
   */
  protected _flags = READABLE_OPEN;

  /** Turns the flag `bit` (of `_codec_extras.ts`) on or off. */
  protected _setFlag(bit: number, on: boolean): void {
    this._flags = on ? this._flags | bit : this._flags & ~bit;
  }
  /** The slots most connections never use, made on first use. */
  protected _more: CodecExtras | undefined;
  /** What the unread messages cost against `maxUnreadBytes`. */
  protected _unread = 0;
  /**
   * Where messages go instead of the queue, for good, once `[PUSH]` gave
   * them a sink (the receiving side hands them over; the inbox only holds
   * the lock and ends the sink).
   */
  protected _messageSink: MessageSink | undefined;
  /** Called once the connection has closed (`ON_CLOSED`). */
  protected _closedCallback: ClosedCallback | undefined;

  constructor(maxUnreadBytes: number) {
    this._maxUnreadBytes = maxUnreadBytes;
  }

  /** The slots most connections never use (made now if need be). */
  protected _extras(): CodecExtras {
    return this._more ??= new CodecExtras();
  }

  // The flags and rare slots, under the names they had as fields: see
  // `_codec_extras.ts` for what each one means.
  protected get _unanswered(): boolean {
    return (this._flags & UNANSWERED) !== 0;
  }
  protected set _unanswered(on: boolean) {
    this._setFlag(UNANSWERED, on);
  }
  protected get _readableOpen(): boolean {
    return (this._flags & READABLE_OPEN) !== 0;
  }
  protected set _readableOpen(on: boolean) {
    this._setFlag(READABLE_OPEN, on);
  }
  protected get _inboxEnded(): boolean {
    return (this._flags & INBOX_ENDED) !== 0;
  }
  protected set _inboxEnded(on: boolean) {
    this._setFlag(INBOX_ENDED, on);
  }
  protected get _inbox(): Queue<string | Uint8Array> | undefined {
    return this._more?.inbox;
  }
  protected set _inbox(value: Queue<string | Uint8Array> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().inbox = value;
    }
  }
  protected get _waiting(): Promise<MessageResult> | undefined {
    return this._more?.waiting;
  }
  protected set _waiting(value: Promise<MessageResult> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().waiting = value;
    }
  }
  protected get _resolveWaiting():
    | ((result: MessageResult) => void)
    | undefined {
    return this._more?.resolveWaiting;
  }
  protected set _resolveWaiting(
    value: ((result: MessageResult) => void) | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().resolveWaiting = value;
    }
  }
  protected get _stream(): ReadableStream<string | Uint8Array> | undefined {
    return this._more?.stream;
  }
  protected set _stream(
    value: ReadableStream<string | Uint8Array> | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().stream = value;
    }
  }
  protected get _iterator(): DirectIterator | EachReader | undefined {
    return this._more?.iterator;
  }
  protected set _iterator(value: DirectIterator | EachReader | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().iterator = value;
    }
  }
  protected get _iteratorLock():
    | ReadableStreamDefaultReader<string | Uint8Array>
    | undefined {
    return this._more?.iteratorLock;
  }
  protected set _iteratorLock(
    value: ReadableStreamDefaultReader<string | Uint8Array> | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().iteratorLock = value;
    }
  }

  /** Resumes reading from the peer, if it paused. */
  protected abstract _wakeReceiver(): void;
  /**
   * Fails the connection for a protocol error held back until the reader
   * took the messages before it; returns whether there was one.
   */
  protected abstract _failNow(): boolean;
  /** Closes the connection (the reader gave up: with 1000). */
  protected abstract _close(code?: number, reason?: string): Promise<void>;

  get readable(): ReadableStream<string | Uint8Array> {
    if (this._stream === undefined) {
      this._stream = this._makeStream();
      // The fast iterator (or a sink) holds the messages: the stream
      // shows as locked.
      if (this._iterator !== undefined || this._messageSink !== undefined) {
        this._iteratorLock = this._stream.getReader();
      }
    }
    return this._stream;
  }

  /** The connection's async iterator, over the queue. */
  [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array> {
    if (
      this._stream !== undefined && this._iterator === undefined &&
      this._messageSink === undefined
    ) {
      return this._stream.values();
    }
    if (this._iterator !== undefined || this._messageSink !== undefined) {
      throw new TypeError(
        "Cannot iterate connection: its messages are already being read",
      );
    }
    const iterator = new DirectIterator(this);
    this._iterator = iterator;
    return iterator;
  }

  [NEXT](iterator: DirectIterator): Promise<MessageResult> {
    if (iterator.done) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return this._take();
  }

  [RETURN](iterator: DirectIterator, value: unknown): Promise<MessageResult> {
    if (!iterator.done) {
      this._finishIterator(iterator);
      this._cancelInbox();
    }
    return Promise.resolve({ value: value as undefined, done: true });
  }

  /**
   * Hands the queued messages, then every later one, to `sink` (and the
   * end, at once if it came); `false`, having done nothing, when the
   * messages are already being read.
   */
  [PUSH](sink: MessageSink): boolean {
    if (this._stream !== undefined || this._iterator !== undefined) {
      return false;
    }
    if (this._messageSink !== undefined) return false;
    this._messageSink = sink;
    const inbox = this._inbox;
    this._unread = 0;
    if (inbox !== undefined) {
      for (const data of inbox) sink.message(data);
      inbox.clear();
    }
    if (!this._readableOpen) sink.messagesEnded();
    return true;
  }

  /**
   * Calls `handler` with each message, in order: the queued ones now, later
   * ones as they arrive, with no promise in between while the handler
   * returns nothing or `send()`'s settled promise. While a promise it
   * returned is pending, messages queue (against `maxUnreadBytes`, as for
   * a reader that does not ask). Resolves once the messages end; if the
   * handler throws or its promise rejects, the messages are dropped, the
   * connection closes with 1011 and the promise rejects with that error.
   * `undefined`, having done nothing, when the messages are already being
   * read or `readable` exists.
   */
  [EACH](handler: MessageHandler): Promise<void> | undefined {
    if (
      this._stream !== undefined || this._iterator !== undefined ||
      this._messageSink !== undefined
    ) {
      return undefined;
    }
    const reader = new EachReader(handler);
    this._iterator = reader;
    this._nextEach(reader);
    return reader.promise;
  }

  /**
   * Gives `reader` the queued messages while it takes them at once; then
   * ends it (the messages ended) or marks it idle.
   */
  protected _nextEach(reader: EachReader): void {
    while (!reader.done) {
      const inbox = this._inbox;
      if (inbox !== undefined && inbox.length > 0) {
        const value = inbox.shift()!;
        this._unread -= unreadCost(value);
        if (this._unread < this._maxUnreadBytes) this._wakeReceiver();
        if (!this._callEach(reader, value)) return;
        continue;
      }
      if (this._inboxEnded) {
        this._finishIterator(reader);
        reader.resolve();
        return;
      }
      // The reader is done with what came before a protocol error.
      if (this._failNow()) continue;
      this._flags = (this._flags & ~UNANSWERED) | EACH_IDLE;
      this._wakeReceiver();
      return;
    }
  }

  /**
   * Calls the handler with `data`; `true` when it may take the next message
   * at once, `false` when it waits for a promise it returned (or failed).
   */
  protected _callEach(reader: EachReader, data: string | Uint8Array): boolean {
    this._flags |= UNANSWERED;
    let result: void | PromiseLike<void>;
    try {
      result = reader.handler(data);
    } catch (error) {
      this._failEach(reader, error);
      return false;
    }
    // `send()`'s promise when the data went out with room to spare: it has
    // settled, so waiting for it would only cost a turn.
    if (
      result === undefined || result === RESOLVED ||
      typeof result?.then !== "function"
    ) {
      return true;
    }
    result.then(
      () => this._nextEach(reader),
      (error) => this._failEach(reader, error),
    );
    return false;
  }

  /** The handler failed: drop the messages, close with 1011, reject. */
  protected _failEach(reader: EachReader, error: unknown): void {
    if (reader.done) return;
    this._flags &= ~EACH_IDLE;
    this._finishIterator(reader);
    this._cancelInbox(1011);
    reader.reject(error);
  }

  /**
   * Calls `callback` with this connection once it has closed (at once if it
   * has); one callback per connection.
   */
  [ON_CLOSED](callback: ClosedCallback): void {
    if (this._hasClosed()) callback(this);
    else this._closedCallback = callback;
  }

  /** Whether the connection has closed (its `closed` has settled). */
  protected abstract _hasClosed(): boolean;

  /** The connection closed: its callback, if any, runs. */
  protected _runClosedCallback(): void {
    const callback = this._closedCallback;
    this._closedCallback = undefined;
    callback?.(this);
  }

  /** The fast iterator is done: it releases the messages (and the lock). */
  protected _finishIterator(iterator: DirectIterator | EachReader): void {
    if (iterator.done) return;
    iterator.done = true;
    this._iterator = undefined;
    this._iteratorLock?.releaseLock();
    this._iteratorLock = undefined;
  }

  /** Called once the messages have ended: the fast iterator is done. */
  protected _releaseIterator(): void {
    const iterator = this._iterator;
    if (iterator !== undefined) this._finishIterator(iterator);
  }

  /**
   * Hands `data` to a waiting reader, or queues it. The caller decided
   * that it is accepted.
   */
  protected _push(data: string | Uint8Array): void {
    if ((this._flags & EACH_IDLE) !== 0) {
      this._flags &= ~EACH_IDLE;
      const reader = this._iterator as EachReader;
      if (this._callEach(reader, data)) this._nextEach(reader);
      return;
    }
    const resolve = this._resolveWaiting;
    if (resolve !== undefined) {
      this._waiting = undefined;
      this._resolveWaiting = undefined;
      this._unanswered = true;
      resolve({ value: data, done: false });
      return;
    }
    (this._inbox ??= new Queue()).push(data);
    this._unread += unreadCost(data);
    if (this._iterator !== undefined || this._stream !== undefined) {
      this._unanswered = true;
    }
  }

  /** The next message, or the end. */
  protected _take(): Promise<MessageResult> {
    const waiting = this._waiting;
    if (waiting !== undefined) {
      // Reads queue up behind the pending one, in order.
      return waiting.then(() => this._take());
    }
    const inbox = this._inbox;
    if (inbox !== undefined && inbox.length > 0) {
      const value = inbox.shift()!;
      this._unread -= unreadCost(value);
      if (this._unread < this._maxUnreadBytes) this._wakeReceiver();
      return Promise.resolve({ value, done: false });
    }
    if (this._inboxEnded) {
      this._releaseIterator();
      return Promise.resolve({ value: undefined, done: true });
    }
    // The reader is done with what came before a protocol error.
    if (this._failNow()) return this._take();
    this._unanswered = false;
    // One closure, where `withResolvers` makes two and an object: a reader
    // waits like this for every message.
    const promise = new Promise<MessageResult>((resolve) => {
      this._resolveWaiting = resolve;
    });
    this._waiting = promise;
    this._wakeReceiver();
    return promise;
  }

  /** Ends the messages: queued ones can still be read. */
  protected _endInbox(): void {
    if (this._readableOpen) this._messageSink?.messagesEnded();
    this._readableOpen = false;
    this._inboxEnded = true;
    if ((this._flags & EACH_IDLE) !== 0) {
      this._flags &= ~EACH_IDLE;
      const reader = this._iterator as EachReader;
      this._finishIterator(reader);
      reader.resolve();
      return;
    }
    const resolve = this._resolveWaiting;
    if (resolve === undefined) return;
    this._waiting = undefined;
    this._resolveWaiting = undefined;
    this._releaseIterator();
    resolve({ value: undefined, done: true });
  }

  /**
   * The reader gave up (or its handler failed): drop the messages and close
   * with `code`.
   */
  protected _cancelInbox(code = 1000): void {
    this._failNow();
    if (
      this._inboxEnded &&
      (this._inbox === undefined || this._inbox.length === 0)
    ) return;
    this._inbox?.clear();
    this._unread = 0;
    this._endInbox();
    this._wakeReceiver();
    void this._close(code).catch(ignore);
  }

  protected _makeStream(): ReadableStream<string | Uint8Array> {
    return new ReadableStream<string | Uint8Array>({
      pull: async (controller): Promise<void> => {
        const result = await this._take();
        if (!result.done) {
          controller.enqueue(result.value);
          return;
        }
        try {
          controller.close();
        } catch {
          // Cancelled meanwhile: already closed.
        }
      },
      cancel: (): void => {
        this._cancelInbox();
      },
    }, { highWaterMark: 0 });
  }
}
