// Copyright 2026 the serverpush authors. MIT license.
// The transports page: the same hub topic over WebSocket, Server-Sent Events,
// long polling, short polling and the forever iframe, each in its own lane,
// counting the requests (fetches, connections, iframe loads) it makes.
// Plain browser JavaScript: each lane uses the browser API of its transport
// directly, so the page shows what each one costs on the wire.

import { connectIframe } from "./iframe_transport.js";

const TOPIC = document.body.dataset.topic ?? "/hub/ticker";
/** Named event types to listen for on the EventSource, besides `message`. */
const EVENTS = (document.body.dataset.events ?? "").split(",").filter(Boolean);
const FEED_LENGTH = 8;
const SHORT_POLL_INTERVAL = 1000;
const MIN_RETRY = 500;
const MAX_RETRY = 10_000;
/** How many received ids each lane keeps for the tests. */
const MAX_IDS = 5000;
/**
 * A forever iframe silent this long is taken for dead and loaded again: the
 * hub sends a keep-alive comment after 5 s of silence (see hub_routes.ts).
 */
const IFRAME_STALE_MS = 12_000;

function topicUrl(params = {}) {
  const url = new URL(TOPIC, location.href);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) {
      url.searchParams.set(name, value);
    }
  }
  return url;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(data, encoding) {
  if (data instanceof Uint8Array) return `(${data.length} bytes)`;
  if (encoding === "base64") return `(${atob(data).length} bytes)`;
  return String(data);
}

/** The counters and feed of one lane. */
function lane(name) {
  const root = document.querySelector(`[data-transport="${name}"]`);
  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const conn = $("conn");
  const feed = $("feed");
  const times = [];
  let requests = 0;
  let messages = 0;
  // Kept in `window.__demo.transports[name]` for the browser tests.
  const record = { state: "connecting", requests: 0, rate: 0, ids: [] };
  globalThis.__demo ??= {};
  globalThis.__demo.transports ??= {};
  globalThis.__demo.transports[name] = record;

  function prepend(item) {
    feed.prepend(item);
    while (feed.children.length > FEED_LENGTH) feed.lastElementChild.remove();
  }

  return {
    /** Counts one request or connection. */
    request() {
      requests++;
      record.requests = requests;
      times.push(Date.now());
      $("requests").textContent = String(requests);
      this.tick();
    },
    message({ id, event, data, encoding }) {
      messages++;
      record.ids.push(id);
      if (record.ids.length > MAX_IDS) record.ids.shift();
      $("messages").textContent = String(messages);
      $("last-id").textContent = id;
      root.dataset.lastId = id;
      const item = document.createElement("li");
      item.title = `id ${id}`;
      item.textContent = `${event ? `${event}: ` : ""}${
        describe(data, encoding)
      }`;
      prepend(item);
    },
    reset(reason) {
      const item = document.createElement("li");
      item.className = "reset";
      item.textContent = `reset: ${reason}`;
      prepend(item);
    },
    state(state) {
      record.state = state;
      conn.dataset.state = state;
      $("state").textContent = state;
    },
    /** Shows how many requests the last 60 seconds saw. */
    tick() {
      const since = Date.now() - 60_000;
      while (times.length > 0 && times[0] < since) times.shift();
      record.rate = times.length;
      $("rate").textContent = String(times.length);
    },
  };
}

/** Grows a retry delay, with jitter. */
function backoff(failures) {
  const grown = Math.min(MAX_RETRY, MIN_RETRY * 2 ** failures);
  return grown / 2 + Math.random() * grown / 2;
}

function startWebSocket(view) {
  let since = null;
  let failures = 0;
  function open() {
    const url = topicUrl({ since });
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    view.request();
    const socket = new WebSocket(url);
    socket.onopen = () => {
      failures = 0;
      view.state("open");
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if ("reset" in message) view.reset(message.reset);
      else if ("id" in message) {
        since = message.id;
        view.message(message);
      }
    };
    socket.onclose = () => {
      view.state("reconnecting");
      setTimeout(open, backoff(failures++));
    };
  }
  open();
}

function startSse(view) {
  const source = new EventSource(topicUrl());
  // EventSource reconnects by itself, with Last-Event-ID: each open is one
  // request.
  source.onopen = () => {
    view.request();
    view.state("open");
  };
  source.onerror = () => view.state("reconnecting");
  const onMessage = (event) =>
    view.message({
      id: event.lastEventId,
      event: event.type === "message" ? undefined : event.type,
      data: event.data,
    });
  source.addEventListener("message", onMessage);
  for (const type of EVENTS) source.addEventListener(type, onMessage);
  source.addEventListener(
    "serverpush-reset",
    (event) => view.reset(event.data),
  );
}

async function startPolling(view, transport) {
  let cursor = null;
  let failures = 0;
  for (;;) {
    view.request();
    try {
      const response = await fetch(topicUrl({ transport, cursor }), {
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const envelope = await response.json();
      failures = 0;
      view.state("open");
      if (envelope.reset) view.reset(envelope.reason ?? "unknown");
      for (const message of envelope.messages) view.message(message);
      cursor = envelope.cursor;
      if (envelope.more) continue;
      if (transport === "poll") await sleep(SHORT_POLL_INTERVAL);
    } catch {
      view.state("reconnecting");
      await sleep(backoff(failures++));
    }
  }
}

function startIframe(view) {
  // Each iframe the transport adds is one request: count them as they come.
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeName === "IFRAME") view.request();
      }
    }
  }).observe(document.body, { childList: true });
  connectIframe(topicUrl({ transport: "iframe" }), {
    onMessage: (message) => view.message(message),
    onReset: (reason) => view.reset(reason),
    onState: (state) => view.state(state),
    staleMs: IFRAME_STALE_MS,
  });
}

const views = {
  websocket: lane("websocket"),
  sse: lane("sse"),
  longpoll: lane("longpoll"),
  poll: lane("poll"),
  iframe: lane("iframe"),
};
startWebSocket(views.websocket);
startSse(views.sse);
startPolling(views.longpoll, "longpoll");
startPolling(views.poll, "poll");
startIframe(views.iframe);
setInterval(() => {
  for (const view of Object.values(views)) view.tick();
}, 1000);
