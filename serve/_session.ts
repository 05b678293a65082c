// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what both kinds of hub WebSocket session share: the client's
// messages handled one at a time, and the outbox that holds what is sent
// while the connection buffers too much.

import type { PresenceIdentity } from "../message/source.ts";
import type { WsConnection } from "../ws/connection.ts";
import {
  hasRoom,
  type MessageSink as ConnectionSink,
  pushMessages,
  UNREAD_MESSAGE_OVERHEAD,
  whenDrained,
} from "../ws/_socket_connection.ts";
import type { ClientError } from "./_client_publish.ts";
import type { Feed, FeedEnd, FeedOwner } from "./_feed.ts";
import {
  ANSWERS_UNREAD,
  AUTHORIZE_FAILED,
  CREDENTIALS_EXPIRED,
  GOING_AWAY,
  INTERNAL_ERROR,
  MAX_PENDING,
  POLICY_VIOLATION,
  type SessionContext,
  type SessionRequest,
  SHUTTING_DOWN,
  TOO_MANY_ERRORS,
  TOO_MANY_PENDING,
} from "./_session_context.ts";
import { Queue } from "../_internal/queue.ts";
import { scheduleExpiry, stillValid } from "./_expiry.ts";
import {
  ConnectionRecord,
  type Peer,
  queuedIn,
  type RecordOwner,
} from "./_connection_record.ts";

/**
 * A session's outbox, between `whenDrained` and the flush: a connection
 * that closes ends the session through its incoming messages (their end),
 * which drops the outbox; nothing to do here.
 */
function ignoreClosing(): void {}

/** Parses a text frame as a JSON object, or says why it is not one. */
export function parseObject(
  data: string,
): Record<string, unknown> | ClientError {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return {
      code: "invalid-json",
      message: "Cannot parse message: it is not valid JSON",
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      code: "invalid-message",
      message: "Cannot read message: it is not a JSON object",
    };
  }
  return value as Record<string, unknown>;
}

/**
 * The yes-or-no state of a {@linkcode Session}, as bits of one field
 * rather than a field each (8 bytes each, per connection).
 */
const SessionFlag = {
  /** A message is being handled (or its answer waits): the next ones wait. */
  BUSY: 1,
  /** A handled message's promise has not settled yet. */
  HANDLING: 2,
  /** The session has ended: no message is handled any more. */
  STOPPED: 4,
  /** An answer waits in the outbox: the next request waits for it. */
  ANSWERING: 8,
  /** `whenDrained` is pending. */
  DRAINING: 16,
} as const;

/** Where handling one message left a session: `"stop"` ends it. */
export type Handled = void | "stop";

/**
 * What both kinds of session share: the client's messages handled one at a
 * time, in order (those that arrive meanwhile wait, bounded like a
 * connection's unread messages), consecutive client errors counted, and
 * the end, whether the connection closed or the handler's signal aborted.
 * One object per connection with its logic in shared methods, so that a
 * hub holding many idle connections pays little for each.
 *
 * Everything the session sends (answers, errors, the feeds' messages) goes
 * through {@linkcode Session.transmit}, which sends only while the
 * connection buffers at most `maxBufferedBytes`; past it, messages wait in
 * the outbox (at most one per feed, plus one answer: a feed asks for its
 * next message, and the session handles its next request, only once the
 * last one went out). So a client that does not read costs at most the
 * buffer limit plus one message of output, and, while an answer waits,
 * `maxBufferedBytes` of requests waiting behind it, past which it is
 * closed with 1008.
 */
