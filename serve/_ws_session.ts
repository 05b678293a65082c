// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what the hub handler does on an accepted WebSocket, in its two
// modes: one topic (plain JSON frames) and serverpush.v1 (several topics).

import type { WsConnection } from "../ws/connection.ts";
import {
  DEFAULT_MAX_UNREAD_BYTES,
  hasRoom,
  type MessageSink as ConnectionSink,
  pushMessages,
  UNREAD_MESSAGE_OVERHEAD,
  whenDrained,
} from "../ws/_socket_connection.ts";
import type {
  MessageFeed,
  MessageSink,
  MessageSource,
} from "../message/source.ts";
import { encodedOnce } from "../message/encoded_once.ts";
import type { HubMessage } from "../message/message.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import {
  type ClientError,
  isClientError,
  readClientPublish,
} from "./_client_publish.ts";
import { checkTopic } from "../message/topic.ts";
import { isTooManyTopics } from "../_internal/too_many_topics.ts";
import { quote } from "../_internal/quote.ts";

/** The subprotocol name of the multiplexing protocol. */
export const MULTIPLEX_PROTOCOL = "serverpush.v1";

/** Longest `since` a client may send, in UTF-16 code units. */
const MAX_SINCE_LENGTH = 1024;

/** Decides whether a request may do something with a topic. */
export type SessionAuthorize = (
  request: Request,
  topic: string,
) => boolean | Response | Promise<boolean | Response>;

/** Subscribes a sink to a topic ({@linkcode MessageSource.open}). */
export type OpenSubscriber = (
  topic: string,
  since: string | undefined,
  sink: MessageSink,
) => MessageFeed;

/** What a session needs from its handler. */
export interface SessionContext {
  source: MessageSource;
  open: OpenSubscriber;
  /**
   * Bound on the bytes queued for the client: the session sends nothing
   * more while they are over it (its connection's `maxBufferedBytes`).
   */
  maxBufferedBytes: number;
  /** `undefined` when every subscription is allowed (the default). */
  authorizeSubscribe: SessionAuthorize | undefined;
  authorizePublish: SessionAuthorize;
  allowPublish: boolean;
  maxPublishBytes: number;
  maxSubscriptions: number;
  maxClientErrors: number;
  onError: ((error: unknown) => void) | undefined;
  /** Open sessions, ended together when the handler's signal aborts. */
  sessions: Set<{ end(): void }>;
}

/** Close codes and reasons the sessions use. */
const GOING_AWAY = 1001;
const UNSUPPORTED_DATA = 1003;
const POLICY_VIOLATION = 1008;
const INTERNAL_ERROR = 1011;
const TOO_SLOW = "Cannot deliver messages: the client reads too slowly";
const HUB_CLOSED = "Cannot deliver messages: the hub is closed";
const SHUTTING_DOWN = "Cannot deliver messages: the server is shutting down";
const TOO_MANY_ERRORS = "Cannot continue: too many invalid messages";
const AUTHORIZE_FAILED = "Cannot authorize request: the check failed";
/**
 * Most bytes of client messages waiting while one is handled (each counts
 * its length plus a fixed overhead), as a connection's default
 * `maxUnreadBytes`; past it the connection closes with 1008.
 */
const MAX_PENDING = DEFAULT_MAX_UNREAD_BYTES;
const TOO_MANY_PENDING =
  `Cannot queue message: unread messages exceed maxUnreadBytes of ${MAX_PENDING}`;
const ANSWERS_UNREAD =
  "Cannot queue message: the client does not read the answers";

/**
 * A subscription whose messages go to a connection through its session
 * (see {@linkcode Session.transmit}), each as `encode(message)`: the next
 * one is asked for once this one went out, so a feed holds at most one
 * message while the client does not read, and the subscriber's bounded
 * queue takes the rest. When the subscription ends by itself,
 * `session.feedEnded` hears how.
 */
