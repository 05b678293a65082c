// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the serverpush.v1 client behind `connectMultiplex`: one
// WebSocket, reopened with backoff, its subscriptions made again after the
// last id each delivered, its unanswered publishes sent again with their
// idempotency keys.

import { backoffDelay } from "../_internal/backoff.ts";
import { truncate } from "../_internal/truncate.ts";
import { sleep } from "../_internal/sleep.ts";
import { SERVERPUSH_V1 } from "../message/serverpush_v1.ts";
import { parsePresence, presenceEvent } from "./_presence_event.ts";
import { EventQueue } from "./_event_queue.ts";
import { parseJsonData, readMessageFields } from "./_json_data.ts";
import { publishFields, type SendOptions } from "./_send_options.ts";
import type {
  ClientWebSocket,
  MultiplexWebSocketClass,
} from "./client_web_socket.ts";
import type { PushEvent } from "./push_client.ts";

/** `connectMultiplex`'s options, checked, with their defaults. */
export interface MultiplexSettings {
  readonly url: URL;
  readonly WebSocket: MultiplexWebSocketClass | undefined;
  readonly retry: number;
  readonly maxRetry: number;
  readonly maxQueuedEvents: number;
  readonly onError: ((error: Error) => void) | undefined;
}

/** A publish waiting for the server's answer. */
interface Publish {
  readonly topic: string;
  readonly frame: string;
  readonly retries: number;
  /** How many times it went out. */
  sent: number;
  resolve(id: string): void;
  reject(error: unknown): void;
}

/** What an answer of the server answers, in the order the requests went. */
type Awaited =
  | { kind: "subscribe"; subscription: Subscription }
  | { kind: "unsubscribe" }
  | { kind: "publish"; publish: Publish };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One topic subscribed to: its queue, and what it asks for. */
export class Subscription {
  readonly topic: string;
  readonly queue: EventQueue;
  readonly history: number | undefined;
  readonly state: boolean;
  readonly presence: boolean;
  readonly json: boolean;
  readonly stopped = new AbortController();
  #client: MultiplexConnection;
  #iterating = false;

  constructor(
    client: MultiplexConnection,
    topic: string,
    options: {
      since: string | undefined;
      history: number | undefined;
      state: boolean;
      presence: boolean;
      json: boolean;
    },
  ) {
    this.#client = client;
    this.topic = topic;
    this.history = options.history;
    this.state = options.state;
    this.presence = options.presence;
    this.json = options.json;
    this.queue = new EventQueue(
      client.settings.maxQueuedEvents,
      options.since,
      this.stopped.signal,
    );
  }

  /**
   * The `subscribe` request: after the last id, else with history; with
   * `state` either way (after an id the window cannot cover, the server
   * sends a reset and then the state).
   */
  request(): string {
    const since = this.queue.lastEventId;
    const state = {
      ...(this.state ? { state: true } : {}),
      ...(this.presence ? { presence: true } : {}),
    };
    return JSON.stringify(
      since !== undefined
        ? { type: "subscribe", topic: this.topic, since, ...state }
        : this.history !== undefined
        ? {
          type: "subscribe",
          topic: this.topic,
          history: this.history,
          ...state,
        }
        : { type: "subscribe", topic: this.topic, ...state },
    );
  }

  /** Ends the iteration (done, or with `error`) and unsubscribes. */
  end(error?: unknown): void {
    if (this.stopped.signal.aborted) return;
    this.queue.end(error === undefined ? null : { error });
    this.stopped.abort();
    this.#client.unsubscribe(this);
  }

