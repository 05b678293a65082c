// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import type { Hub } from "../../hub/mod.ts";
import {
  openHub,
  publishAll,
  serve,
  type TestServer,
  until,
} from "../polling/_helpers.ts";
import { createHubHandler, type HubHandlerOptions } from "../../serve/mod.ts";
import { droppableHandler } from "../_droppable_handler.ts";
import {
  connect,
  type ConnectOptions,
  type PushClient,
  type PushEvent,
  type PushTransport,
  type PushTransportChange,
} from "../../client/mod.ts";

const TOPIC = "t";

/** A client iterated in the background, with what it yielded. */
interface Running {
  client: PushClient;
  events: PushEvent[];
  changes: PushTransportChange[];
  /** Settles when the iteration ends. */
  done: Promise<void>;
  /** Closes the client and waits for the iteration to end. */
  stop(): Promise<void>;
}

function run(url: string, options: ConnectOptions = {}): Running {
  const changes: PushTransportChange[] = [];
  const client = connect(url, {
    ...options,
    onTransportChange: (change) => changes.push(change),
  });
  const events: PushEvent[] = [];
  const done = (async () => {
    for await (const event of client) events.push(event);
  })();
  return {
    client,
    events,
    changes,
    done,
    async stop(): Promise<void> {
      await client.close();
      await done;
    },
  };
}

/** Data of messages (as text), and `reset:<reason>` for resets. */
function texts(events: readonly PushEvent[]): string[] {
  return events.map((event) =>
    event.kind === "message"
      ? String(event.data)
      : event.kind === "reset"
      ? `reset:${event.reason}`
      : event.kind
  );
}