class Feed implements MessageSink {
  readonly subscriber: MessageFeed;
  readonly topic: string;
  /** Set by {@linkcode Feed.cancel}: a held message is dropped. */
  cancelled = false;
  #session: Session;
  #encode: (message: HubMessage) => string;

  /** Subscribes; throws what `open` throws (a closed hub). */
  constructor(
    session: Session,
    topic: string,
    since: string | undefined,
    encode: (message: HubMessage) => string,
  ) {
    this.#session = session;
    this.topic = topic;
    this.#encode = encode;
    this.subscriber = session.context.open(topic, since, this);
    this.subscriber.pull();
  }

  deliver(message: HubMessage): void {
    // When the message waits in the session, the session pulls once it
    // went out.
    if (this.#session.transmit(this.#encode(message), this)) {
      this.subscriber.pull();
    }
  }

  /** Ends the subscription (the client unsubscribed or left). */
  cancel(): void {
    this.cancelled = true;
    this.subscriber.cancel();
  }

  error(): void {
    this.#session.feedEnded(this, "overflow");
  }

  close(): void {
    this.#session.feedEnded(this, "done");
  }
}

/**
 * A session's outbox, between `whenDrained` and the flush: a connection
 * that closes ends the session through its incoming messages (their end),
 * which drops the outbox; nothing to do here.
 */
function ignoreClosing(): void {}

/**
 * The upgrade request as the session's hooks see it: Deno's own can no
 * longer be read once upgraded, so this is a copy of its URL and headers,
 * made when first needed.
 */
export type SessionRequest = () => Request;

/**
 * Asks a hook; a thrown error is reported and counts as a refusal. Without
 * a request (the handler passes none when only default hooks that allow
 * everything can be asked), allows.
 */
async function allowed(
  authorize: SessionAuthorize,
  request: SessionRequest | undefined,
  topic: string,
  context: SessionContext,
  connection: WsConnection,
): Promise<boolean> {
  if (request === undefined) return true;
  try {
    return (await authorize(request(), topic)) === true;
  } catch (error) {
    context.onError?.(error);
    void connection.close(INTERNAL_ERROR, AUTHORIZE_FAILED);
    return false;
  }
}