export abstract class Session
  implements ConnectionSink, FeedOwner, RecordOwner {
  readonly connection: WsConnection;
  /**
   * For the hooks; `undefined` when only default hooks can be asked. A
   * `refresh` replaces it.
   */
  request: SessionRequest | undefined;
  /** Who is at the other end; set before {@linkcode Session.listen}. */
  peer: Peer | undefined;
  /** The client, as the handler's `identify` hook named it at the upgrade. */
  identity: PresenceIdentity | undefined;
  /** This connection in the hub's counters, from {@linkcode Session.listen}. */
  record!: ConnectionRecord;
  /** What the session needs from its handler. */
  readonly context: SessionContext;
  #errors = 0;
  /**
   * Messages that arrived while one was handled, and their cost; made on
   * the first.
   */
  #pending: Queue<string | Uint8Array> | undefined;
  #pendingBytes = 0;
  /** Bits of {@linkcode SessionFlag}. */
  #flags = 0;
  /**
   * What waits for the connection's buffer to drain, from `#outboxHead`
   * on: pairs of text and its owner (the feed to pull once it went out,
   * or `undefined` for an answer).
   */
  #outbox: (string | Feed | undefined)[] | undefined;
  #outboxHead = 0;
  /** Resumes an iterating session that waits for the handling to end. */
  #resume: (() => void) | undefined;
  /** Cancels the expiry of the credentials, when one is scheduled. */
  #cancelExpiry: (() => void) | undefined;
  /** Counts `expiresAt` checks: an answer older than the last is dropped. */
  #checks = 0;

  constructor(
    connection: WsConnection,
    request: SessionRequest | undefined,
    context: SessionContext,
  ) {
    this.connection = connection;
    this.request = request;
    this.context = context;
  }

  hasFlag(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }

  setFlag(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }

  /** Whether the session has ended: no message is handled any more. */
  get stopped(): boolean {
    return this.hasFlag(SessionFlag.STOPPED);
  }

  /** Handles one message; a promise holds the next ones back. */
  abstract handle(data: string | Uint8Array): Handled | Promise<Handled>;
  /** Releases every subscription. */
  abstract release(): void;
  /** The text of a client error for this kind of session. */
  abstract errorMessage(error: ClientError & { topic?: string }): string;
  /** A subscription ended by itself: its queue overflowed, or the hub closed. */
  abstract feedEnded(feed: Feed, end: FeedEnd): void;
  /** `"websocket"` or `"serverpush.v1"`, for the counters. */
  abstract readonly transport: string;
  /** The subscriptions, for the queued bytes. */
  abstract feeds(): Iterable<Feed>;

  topicNames(): string[] {
    const names: string[] = [];
    for (const feed of this.feeds()) names.push(feed.topic);
    return names;
  }

  queuedBytes(): number {
    let bytes = this.connection.bufferedAmount;
    for (const feed of this.feeds()) bytes += queuedIn(feed.subscriber);
    return bytes;
  }

  /** Sends `text` and counts it. */
  #send(text: string): void {
    void this.connection.send(text);
    this.record.sent(text.length);
  }

  /** Starts taking the client's messages. */
  listen(): void {
    this.record = new ConnectionRecord(
      this.context.counters,
      this.transport,
      this.peer,
      this,
    );
    this.context.sessions.add(this);
    if (!pushMessages(this.connection, this)) void this.#iterate();
  }

  /**
   * For a connection that cannot push its messages (the codec engine's,
   * say): iterate it, reading nothing more while a message is handled or
   * its answer waits for the buffer to drain, so what the client sends
   * meanwhile stays in the connection, bounded by its `maxUnreadBytes`
   * (past which it stops reading from the network).
   */
  async #iterate(): Promise<void> {
    // The loop may wait for the handling while the connection closes.
    this.connection.closed.then(() => this.#stop());
    try {
      for await (const data of this.connection) {
        this.message(data);
        if (
          this.hasFlag(SessionFlag.BUSY) && !this.hasFlag(SessionFlag.STOPPED)
        ) {
          await new Promise<void>((resolve) => this.#resume = resolve);
        }
        if (this.hasFlag(SessionFlag.STOPPED)) break;
      }
    } finally {
      this.messagesEnded();
    }
  }

  /** Lets {@linkcode #iterate} read on, if it waits. */
  #wake(): void {
    const resume = this.#resume;
    if (resume === undefined) return;
    this.#resume = undefined;
    resume();
  }

  message(data: string | Uint8Array): void {
    if (this.hasFlag(SessionFlag.STOPPED)) return;
    this.record.received(
      typeof data === "string" ? data.length : data.byteLength,
    );
    if (!this.hasFlag(SessionFlag.BUSY)) {
      this.#run(data);
      return;
    }
    const cost = (typeof data === "string" ? data.length : data.byteLength) +
      UNREAD_MESSAGE_OVERHEAD;
    // Behind an answer the client does not read, requests count against
    // the buffer limit: each would make another answer.
    const answering = this.hasFlag(SessionFlag.ANSWERING);
    const limit = answering
      ? Math.min(MAX_PENDING, this.context.maxBufferedBytes)
      : MAX_PENDING;
    if (this.#pendingBytes > 0 && this.#pendingBytes + cost > limit) {
      this.record.cut(
        "unread",
        answering ? "does not read the answers" : "sends too fast",
      );
      void this.connection.close(
        POLICY_VIOLATION,
        answering ? ANSWERS_UNREAD : TOO_MANY_PENDING,
      );
      this.#stop();
      return;
    }
    (this.#pending ??= new Queue()).push(data);
    this.#pendingBytes += cost;
  }

  #run(data: string | Uint8Array): void {
    const result = this.handle(data);
    if (result === undefined) {
      if (this.hasFlag(SessionFlag.ANSWERING)) {
        this.setFlag(SessionFlag.BUSY, true);
      }
      return;
    }
    if (result === "stop") {
      this.#stop();
      return;
    }
    this.setFlag(SessionFlag.BUSY, true);
    this.setFlag(SessionFlag.HANDLING, true);
    result.then((handled) => {
      this.setFlag(SessionFlag.HANDLING, false);
      this.#after(handled);
    });
  }

  /** One message is handled: on to the next one that waits. */
  #after(handled: Handled): void {
    if (handled === "stop") {
      this.setFlag(SessionFlag.BUSY, false);
      this.#stop();
      return;
    }
    // Its answer waits for the buffer to drain: the flush goes on.
    if (this.hasFlag(SessionFlag.ANSWERING)) return;
    this.setFlag(SessionFlag.BUSY, false);
    while (
      !this.hasFlag(SessionFlag.BUSY) && !this.hasFlag(SessionFlag.STOPPED)
    ) {
      const data = this.#pending?.shift();
      if (data === undefined) break;
      this.#pendingBytes -=
        (typeof data === "string" ? data.length : data.byteLength) +
        UNREAD_MESSAGE_OVERHEAD;
      this.#run(data);
    }
    if (!this.hasFlag(SessionFlag.BUSY)) this.#wake();
  }

  /** The connection closed: the session is over. */
  messagesEnded(): void {
    this.#stop();
  }

  /** The handler's signal aborted: close the connection. */
  end(): void {
    void this.connection.close(GOING_AWAY, SHUTTING_DOWN);
    this.#stop();
  }

  #stop(): void {
    if (this.hasFlag(SessionFlag.STOPPED)) return;
    this.setFlag(SessionFlag.STOPPED, true);
    this.#pending = undefined;
    this.#pendingBytes = 0;
    this.#outbox = undefined;
    this.#outboxHead = 0;
    this.setFlag(SessionFlag.ANSWERING, false);
    this.#cancelExpiry?.();
    this.#cancelExpiry = undefined;
    this.context.sessions.delete(this);
    this.record?.close();
    this.release();
    this.#wake();
  }

  /**
   * Asks `expiresAt` when the credentials of `request` expire and
   * schedules the end of the session then, in place of any earlier one.
   * Resolves `true` when they are valid, `false` when they are not (nothing
   * is scheduled), `undefined` when the session stopped meanwhile, a newer
   * check came first, or the hook threw (reported; the connection is
   * closed with 1011).
   */
  async checkCredentials(request: Request): Promise<boolean | undefined> {
    const expiresAt = this.context.expiresAt;
    if (expiresAt === undefined) return true;
    const check = ++this.#checks;
    let time: number | false | undefined;
    try {
      time = await expiresAt(request);
    } catch (error) {
      this.context.onError?.(error);
      void this.connection.close(INTERNAL_ERROR, AUTHORIZE_FAILED);
      this.#stop();
      return undefined;
    }
    if (this.hasFlag(SessionFlag.STOPPED) || check !== this.#checks) {
      return undefined;
    }
    if (!stillValid(time)) return false;
    this.#cancelExpiry?.();
    this.#cancelExpiry = typeof time === "number"
      ? scheduleExpiry(time, () => this.expire())
      : undefined;
    return true;
  }

  /**
   * Checks the credentials of the upgrade request (see
   * {@linkcode checkCredentials}); closes with 1008 when they are not
   * valid.
   */
  watchCredentials(): void {
    // Nothing to watch (the common case) costs no promise.
    if (this.context.expiresAt === undefined || this.request === undefined) {
      return;
    }
    void this.#checkCredentialsNow(this.request);
  }

  async #checkCredentialsNow(request: SessionRequest): Promise<void> {
    if (await this.checkCredentials(request()) === false) this.expire();
  }

  /** The credentials expired: close the connection with 1008. */
  expire(): void {
    void this.connection.close(POLICY_VIOLATION, CREDENTIALS_EXPIRED);
    this.#stop();
  }

  /**
   * Sends `text` now if the connection buffers at most `maxBufferedBytes`
   * and nothing waits before it, and returns `true`; else queues it in the
   * outbox and returns `false`: once it went out, `owner` is pulled, or,
   * for an answer (`owner` undefined), the next request is handled.
   */
  transmit(text: string, owner: Feed | undefined): boolean {
    const connection = this.connection;
    if (
      this.#outbox === undefined &&
      hasRoom(connection, this.context.maxBufferedBytes)
    ) {
      this.#send(text);
      return true;
    }
    if (this.hasFlag(SessionFlag.STOPPED)) return false;
    (this.#outbox ??= []).push(text, owner);
    if (owner === undefined) this.setFlag(SessionFlag.ANSWERING, true);
    this.#waitForDrain();
    return false;
  }

  /** Sends an answer or error to the client; see {@linkcode transmit}. */
  answer(text: string): void {
    this.transmit(text, undefined);
  }

  #waitForDrain(): void {
    if (this.hasFlag(SessionFlag.DRAINING)) return;
    this.setFlag(SessionFlag.DRAINING, true);
    whenDrained(this.connection, this.context.maxBufferedBytes).then(
      () => this.#flush(),
      ignoreClosing,
    );
  }

  /** The buffer drained: sends what waits, as long as there is room. */
  #flush(): void {
    this.setFlag(SessionFlag.DRAINING, false);
    const connection = this.connection;
    const max = this.context.maxBufferedBytes;
    while (!this.hasFlag(SessionFlag.STOPPED)) {
      const outbox = this.#outbox;
      if (outbox === undefined) return;
      if (this.#outboxHead >= outbox.length) {
        this.#outbox = undefined;
        this.#outboxHead = 0;
        return;
      }
      if (!hasRoom(connection, max)) {
        this.#waitForDrain();
        return;
      }
      const head = this.#outboxHead;
      const text = outbox[head] as string;
      const owner = outbox[head + 1] as Feed | undefined;
      outbox[head] = undefined;
      outbox[head + 1] = undefined;
      this.#outboxHead = head + 2;
      if (this.#outboxHead >= 1024 && this.#outboxHead * 2 >= outbox.length) {
        // Feeds keep adding while others wait: drop the sent slots.
        this.#outbox = outbox.slice(this.#outboxHead);
        this.#outboxHead = 0;
      }
      if (owner !== undefined) {
        // A feed that was cancelled meanwhile drops its message.
        if (owner.cancelled) continue;
        this.#send(text);
        owner.subscriber.pull();
        continue;
      }
      this.#send(text);
      const rest = this.#outbox!;
      if (rest.indexOf(undefined, this.#outboxHead) >= 0) continue;
      // That was the last answer waiting: requests go on.
      this.setFlag(SessionFlag.ANSWERING, false);
      if (
        this.hasFlag(SessionFlag.BUSY) && !this.hasFlag(SessionFlag.HANDLING)
      ) this.#after(undefined);
    }
  }

  /**
   * Sends the client an error; the one that makes `maxClientErrors`
   * closes the connection with 1008 after it.
   */
  fail(error: ClientError & { topic?: string }): void {
    this.#errors++;
    this.answer(this.errorMessage(error));
    if (this.#errors >= this.context.maxClientErrors) {
      this.record.cut("errors", "sent too many invalid messages");
      void this.connection.close(POLICY_VIOLATION, TOO_MANY_ERRORS);
    }
  }

  /** A subscription's queue overflowed: the client is cut off. */
  cutSlow(topic: string): void {
    this.record.cut("slow", `reads topic "${topic}" too slowly`);
  }

  /**
   * A message was published: the count of errors starts again. (Only a
   * publish resets it: subscribe and unsubscribe cost the client nothing,
   * so alternating them with bad messages must not dodge the limit.)
   */
  ok(): void {
    this.#errors = 0;
  }
}