  iterator(): AsyncIterator<PushEvent, undefined> {
    if (this.#iterating) {
      throw new TypeError(
        `Cannot iterate subscription to topic ${
          JSON.stringify(truncate(this.topic, 40))
        }: it already has an iterator`,
      );
    }
    this.#iterating = true;
    return {
      next: async (): Promise<IteratorResult<PushEvent, undefined>> => {
        const result = await this.queue.next();
        if (!this.json || result.done === true) return result;
        if (result.value.kind !== "message") return result;
        try {
          return { done: false, value: parseJsonData(result.value) };
        } catch (error) {
          this.queue.clear();
          this.end();
          throw error;
        }
      },
      return: (): Promise<IteratorResult<PushEvent, undefined>> => {
        this.queue.clear();
        this.end();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

/** The connection, reopened until closed. */
export class MultiplexConnection {
  readonly settings: MultiplexSettings;
  readonly subscriptions = new Map<string, Subscription>();
  readonly stopped = new AbortController();
  /** The publishes not answered yet, in the order they were made. */
  readonly #publishes = new Set<Publish>();
  #socket: ClientWebSocket | undefined;
  #open = false;
  #awaited: Awaited[] = [];
  #running: Promise<void>;

  constructor(settings: MultiplexSettings) {
    this.settings = settings;
    this.#running = this.#run();
  }

  get connected(): boolean {
    return this.#open;
  }

  /** Sends `text` on the open socket. */
  #send(text: string, awaited: Awaited): void {
    this.#socket!.send(text);
    this.#awaited.push(awaited);
  }

  subscribe(subscription: Subscription): void {
    this.subscriptions.set(subscription.topic, subscription);
    if (this.#open) {
      this.#send(subscription.request(), { kind: "subscribe", subscription });
    }
  }

  unsubscribe(subscription: Subscription): void {
    if (this.subscriptions.get(subscription.topic) !== subscription) return;
    this.subscriptions.delete(subscription.topic);
    if (this.#open) {
      this.#send(
        JSON.stringify({ type: "unsubscribe", topic: subscription.topic }),
        { kind: "unsubscribe" },
      );
    }
  }

  publish(
    topic: string,
    data: string | Uint8Array,
    options: SendOptions,
  ): Promise<string> {
    if (this.stopped.signal.aborted) {
      return Promise.reject(
        new Error("Cannot publish: the client is closed"),
      );
    }
    return new Promise((resolve, reject) => {
      const publish: Publish = {
        topic,
        frame: JSON.stringify({
          type: "publish",
          topic,
          ...publishFields(data, options),
        }),
        retries: options.retries,
        sent: 0,
        resolve,
        reject,
      };
      this.#publishes.add(publish);
      if (this.#open) this.#transmit(publish);
    });
  }

  #transmit(publish: Publish): void {
    publish.sent++;
    this.#send(publish.frame, { kind: "publish", publish });
  }

  close(): Promise<void> {
    if (!this.stopped.signal.aborted) {
      this.stopped.abort();
      this.#socket?.close(1000);
      for (const subscription of this.subscriptions.values()) {
        subscription.queue.clear();
        subscription.stopped.abort();
      }
      this.subscriptions.clear();
      this.#rejectAll(new Error("Cannot publish: the client is closed"));
    }
    return this.#running;
  }

  /** Ends everything with `error`: a message the client cannot read. */
  #fail(error: unknown): void {
    for (const subscription of this.subscriptions.values()) {
      subscription.queue.end({ error });
      subscription.stopped.abort();
    }
    this.subscriptions.clear();
    this.#rejectAll(error);
    this.stopped.abort();
    this.#socket?.close(1000);
  }

  #rejectAll(error: unknown): void {
    for (const publish of this.#publishes) publish.reject(error);
    this.#publishes.clear();
  }

  async #run(): Promise<void> {
    const { retry, maxRetry } = this.settings;
    let failures = 0;
    while (!this.stopped.signal.aborted) {
      const answered = await this.#connection();
      if (this.stopped.signal.aborted) return;
      failures = answered ? 0 : failures + 1;
      await sleep(
        backoffDelay(failures, retry, Math.max(maxRetry, retry)),
        this.stopped.signal,
      );
    }
  }