/** Parses a text frame as a JSON object, or says why it is not one. */
function parseObject(
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

/** Publishes what a client sent, after the handler's checks. */
async function clientPublish(
  request: SessionRequest | undefined,
  topic: string,
  value: Record<string, unknown>,
  context: SessionContext,
  connection: WsConnection,
): Promise<string | ClientError | undefined> {
  if (!context.allowPublish) {
    return {
      code: "publish-disabled",
      message: `Cannot publish to topic ${
        quote(topic)
      }: publishing over WebSocket is not enabled`,
    };
  }
  const message = readClientPublish(topic, value, context.maxPublishBytes);
  if (isClientError(message)) return message;
  if (
    !await allowed(
      context.authorizePublish,
      request,
      topic,
      context,
      connection,
    )
  ) {
    return {
      code: "unauthorized",
      message: `Cannot publish to topic ${quote(topic)}: not authorized`,
    };
  }
  const publish = context.source.publish;
  if (publish === undefined) {
    return {
      code: "unauthorized",
      message: `Cannot publish to topic ${
        quote(topic)
      }: the source is read-only`,
    };
  }
  try {
    return await publish.call(context.source, topic, message);
  } catch (error) {
    if (isTooManyTopics(error)) {
      return { code: "too-many-topics", message: (error as Error).message };
    }
    if (error instanceof RangeError) {
      return { code: "too-large", message: error.message };
    }
    if (error instanceof TypeError) {
      return { code: "invalid-message", message: error.message };
    }
    // The hub is closed, or its backend failed.
    context.onError?.(error);
    void connection.close(GOING_AWAY, HUB_CLOSED);
    return undefined;
  }
}

/** `{"type":"message","topic":…,"id":…,…}`, from the cached JSON form. */
function toMultiplexJson(message: HubMessage): string {
  if (message.kind === "reset") {
    return JSON.stringify({
      type: "reset",
      topic: message.topic,
      reason: message.reason,
    });
  }
  return `{"type":"message","topic":${JSON.stringify(message.topic)},${
    hubMessageToJson(message).slice(1)
  }`;
}

function multiplexJson(message: HubMessage): string {
  return encodedOnce(message, toMultiplexJson);
}

/** Reads and checks the `topic` of a serverpush.v1 request. */
function readTopic(
  action: string,
  value: Record<string, unknown>,
): string | ClientError {
  const { topic } = value;
  try {
    checkTopic(action, topic);
  } catch (error) {
    return { code: "invalid-topic", message: (error as TypeError).message };
  }
  return topic as string;
}

/** Where handling one message left a session: `"stop"` ends it. */
type Handled = void | "stop";

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
abstract class Session implements ConnectionSink {
  readonly connection: WsConnection;
  /** For the hooks; `undefined` when only default hooks can be asked. */
  readonly request: SessionRequest | undefined;
  readonly context: SessionContext;
  #errors = 0;
  /**
   * Messages that arrived while one was handled (from `#pendingHead` on),
   * and their cost.
   */
  #pending: (string | Uint8Array)[] | undefined;
  #pendingHead = 0;
  #pendingBytes = 0;
  #busy = false;
  /** A handled message's promise has not settled yet. */
  #handling = false;
  #stopped = false;
  /**
   * What waits for the connection's buffer to drain, from `#outboxHead`
   * on: pairs of text and its owner (the feed to pull once it went out,
   * or `undefined` for an answer).
   */
  #outbox: (string | Feed | undefined)[] | undefined;
  #outboxHead = 0;
  /** An answer waits in the outbox: the next request waits for it. */
  #answering = false;
  /** `whenDrained` is pending. */
  #draining = false;

  constructor(
    connection: WsConnection,
    request: SessionRequest | undefined,
    context: SessionContext,
  ) {
    this.connection = connection;
    this.request = request;
    this.context = context;
  }

  /** Whether the session has ended: no message is handled any more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Handles one message; a promise holds the next ones back. */
  abstract handle(data: string | Uint8Array): Handled | Promise<Handled>;
  /** Releases every subscription. */
  abstract release(): void;
  /** The text of a client error for this kind of session. */
  abstract errorMessage(error: ClientError & { topic?: string }): string;
  /** A subscription ended by itself: its queue overflowed, or the hub closed. */
  abstract feedEnded(feed: Feed, end: "done" | "overflow"): void;

  /** Starts taking the client's messages. */
  listen(): void {
    this.context.sessions.add(this);
    if (!pushMessages(this.connection, this)) void this.#iterate();
  }

  /** For a connection that cannot push its messages: iterate it. */
  async #iterate(): Promise<void> {
    try {
      for await (const data of this.connection) {
        this.message(data);
        if (this.#stopped) break;
      }
    } finally {
      this.messagesEnded();
    }
  }

  message(data: string | Uint8Array): void {
    if (this.#stopped) return;
    if (!this.#busy) {
      this.#run(data);
      return;
    }
    const cost = (typeof data === "string" ? data.length : data.byteLength) +
      UNREAD_MESSAGE_OVERHEAD;
    // Behind an answer the client does not read, requests count against
    // the buffer limit: each would make another answer.
    const answering = this.#answering;
    const limit = answering
      ? Math.min(MAX_PENDING, this.context.maxBufferedBytes)
      : MAX_PENDING;
    if (this.#pendingBytes > 0 && this.#pendingBytes + cost > limit) {
      void this.connection.close(
        POLICY_VIOLATION,
        answering ? ANSWERS_UNREAD : TOO_MANY_PENDING,
      );
      this.#stop();
      return;
    }
    (this.#pending ??= []).push(data);
    this.#pendingBytes += cost;
  }

  #run(data: string | Uint8Array): void {
    const result = this.handle(data);
    if (result === undefined) {
      if (this.#answering) this.#busy = true;
      return;
    }
    if (result === "stop") {
      this.#stop();
      return;
    }
    this.#busy = true;
    this.#handling = true;
    result.then((handled) => {
      this.#handling = false;
      this.#after(handled);
    });
  }

  /** One message is handled: on to the next one that waits. */
  #after(handled: Handled): void {
    if (handled === "stop") {
      this.#busy = false;
      this.#stop();
      return;
    }
    // Its answer waits for the buffer to drain: the flush goes on.
    if (this.#answering) return;
    this.#busy = false;
    while (!this.#busy && !this.#stopped) {
      const pending = this.#pending;
      if (pending === undefined) break;
      // A head index rather than shift(): linear in the messages queued.
      const data = pending[this.#pendingHead]!;
      pending[this.#pendingHead++] = "";
      if (this.#pendingHead === pending.length) {
        this.#pending = undefined;
        this.#pendingHead = 0;
      } else if (
        this.#pendingHead >= 1024 && this.#pendingHead * 2 >= pending.length
      ) {
        // Messages keep coming while others wait: drop the handled slots.
        this.#pending = pending.slice(this.#pendingHead);
        this.#pendingHead = 0;
      }
      this.#pendingBytes -=
        (typeof data === "string" ? data.length : data.byteLength) +
        UNREAD_MESSAGE_OVERHEAD;
      this.#run(data);
    }
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
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pending = undefined;
    this.#pendingHead = 0;
    this.#pendingBytes = 0;
    this.#outbox = undefined;
    this.#outboxHead = 0;
    this.#answering = false;
    this.context.sessions.delete(this);
    this.release();
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
      void connection.send(text);
      return true;
    }
    if (this.#stopped) return false;
    (this.#outbox ??= []).push(text, owner);
    if (owner === undefined) this.#answering = true;
    this.#waitForDrain();
    return false;
  }

  /** Sends an answer or error to the client; see {@linkcode transmit}. */
  answer(text: string): void {
    this.transmit(text, undefined);
  }

  #waitForDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    whenDrained(this.connection, this.context.maxBufferedBytes).then(
      () => this.#flush(),
      ignoreClosing,
    );
  }

  /** The buffer drained: sends what waits, as long as there is room. */
  #flush(): void {
    this.#draining = false;
    const connection = this.connection;
    const max = this.context.maxBufferedBytes;
    while (!this.#stopped) {
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
        void connection.send(text);
        owner.subscriber.pull();
        continue;
      }
      void connection.send(text);
      const rest = this.#outbox!;
      if (rest.indexOf(undefined, this.#outboxHead) >= 0) continue;
      // That was the last answer waiting: requests go on.
      this.#answering = false;
      if (this.#busy && !this.#handling) this.#after(undefined);
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
      void this.connection.close(POLICY_VIOLATION, TOO_MANY_ERRORS);
    }
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

/**
 * One topic over a WebSocket: every message after `since` as
 * `hubMessageToJson` text, and, when allowed, publishes from
 * `{ "event"?, "data", "encoding"? }` frames. Refusals go to the client as
 * `{ "error": code, "message": text }`.
 */
class TopicSession extends Session {
  #topic: string;
  #feed: Feed | undefined;

  constructor(
    connection: WsConnection,
    request: SessionRequest | undefined,
    topic: string,
    context: SessionContext,
  ) {
    super(connection, request, context);
    this.#topic = topic;
  }

  start(since: string | undefined): void {
    try {
      this.#feed = new Feed(this, this.#topic, since, hubMessageToJson);
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      this.context.onError?.(error);
      void this.connection.close(GOING_AWAY, HUB_CLOSED);
      return;
    }
    this.listen();
  }

  handle(data: string | Uint8Array): Handled | Promise<Handled> {
    if (typeof data !== "string") {
      void this.connection.close(
        UNSUPPORTED_DATA,
        "Cannot accept message: only text messages are accepted",
      );
      return "stop";
    }
    const value = parseObject(data);
    if (isClientError(value)) {
      this.fail(value);
      return;
    }
    return this.#publish(value);
  }

  async #publish(value: Record<string, unknown>): Promise<Handled> {
    const result = await clientPublish(
      this.request,
      this.#topic,
      value,
      this.context,
      this.connection,
    );
    if (result === undefined) return "stop";
    if (typeof result === "string") this.ok();
    else this.fail(result);
  }

  release(): void {
    this.#feed?.cancel();
  }

  errorMessage(error: ClientError): string {
    return JSON.stringify({ error: error.code, message: error.message });
  }

  feedEnded(_feed: Feed, end: "done" | "overflow"): void {
    void this.connection.close(
      end === "done" ? GOING_AWAY : POLICY_VIOLATION,
      end === "done" ? HUB_CLOSED : TOO_SLOW,
    );
  }
}

/**
 * Serves one topic over an accepted WebSocket (see {@linkcode TopicSession}).
 */
export function runTopicSession(
  connection: WsConnection,
  request: SessionRequest | undefined,
  topic: string,
  since: string | undefined,
  context: SessionContext,
): void {
  new TopicSession(connection, request, topic, context).start(since);
}

/** What handling one serverpush.v1 request came to. */
type Outcome = ClientError | "ok" | "stop";

/**
 * The serverpush.v1 subprotocol over a WebSocket: the client subscribes to,
 * unsubscribes from and publishes to topics by name; every server message
 * carries a `type` and, but for some errors, a `topic`.
 */
class MultiplexSession extends Session {
  /** The subscriptions by topic, made on the first. */
  #subscriptions: Map<string, Feed> | undefined;

  handle(data: string | Uint8Array): Handled | Promise<Handled> {
    if (typeof data !== "string") {
      void this.connection.close(
        UNSUPPORTED_DATA,
        `Cannot accept message: ${MULTIPLEX_PROTOCOL} takes text messages only`,
      );
      return "stop";
    }
    const value = parseObject(data);
    if (isClientError(value)) {
      this.fail(value);
      return;
    }
    const outcome = this.#dispatch(value);
    if (typeof outcome === "string" || !(outcome instanceof Promise)) {
      return this.#settle(value, outcome);
    }
    return outcome.then((result) => this.#settle(value, result));
  }

  #dispatch(value: Record<string, unknown>): Outcome | Promise<Outcome> {
    switch (value.type) {
      case "subscribe":
        return this.#subscribe(value);
      case "unsubscribe":
        return this.#unsubscribe(value);
      case "publish":
        return this.#publish(value);
      default:
        return {
          code: "unknown-type",
          message: `Cannot handle message: type ${
            quote(value.type)
          } is not subscribe, unsubscribe or publish`,
        };
    }
  }

  #settle(value: Record<string, unknown>, outcome: Outcome): Handled {
    if (outcome === "stop") return "stop";
    if (outcome === "ok") return;
    const topic = typeof value.topic === "string" &&
        outcome.code !== "invalid-topic"
      ? value.topic
      : undefined;
    this.fail(topic === undefined ? outcome : { ...outcome, topic });
  }

  #send(value: Record<string, string>): void {
    this.answer(JSON.stringify(value));
  }

  async #subscribe(value: Record<string, unknown>): Promise<Outcome> {
    const topic = readTopic("subscribe to", value);
    if (isClientError(topic)) return topic;
    const { since } = value;
    if (
      since !== undefined &&
      (typeof since !== "string" || since.length > MAX_SINCE_LENGTH)
    ) {
      return {
        code: "invalid-message",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: since is not a string of at most ${MAX_SINCE_LENGTH} characters`,
      };
    }
    const already = this.#alreadySubscribed(topic);
    if (already !== undefined) return already;
    const count = this.#subscriptions?.size ?? 0;
    if (count >= this.context.maxSubscriptions) {
      return {
        code: "too-many-subscriptions",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: this connection has ${count} subscriptions, the most allowed`,
      };
    }
    const authorize = this.context.authorizeSubscribe;
    if (
      authorize !== undefined &&
      !await allowed(
        authorize,
        this.request,
        topic,
        this.context,
        this.connection,
      )
    ) {
      return {
        code: "unauthorized",
        message: `Cannot subscribe to topic ${quote(topic)}: not authorized`,
      };
    }
    // The hook may have taken a while: check again.
    if (this.stopped) return "stop";
    const again = this.#alreadySubscribed(topic);
    if (again !== undefined) return again;
    // "subscribed" goes out before any message of the topic.
    this.#send({ type: "subscribed", topic });
    let feed: Feed;
    try {
      feed = new Feed(
        this,
        topic,
        since === undefined || since === "" ? undefined : since,
        multiplexJson,
      );
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      this.context.onError?.(error);
      void this.connection.close(GOING_AWAY, HUB_CLOSED);
      return "stop";
    }
    (this.#subscriptions ??= new Map()).set(topic, feed);
    return "ok";
  }

  #alreadySubscribed(topic: string): ClientError | undefined {
    if (this.#subscriptions?.has(topic) !== true) return undefined;
    return {
      code: "already-subscribed",
      message: `Cannot subscribe to topic ${
        quote(topic)
      }: this connection is subscribed to it already`,
    };
  }

  #unsubscribe(value: Record<string, unknown>): Outcome {
    const topic = readTopic("unsubscribe from", value);
    if (isClientError(topic)) return topic;
    const feed = this.#subscriptions?.get(topic);
    if (feed === undefined) {
      return {
        code: "not-subscribed",
        message: `Cannot unsubscribe from topic ${
          quote(topic)
        }: this connection is not subscribed to it`,
      };
    }
    this.#subscriptions!.delete(topic);
    feed.cancel();
    this.#send({ type: "unsubscribed", topic });
    return "ok";
  }

  async #publish(value: Record<string, unknown>): Promise<Outcome> {
    const topic = readTopic("publish to", value);
    if (isClientError(topic)) return topic;
    const result = await clientPublish(
      this.request,
      topic,
      value,
      this.context,
      this.connection,
    );
    if (result === undefined) return "stop";
    if (typeof result !== "string") return result;
    this.ok();
    this.#send({ type: "published", topic, id: result });
    return "ok";
  }

  release(): void {
    const subscriptions = this.#subscriptions;
    if (subscriptions === undefined) return;
    for (const feed of subscriptions.values()) feed.cancel();
    subscriptions.clear();
  }

  errorMessage(error: ClientError & { topic?: string }): string {
    return JSON.stringify(
      error.topic === undefined
        ? { type: "error", code: error.code, message: error.message }
        : {
          type: "error",
          code: error.code,
          message: error.message,
          topic: error.topic,
        },
    );
  }

  feedEnded(feed: Feed, end: "done" | "overflow"): void {
    if (end === "overflow") {
      void this.connection.close(POLICY_VIOLATION, TOO_SLOW);
    } else if (this.#subscriptions?.get(feed.topic) === feed) {
      void this.connection.close(GOING_AWAY, HUB_CLOSED);
    }
  }
}

/**
 * Serves the serverpush.v1 subprotocol over an accepted WebSocket (see
 * {@linkcode MultiplexSession}).
 */
export function runMultiplexSession(
  connection: WsConnection,
  request: SessionRequest | undefined,
  context: SessionContext,
): void {
  new MultiplexSession(connection, request, context).listen();
}
