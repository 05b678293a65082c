// Copyright 2026 the serverpush authors. MIT license.
// The subscribers of the fault test, one kind per transport. Each records
// what it delivers (messages and resets) and, whenever its connection ends,
// connects again and resumes after the last id it delivered, the way an
// application would. The library's clients are used: SseClient for SSE,
// connect() for the one-topic WebSocket and long polling, connectMultiplex
// for serverpush.v1, the NulDelimitedDecoderStream for the TCP relay's lines.

import { connect, connectMultiplex } from "../../client/mod.ts";
import { SseClient } from "../../sse/mod.ts";
import { NulDelimitedDecoderStream } from "../../tcp/mod.ts";
import { delay } from "../_wait.ts";

/** What a subscriber delivered, in order. */
export type Delivered =
  | { readonly kind: "message"; readonly id: string; readonly data: string }
  | { readonly kind: "reset"; readonly reason: string };

/** The transports of the fault test. */
export const TRANSPORTS = [
  "sse",
  "websocket",
  "serverpush.v1",
  "longpoll",
  "tcp",
] as const;

/** One of {@linkcode TRANSPORTS}. */
export type Transport = typeof TRANSPORTS[number];

/** A running subscriber. */
export interface Subscriber {
  readonly transport: Transport;
  readonly delivered: readonly Delivered[];
  /** Connections made, the first included. */
  readonly connections: number;
  /** Messages delivered so far. */
  readonly messages: number;
  close(): Promise<void>;
}

/** Where the subscribers connect: the balancers' ports. */
export interface Endpoints {
  readonly httpPort: number;
  readonly relayPort: number;
  readonly topic: string;
}

/** Milliseconds between a connection's end and the next attempt. */
const RECONNECT_MS = 200;

/**
 * The bookkeeping every subscriber shares: the record, the last id, and a
 * loop that reconnects until closed.
 */
class Recorder {
  readonly delivered: Delivered[] = [];
  connections = 0;
  messages = 0;
  lastId: string;
  readonly stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(since: string) {
    this.lastId = since;
  }

  message(id: string, data: string): void {
    this.delivered.push({ kind: "message", id, data });
    this.messages++;
    this.lastId = id;
  }

  reset(reason: string): void {
    this.delivered.push({ kind: "reset", reason });
  }

  /** Runs `once` (one connection, until it ends) again and again. */
  run(once: () => Promise<void>): void {
    this.#loop = (async () => {
      while (!this.stop.signal.aborted) {
        this.connections++;
        try {
          await once();
        } catch {
          // The connection failed: try again.
        }
        if (!this.stop.signal.aborted) await delay(RECONNECT_MS);
      }
    })();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.#loop;
  }
}

function subscriber(transport: Transport, record: Recorder): Subscriber {
  return {
    transport,
    delivered: record.delivered,
    get connections() {
      return record.connections;
    },
    get messages() {
      return record.messages;
    },
    close: () => record.close(),
  };
}

/** SSE through SseClient, which resumes with Last-Event-ID by itself. */
function sse(record: Recorder, { httpPort, topic }: Endpoints): Promise<void> {
  // SseClient reconnects by itself after a network error or the end of a
  // stream; a response that is not a 200 event stream (a 503 while the
  // backend is away) closes it for good, and then this starts a new one
  // from the last id.
  const client = new SseClient(`http://127.0.0.1:${httpPort}/${topic}`, {
    lastEventId: record.lastId,
    retry: RECONNECT_MS,
    minRetry: 100,
    maxRetry: 1000,
  });
  client.addEventListener("message", (event) => {
    record.message(event.lastEventId, String(event.data));
  });
  client.addEventListener("serverpush-reset", (event) => {
    record.reset(String((event as MessageEvent).data));
  });
  return new Promise<void>((resolve) => {
    const done = (): void => {
      client.close();
      resolve();
    };
    client.addEventListener("error", () => {
      if (client.readyState === SseClient.CLOSED) done();
    });
    record.stop.signal.addEventListener("abort", done, { once: true });
  });
}

/** The one-topic WebSocket, or long polling, through connect(). */
async function unified(
  record: Recorder,
  { httpPort, topic }: Endpoints,
  transport: "websocket" | "longpoll",
): Promise<void> {
  // connect() resumes by itself across reconnections; it ends only on an
  // error it deems final, and then this starts a new one from the last id.
  const client = connect(`http://127.0.0.1:${httpPort}/${topic}`, {
    transports: [transport],
    since: record.lastId,
    retry: RECONNECT_MS,
    minRetry: 100,
    maxRetry: 1000,
    firstByteTimeout: 3000,
    requestTimeout: 8000,
    signal: record.stop.signal,
  });
  try {
    for await (const event of client) {
      if (event.kind === "message") {
        record.message(event.id, String(event.data));
      } else if (event.kind === "reset") record.reset(event.reason);
    }
  } finally {
    await client.close();
  }
}

/**
 * serverpush.v1 through connectMultiplex, which subscribes again after the
 * last id on each new WebSocket; it ends only on an error it deems final,
 * and then this starts a new one from the last id.
 */
async function v1(
  record: Recorder,
  { httpPort, topic }: Endpoints,
): Promise<void> {
  const client = connectMultiplex(`ws://127.0.0.1:${httpPort}/`, {
    retry: RECONNECT_MS,
    maxRetry: 1000,
    signal: record.stop.signal,
  });
  try {
    for await (
      const event of client.subscribe(topic, { since: record.lastId })
    ) {
      if (event.kind === "message") {
        record.message(event.id, String(event.data));
      } else if (event.kind === "reset") record.reset(event.reason);
    }
  } finally {
    await client.close();
  }
}

/** The TCP relay in JSON-lines mode: `subscribe <topic> <last id>`. */
async function tcp(
  record: Recorder,
  { relayPort, topic }: Endpoints,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: relayPort });
  const onAbort = (): void => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  };
  record.stop.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await conn.write(
      new TextEncoder().encode(`subscribe ${topic} ${record.lastId}\n`),
    );
    const lines = conn.readable.pipeThrough(
      new NulDelimitedDecoderStream({ mode: "line" }),
    );
    for await (const line of lines) {
      // The first line is the connection's id, others may be notices;
      // the topic's messages are JSON objects with the topic first.
      if (!line.startsWith('{"topic"')) continue;
      const frame = JSON.parse(line);
      if (frame.reset !== undefined) record.reset(frame.reset);
      else record.message(frame.id, frame.data);
    }
  } finally {
    record.stop.signal.removeEventListener("abort", onAbort);
    onAbort();
  }
}

/** Starts a subscriber of `transport` that resumes after `since`. */
export function startSubscriber(
  transport: Transport,
  endpoints: Endpoints,
  since: string,
): Subscriber {
  const record = new Recorder(since);
  const once: Record<Transport, () => Promise<void>> = {
    "sse": () => sse(record, endpoints),
    "websocket": () => unified(record, endpoints, "websocket"),
    "serverpush.v1": () => v1(record, endpoints),
    "longpoll": () => unified(record, endpoints, "longpoll"),
    "tcp": () => tcp(record, endpoints),
  };
  record.run(once[transport]);
  return subscriber(transport, record);
}