  /**
   * Opens one socket and serves it until it closes; resolves with whether
   * the server answered anything on it.
   */
  #connection(): Promise<boolean> {
    const WebSocketClass = this.settings.WebSocket;
    if (WebSocketClass === undefined) {
      this.#fail(
        new TypeError(
          "Cannot connect: this runtime has no WebSocket class (pass CodecWebSocket from @serverpush/serverpush/ws as the WebSocket option)",
        ),
      );
      return Promise.resolve(false);
    }
    const target = new URL(this.settings.url);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    let socket: ClientWebSocket;
    try {
      socket = new WebSocketClass(String(target), SERVERPUSH_V1);
    } catch (error) {
      this.#fail(error);
      return Promise.resolve(false);
    }
    this.#socket = socket;
    let answered = false;
    return new Promise((resolve) => {
      const stop = (): void => socket.close(1000);
      this.stopped.signal.addEventListener("abort", stop, { once: true });
      socket.onopen = (): void => {
        if (this.stopped.signal.aborted) return;
        this.#open = true;
        for (const subscription of this.subscriptions.values()) {
          this.#send(subscription.request(), {
            kind: "subscribe",
            subscription,
          });
        }
        for (const publish of this.#publishes) this.#transmit(publish);
      };
      socket.onmessage = (event: { readonly data: unknown }): void => {
        if (this.stopped.signal.aborted) return;
        answered = true;
        try {
          this.#receive(event.data);
        } catch (error) {
          this.#fail(error);
        }
      };
      socket.onclose = (): void => {
        this.stopped.signal.removeEventListener("abort", stop);
        this.#open = false;
        this.#socket = undefined;
        this.#awaited = [];
        // Publishes sent as often as allowed fail; the others go again.
        for (const publish of this.#publishes) {
          if (publish.sent > publish.retries) {
            this.#publishes.delete(publish);
            publish.reject(
              new Error(
                `Cannot publish to topic ${
                  JSON.stringify(truncate(publish.topic, 40))
                }: the connection closed before the server answered, ${publish.sent} times`,
              ),
            );
          }
        }
        resolve(answered);
      };
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== "string") {
      throw new SyntaxError(
        "Cannot read serverpush.v1 message: it is binary, expected JSON text",
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (cause) {
      throw new SyntaxError(
        `Cannot read serverpush.v1 message: ${
          JSON.stringify(truncate(data, 40))
        } is not JSON`,
        { cause },
      );
    }
    if (!isObject(value) || typeof value.type !== "string") {
      throw new SyntaxError(
        `Cannot read serverpush.v1 message: ${
          JSON.stringify(truncate(data, 40))
        } has no type`,
      );
    }
    switch (value.type) {
      case "message":
      case "reset":
      case "join":
      case "leave":
        this.#deliver(value, data);
        return;
      case "subscribed":
      case "unsubscribed":
      case "refreshed":
        this.#awaited.shift();
        return;
      case "published": {
        const awaited = this.#awaited.shift();
        if (awaited?.kind === "publish" && typeof value.id === "string") {
          this.#publishes.delete(awaited.publish);
          awaited.publish.resolve(value.id);
        }
        return;
      }
      case "error": {
        const error = new Error(
          typeof value.message === "string" ? value.message : "error",
          { cause: value.code },
        );
        const awaited = this.#awaited.shift();
        if (awaited?.kind === "publish") {
          this.#publishes.delete(awaited.publish);
          awaited.publish.reject(error);
        } else if (awaited?.kind === "subscribe") {
          // Refused: the server holds no subscription to end.
          const { subscription } = awaited;
          if (this.subscriptions.get(subscription.topic) === subscription) {
            this.subscriptions.delete(subscription.topic);
          }
          subscription.end(error);
        } else {
          this.settings.onError?.(error);
        }
        return;
      }
    }
  }

  #deliver(value: Record<string, unknown>, text: string): void {
    const subscription = typeof value.topic === "string"
      ? this.subscriptions.get(value.topic)
      : undefined;
    // A message of a topic unsubscribed from meanwhile.
    if (subscription === undefined) return;
    let event: PushEvent | undefined;
    if (value.type === "reset") {
      if (typeof value.reason === "string") {
        event = { kind: "reset", reason: value.reason };
      }
    } else if (value.type === "join" || value.type === "leave") {
      // Delivered only to a subscription that asked for presence.
      if (!subscription.presence) return;
      event = presenceEvent(
        value.type,
        parsePresence(value, "serverpush.v1 presence event"),
      );
    } else {
      event = readMessageFields(value);
    }
    if (event === undefined) {
      throw new SyntaxError(
        `Cannot read serverpush.v1 message: ${
          JSON.stringify(truncate(text, 40))
        } is not a message, a reset or a presence event`,
      );
    }
    try {
      subscription.queue.deliver(event);
    } catch (error) {
      // The consumer reads too slowly: this subscription ends.
      subscription.end(error);
    }
  }
}