function isUpgrade(request: Request): boolean {
  return (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

function wantsSse(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

/**
 * What a buffering proxy does to a stream: the headers go out at once, the
 * bytes only when the upstream body ends, which for an event stream is
 * never.
 */
function buffered(response: Response): Response {
  const reader = response.body!.getReader();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const chunks: Uint8Array[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
      if (cancelled) return;
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
    cancel(reason): Promise<void> {
      cancelled = true;
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    headers: response.headers,
  });
}

/** Options of every hub handler here: SSE sends `retry:` first. */
const HANDLER_OPTIONS: HubHandlerOptions = {
  retry: 50,
  authorizePublish: () => true,
};

/**
 * A hub behind a front handler that can refuse WebSocket upgrades and
 * buffer SSE responses, the way a proxy might.
 */
interface Front extends AsyncDisposable {
  hub: Hub & AsyncDisposable;
  server: TestServer;
  /** The topic URL. */
  url: string;
  refuseWebSocket: boolean;
  bufferSse: boolean;
  /** Requests seen, by transport. */
  requests: Record<"websocket" | "sse" | "longpoll" | "poll" | "post", number>;
  /** How each stream or poll request resumed, in order. */
  resumes: Resume[];
  /**
   * Ends every stream of the current hub handler (WebSockets close with
   * 1001, SSE bodies end) and serves later requests with a new one.
   */
  dropStreams(): void;
}

/** What a request asked for: `?history=`, and the id it resumed after. */
interface Resume {
  transport: string;
  history: string | null;
  /** `?since=`, `Last-Event-ID` or `?cursor=`. */
  after: string | null;
}

function resumeOf(request: Request, transport: string): Resume {
  const url = new URL(request.url);
  return {
    transport,
    history: url.searchParams.get("history"),
    after: url.searchParams.get("since") ??
      request.headers.get("last-event-id") ?? url.searchParams.get("cursor"),
  };
}

function startFront(options: HubHandlerOptions = HANDLER_OPTIONS): Front {
  const hub = openHub();
  const handler = droppableHandler(hub, options);
  const requests = { websocket: 0, sse: 0, longpoll: 0, poll: 0, post: 0 };
  const resumes: Resume[] = [];
  const front: Omit<Front, "server" | "url"> = {
    hub,
    resumes,
    refuseWebSocket: false,
    bufferSse: false,
    requests,
    dropStreams: handler.drop,
    async [Symbol.asyncDispose](): Promise<void> {
      handler.stop();
      await hub.close();
      await server.server.shutdown();
    },
  };
  const server = serve(async (request) => {
    const transport = new URL(request.url).searchParams.get("transport");
    if (isUpgrade(request)) {
      requests.websocket++;
      resumes.push(resumeOf(request, "websocket"));
      if (front.refuseWebSocket) {
        return new Response("WebSocket refused", { status: 403 });
      }
    } else if (request.method === "POST") {
      requests.post++;
    } else if (transport === "longpoll" || transport === "poll") {
      requests[transport]++;
      resumes.push(resumeOf(request, transport));
    } else if (wantsSse(request)) {
      requests.sse++;
      resumes.push(resumeOf(request, "sse"));
      if (front.bufferSse) return buffered(await handler.handle(request));
    }
    return await handler.handle(request);
  });
  return Object.assign(front, { server, url: `${server.url}${TOPIC}` });
}

Deno.test("connect uses a WebSocket first and receives every message after since", async () => {
  await using front = startFront();
  const [since] = await publishAll(front.hub, TOPIC, ["before"]);
  const client = run(front.url, { since });
  try {
    await publishAll(front.hub, TOPIC, ["a", "b", "c"]);
    await until(() => client.events.length >= 3, "three messages");
    strictEqual(client.client.transport, "websocket");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["a", "b", "c"]);
  deepStrictEqual(client.changes, []);
  strictEqual(front.requests.sse, 0);
});

Deno.test("connect without since receives what is published once it is connected", async (t) => {
  for (const transport of ["websocket", "sse"] as const) {
    await t.step(transport, async () => {
      await using front = startFront();
      const client = run(front.url, { transports: [transport] });
      const published: string[] = [];
      try {
        // Nothing says when the stream is subscribed: publish until it is.
        while (client.events.length === 0) {
          published.push(`m${published.length}`);
          await publishAll(front.hub, TOPIC, published.slice(-1));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await publishAll(front.hub, TOPIC, ["last"]);
        published.push("last");
        await until(() => texts(client.events).includes("last"), "the last");
      } finally {
        await client.stop();
      }
      const received = texts(client.events);
      deepStrictEqual(received, published.slice(-received.length));
    });
  }
});

Deno.test("connect falls back to SSE when the WebSocket upgrade is refused", async () => {
  await using front = startFront();
  front.refuseWebSocket = true;
  const [since] = await publishAll(front.hub, TOPIC, ["before"]);
  const client = run(front.url, { since });
  const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
  try {
    // Published while the client tries the WebSocket and switches.
    await publishAll(front.hub, TOPIC, expected.slice(0, 10));
    await until(() => client.client.transport === "sse", "the switch to SSE");
    await publishAll(front.hub, TOPIC, expected.slice(10));
    await until(() => client.events.length >= 20, "every message");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), expected);
  deepStrictEqual(
    client.changes.map((c) => [c.previous, c.transport]),
    [["websocket", "sse"]],
  );
  match(client.changes[0]!.reason, /refused/);
  strictEqual(front.requests.websocket, 1);
  strictEqual(front.requests.longpoll, 0);
});

Deno.test("connect falls back when a WebSocket closes abnormally before its first message", async () => {
  await using hub = openHub();
  const handler = createHubHandler(hub, HANDLER_OPTIONS);
  let upgrades = 0;
  await using server = serve((request) => {
    if (!isUpgrade(request)) return handler(request);
    upgrades++;
    // A proxy that lets the upgrade through, then drops the connection.
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () => socket.close(1011, "cut");
    return response;
  });
  const [since] = await publishAll(hub, TOPIC, ["before"]);
  const client = run(`${server.url}${TOPIC}`, { since });
  try {
    await until(() => client.client.transport === "sse", "the switch to SSE");
    await publishAll(hub, TOPIC, ["after"]);
    await until(() => client.events.length >= 1, "a message");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["after"]);
  match(client.changes[0]!.reason, /closed with code 1011/);
  strictEqual(upgrades, 1);
});

Deno.test("connect falls back to long polling when a proxy buffers the SSE stream", async () => {
  await using front = startFront();
  front.bufferSse = true;
  const [since] = await publishAll(front.hub, TOPIC, ["before"]);
  const client = run(front.url, {
    since,
    transports: ["sse", "longpoll"],
    firstByteTimeout: 1000,
  });
  try {
    await until(() => front.requests.sse === 1, "the SSE request");
    // Goes into the buffered stream, which never reaches the client.
    await publishAll(front.hub, TOPIC, ["held"]);
    await until(
      () => client.client.transport === "longpoll",
      "the switch to long polling",
    );
    await publishAll(front.hub, TOPIC, ["live"]);
    await until(() => client.events.length >= 2, "two messages");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["held", "live"]);
  deepStrictEqual(
    client.changes.map((c) => [c.previous, c.transport]),
    [["sse", "longpoll"]],
  );
  match(client.changes[0]!.reason, /no bytes within firstByteTimeout/);
});

Deno.test("connect loses and repeats nothing across two fallbacks", async () => {
  await using front = startFront();
  const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
  const client = run(front.url, { since, firstByteTimeout: 1000, retry: 20 });
  const expected: string[] = [];
  async function publish(...data: string[]): Promise<void> {
    expected.push(...data);
    await publishAll(front.hub, TOPIC, data);
  }
  try {
    await publish("before 1", "before 2");
    await until(() => client.events.length >= 2, "the first messages");
    strictEqual(client.client.transport, "websocket");

    // The WebSocket ends, and its reconnection is refused; SSE is buffered.
    front.refuseWebSocket = true;
    front.bufferSse = true;
    front.dropStreams();
    await publish("during 1", "during 2");
    await until(() => client.client.transport === "sse", "the switch to SSE");
    await publish("during 3");
    await until(
      () => client.client.transport === "longpoll",
      "the switch to long polling",
    );
    await publish("after 1", "after 2", "after 3");
    await until(
      () => client.events.length >= expected.length,
      "every message",
    );
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), expected);
  const ids = client.events.map((e) => e.kind === "message" ? e.id : "");
  const published =
    (await front.hub.history(TOPIC, { since: since! })).messages;
  deepStrictEqual(ids, published.map((m) => m.kind === "message" && m.id));
  deepStrictEqual(
    client.changes.map((c) => [c.previous, c.transport]),
    [["websocket", "sse"], ["sse", "longpoll"]],
  );
  strictEqual(client.client.lastEventId, ids.at(-1));
});

Deno.test("connect resumes on the same transport when a working stream ends", async (t) => {
  for (const transport of ["websocket", "sse"] as const) {
    await t.step(transport, async () => {
      await using front = startFront();
      const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
      const client = run(front.url, {
        since,
        transports: [transport],
        retry: 20,
      });
      try {
        await publishAll(front.hub, TOPIC, ["one"]);
        await until(() => client.events.length >= 1, "a message");
        front.dropStreams();
        await publishAll(front.hub, TOPIC, ["two", "three"]);
        await until(() => client.events.length >= 3, "the missed messages");
      } finally {
        await client.stop();
      }
      deepStrictEqual(texts(client.events), ["one", "two", "three"]);
      deepStrictEqual(client.changes, []);
      strictEqual(front.requests[transport], 2);
    });
  }
});

Deno.test("connect delivers a reset when the server cannot resume from since", async (t) => {
  for (const transport of ["websocket", "sse", "longpoll", "poll"] as const) {
    await t.step(transport, async () => {
      await using front = startFront();
      const client = run(front.url, {
        since: "no-such-id",
        transports: [transport],
        pollInterval: 20,
      });
      try {
        await until(() => client.events.length >= 1, "the reset");
        await publishAll(front.hub, TOPIC, ["next"]);
        await until(() => client.events.length >= 2, "a message");
      } finally {
        await client.stop();
      }
      deepStrictEqual(texts(client.events), ["reset:unknown-id", "next"]);
    });
  }
});

Deno.test("connect sends with a POST on every transport", async (t) => {
  const cases: [PushTransport, ConnectOptions][] = [
    ["websocket", {}],
    ["sse", {}],
    ["longpoll", {}],
    ["poll", { pollInterval: 20 }],
  ];
  for (const [transport, options] of cases) {
    await t.step(transport, async () => {
      await using front = startFront();
      const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
      const client = run(front.url, {
        ...options,
        since,
        transports: [transport],
      });
      try {
        await client.client.send("hello", { event: "greeting" });
        await client.client.send(new Uint8Array([1, 2, 3]));
        await until(() => client.events.length >= 2, "both messages");
      } finally {
        await client.stop();
      }
      strictEqual(front.requests.post, 2);
      const [text, bytes] = client.events;
      deepStrictEqual(
        text?.kind === "message" && [text.event, text.data],
        ["greeting", "hello"],
      );
      // SSE carries text only: bytes arrive as their base64 text.
      deepStrictEqual(
        bytes?.kind === "message" && bytes.data,
        transport === "sse" ? "AQID" : new Uint8Array([1, 2, 3]),
      );
    });
  }
});

Deno.test("connect sends over the WebSocket with publishOverWebSocket", async () => {
  await using front = startFront({ ...HANDLER_OPTIONS, allowPublish: true });
  const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
  const client = run(front.url, { since, publishOverWebSocket: true });
  try {
    // Before the socket opens, a POST is the only way.
    await client.client.send("by post");
    await until(() => client.events.length >= 1, "the first message");
    await client.client.send("by socket", { event: "greeting" });
    await client.client.send(new Uint8Array([255, 0]));
    await until(() => client.events.length >= 3, "the other messages");
  } finally {
    await client.stop();
  }
  strictEqual(front.requests.post, 1);
  deepStrictEqual(
    client.events.map((e) => e.kind === "message" && [e.event, e.data]),
    [
      [undefined, "by post"],
      ["greeting", "by socket"],
      [undefined, new Uint8Array([255, 0])],
    ],
  );
});

Deno.test("connect reports the server's refusals of what it sends", async (t) => {
  await t.step("a POST rejects with the status", async () => {
    await using front = startFront({ retry: 50 });
    const client = run(front.url, { transports: ["sse"] });
    try {
      await rejects(
        client.client.send("hi"),
        /^Error: Cannot send message: the server answered 403 .*not authorized/,
      );
    } finally {
      await client.stop();
    }
  });
  await t.step("a refusal over the WebSocket goes to onError", async () => {
    await using front = startFront({ retry: 50 });
    const errors: Error[] = [];
    const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
    const client = run(front.url, {
      since,
      publishOverWebSocket: true,
      onError: (error) => errors.push(error),
    });
    try {
      await publishAll(front.hub, TOPIC, ["open"]);
      await until(() => client.events.length >= 1, "the socket to work");
      await client.client.send("hi");
      await until(() => errors.length >= 1, "the refusal");
    } finally {
      await client.stop();
    }
    strictEqual(errors[0]!.cause, "publish-disabled");
    match(errors[0]!.message, /not enabled/);
    deepStrictEqual(texts(client.events), ["open"]);
  });
});

Deno.test("connect ends the iteration when the last transport is refused for good", async (t) => {
  await using server = serve(() => new Response("gone", { status: 404 }));
  for (const transport of ["sse", "longpoll"] as const) {
    await t.step(transport, async () => {
      const client = run(`${server.url}${TOPIC}`, { transports: [transport] });
      await rejects(client.done, /404/);
      await client.client.close();
      strictEqual(client.client.closed, true);
    });
  }
});

Deno.test("connect close() stops every transport and ends the iteration", async (t) => {
  const cases: [string, ConnectOptions, (front: Front) => void][] = [
    ["an open WebSocket", { transports: ["websocket"] }, () => {}],
    ["an open SSE stream", { transports: ["sse"] }, () => {}],
    ["a held long poll", { transports: ["longpoll"] }, () => {}],
    ["short polling", { transports: ["poll"], pollInterval: 10 }, () => {}],
    [
      "a buffered SSE stream during its timeout",
      { transports: ["sse", "longpoll"], firstByteTimeout: 60_000 },
      (front) => front.bufferSse = true,
    ],
  ];
  for (const [name, options, setUp] of cases) {
    await t.step(name, async () => {
      await using front = startFront();
      setUp(front);
      const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
      const client = run(front.url, { ...options, since });
      const transport = options.transports![0]!;
      await until(() => front.requests[transport] >= 1, "a request");
      await client.stop();
      strictEqual(client.client.closed, true);
      deepStrictEqual(client.events, []);
      await until(
        () => front.hub.stats().subscribers === 0,
        "the subscription to end",
      );
      await rejects(client.client.send("late"), /client is closed/);
    });
  }
});

Deno.test("connect closes when its signal aborts, and when the loop is left", async () => {
  await using front = startFront();
  const controller = new AbortController();
  const first = connect(front.url, {
    signal: controller.signal,
    transports: ["sse"],
  });
  const pending = first[Symbol.asyncIterator]().next();
  await until(() => front.requests.sse >= 1, "the SSE request");
  controller.abort();
  deepStrictEqual(await pending, { done: true, value: undefined });
  strictEqual(first.closed, true);
  await first.close();

  const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
  const second = connect(front.url, { since });
  await publishAll(front.hub, TOPIC, ["one", "two"]);
  for await (const event of second) {
    strictEqual(event.kind === "message" && event.data, "one");
    break;
  }
  strictEqual(second.closed, true);
  await second.close();
});

Deno.test("connect allows one iterator", async () => {
  const client = connect("http://127.0.0.1:9/t", {
    signal: AbortSignal.abort(),
  });
  client[Symbol.asyncIterator]();
  throws(() => client[Symbol.asyncIterator](), TypeError);
  await client.close();
});

Deno.test("connect throws on a bad URL, transport list or option", () => {
  throws(() => connect("ftp://example.com/t"), TypeError);
  throws(() => connect("http://[::1/t"), TypeError);
  throws(() => connect("http://localhost/t", { transports: [] }), TypeError);
  throws(
    () =>
      connect("http://localhost/t", {
        transports: ["sse", "carrier-pigeon" as PushTransport],
      }),
    TypeError,
  );
  throws(
    () => connect("http://localhost/t", { transports: ["sse", "sse"] }),
    TypeError,
  );
  throws(
    () => connect("http://localhost/t", { firstByteTimeout: -1 }),
    RangeError,
  );
  throws(
    () => connect("http://localhost/t", { maxQueuedEvents: 0 }),
    RangeError,
  );
  for (const history of [-1, 1.5, 10_001, Number.NaN]) {
    throws(() => connect("http://localhost/t", { history }), RangeError);
  }
});

Deno.test("connect turns a ws: URL into the same topic over every transport", async () => {
  await using front = startFront();
  const [since] = await publishAll(front.hub, TOPIC, ["seen"]);
  const client = run(front.url.replace("http:", "ws:"), {
    since,
    transports: ["longpoll"],
  });
  try {
    await publishAll(front.hub, TOPIC, ["hi"]);
    await until(() => client.events.length >= 1, "a message");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["hi"]);
  ok(front.requests.longpoll >= 1);
});

const ALL_TRANSPORTS = ["websocket", "sse", "longpoll", "poll"] as const;

Deno.test("connect with history receives the newest messages first, then live ones, on every transport", async (t) => {
  for (const transport of ALL_TRANSPORTS) {
    await t.step(transport, async () => {
      await using front = startFront();
      await publishAll(front.hub, TOPIC, ["a", "b", "c"]);
      const client = run(front.url, {
        transports: [transport],
        history: 2,
        pollInterval: 20,
      });
      try {
        await until(() => client.events.length >= 2, "the history");
        await publishAll(front.hub, TOPIC, ["d"]);
        await until(() => client.events.length >= 3, "the live message");
      } finally {
        await client.stop();
      }
      deepStrictEqual(texts(client.events), ["b", "c", "d"]);
      deepStrictEqual(front.resumes[0], {
        transport,
        history: "2",
        after: null,
      });
    });
  }
});

Deno.test("connect asks for history once and resumes after its last id on a reconnect", async (t) => {
  for (const transport of ["websocket", "sse"] as const) {
    await t.step(transport, async () => {
      await using front = startFront();
      await publishAll(front.hub, TOPIC, ["a", "b"]);
      const client = run(front.url, {
        transports: [transport],
        history: 5,
        retry: 20,
      });
      let ids: string[];
      try {
        await until(() => client.events.length >= 2, "the history");
        front.dropStreams();
        ids = await publishAll(front.hub, TOPIC, ["c"]);
        await until(() => client.events.length >= 3, "the missed message");
      } finally {
        await client.stop();
      }
      deepStrictEqual(texts(client.events), ["a", "b", "c"]);
      const [first, second] = front.resumes;
      deepStrictEqual(first, { transport, history: "5", after: null });
      // The second connection resumes after "b" and asks for no history.
      const messages = (await front.hub.history(TOPIC)).messages;
      deepStrictEqual(second, {
        transport,
        history: null,
        after: messages[1]!.id,
      });
      strictEqual(client.client.lastEventId, ids[0]);
    });
  }
});

Deno.test("connect asks for history again after a fallback that delivered nothing", async () => {
  await using front = startFront();
  front.refuseWebSocket = true;
  await publishAll(front.hub, TOPIC, ["a", "b"]);
  const client = run(front.url, { history: 1 });
  try {
    await until(() => client.events.length >= 1, "the history");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["b"]);
  deepStrictEqual(
    front.resumes.slice(0, 2).map((r) => [r.transport, r.history]),
    [["websocket", "1"], ["sse", "1"]],
  );
});

Deno.test("connect ignores history when it resumes after since", async () => {
  await using front = startFront();
  const [since] = await publishAll(front.hub, TOPIC, ["a", "b", "c"]);
  const client = run(front.url, { since, history: 1 });
  try {
    await until(() => client.events.length >= 2, "two messages");
  } finally {
    await client.stop();
  }
  deepStrictEqual(texts(client.events), ["b", "c"]);
  deepStrictEqual(front.resumes[0], {
    transport: "websocket",
    history: null,
    after: since,
  });
});
