// Copyright 2026 the serverpush authors. MIT license.
// The hub page: one WebSocket speaking serverpush.v1, subscribed to the
// feed's topics and to `chat` (and publishing to it), and the hub's stats
// fetched once a second. The page holds that one long-lived connection only:
// over HTTP/1.1 a browser keeps at most six connections per host, shared by
// every tab (see docs/demo.md). State is kept in `window.__demo.hub` so the
// browser tests can read it.

import { quotesTable } from "./quotes.js";
import { dashboard } from "./dashboard.js";

const TOPICS = ["quotes", "dashboard", "chat"];
const STATS_EVERY_MS = 1000;
const MAX_SHOWN = 100;
const MAX_IDS = 5000;

const record = {
  socket: {
    state: "connecting",
    reconnects: 0,
    count: 0,
    subscribed: [],
    /** The ids received per topic, in order (the last MAX_IDS). */
    ids: {},
    /** Resets received, as `topic: reason`. */
    resets: [],
    /** The step of each quotes and dashboard snapshot, in order. */
    steps: {},
  },
  chat: {
    state: "connecting",
    reconnects: 0,
    messages: [],
    errors: [],
    resets: [],
    /** Who is online, by client id: `{ name, since }`. */
    online: {},
  },
  /** The last stats event, parsed. */
  stats: null,
};
globalThis.__demo ??= {};
globalThis.__demo.hub = record;

/** The URL of a WebSocket endpoint on this page's server. */
function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** A name for this tab, kept across reloads of the same tab. */
function tabName() {
  let name = sessionStorage.getItem("serverpush-hub-chat-name");
  if (name === null) {
    name = `guest-${Math.floor(1000 + Math.random() * 9000)}`;
    sessionStorage.setItem("serverpush-hub-chat-name", name);
  }
  return name;
}

/**
 * This browser's client id, shared by its tabs (localStorage): the hub
 * counts the tabs of one browser as one member of the chat.
 */
function browserId() {
  let id = localStorage.getItem("serverpush-hub-client-id");
  if (id === null) {
    id = crypto.randomUUID();
    localStorage.setItem("serverpush-hub-client-id", id);
  }
  return id;
}

/** The status widgets of one section, writing to `state`. */
function statusOf(section, state) {
  const conn = section.querySelector('[data-role="conn"]');
  const stateText = conn.querySelector('[data-role="state"]');
  const reconnectsText = conn.querySelector('[data-role="reconnects"]');
  const countText = conn.querySelector('[data-role="count"]');
  return {
    set(value) {
      state.state = value;
      conn.dataset.state = value;
      stateText.textContent = value;
    },
    reconnected() {
      state.reconnects += 1;
      reconnectsText.textContent = String(state.reconnects);
    },
    count(n) {
      countText.textContent = String(n);
    },
  };
}

const wsSection = document.getElementById("hub-ws");
const chatSection = document.getElementById("hub-chat");
const wsStatus = statusOf(wsSection, record.socket);
const chatStatus = statusOf(chatSection, record.chat);
const renderQuotes = quotesTable(
  wsSection.querySelector('[data-role="quotes"]'),
);
const renderDashboard = dashboard(
  wsSection.querySelector('[data-role="dashboard"]'),
);
const chatLog = chatSection.querySelector('[data-role="chat-log"]');
const chatError = chatSection.querySelector('[data-role="chat-error"]');
const form = chatSection.querySelector('[data-role="chat-form"]');
const nameInput = form.elements.namedItem("name");
const textInput = form.elements.namedItem("text");
nameInput.value = tabName();

function showError(text) {
  record.chat.errors.push(text);
  chatError.textContent = text;
  chatError.hidden = false;
}

// --- One WebSocket, several topics (serverpush.v1) -------------------------

let socket;
let opened = false;
let retryMs = 250;
/** The last id seen per topic: a reconnection resumes after it. */
const lastIds = {};

function connectSocket() {
  // The server's identify hook reads who this is from the query (a demo;
  // a real page would send a token).
  const url = new URL(socketUrl("/hub/"));
  url.searchParams.set("cid", browserId());
  url.searchParams.set("name", nameInput.value.trim() || tabName());
  socket = new WebSocket(url.href, "serverpush.v1");
  socket.addEventListener("open", () => {
    if (opened) wsStatus.reconnected();
    opened = true;
    retryMs = 250;
    wsStatus.set("open");
    for (const topic of TOPICS) {
      const since = lastIds[topic];
      const subscribe = since === undefined
        ? { type: "subscribe", topic }
        : { type: "subscribe", topic, since };
      // The dashboard is a keyed topic: ask for its state, so that a new
      // tab shows the current readings at once (and a reset is followed by
      // them).
      if (topic === "dashboard") subscribe.state = true;
      // The chat's members: a join per client online, then joins and leaves.
      if (topic === "chat") subscribe.presence = true;
      socket.send(JSON.stringify(subscribe));
    }
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    switch (message.type) {
      case "subscribed":
        record.socket.subscribed.push(message.topic);
        if (message.topic === "chat") {
          if (chatOpened) chatStatus.reconnected();
          chatOpened = true;
          chatStatus.set("open");
        }
        break;
      case "reset":
        record.socket.resets.push(`${message.topic}: ${message.reason}`);
        if (message.topic === "chat") {
          record.chat.resets.push(message.reason);
        }
        break;
      case "message": {
        lastIds[message.topic] = message.id;
        if (message.topic === "chat") {
          if (message.event === "say") showChat(message.id, message.data);
          break;
        }
        const ids = record.socket.ids[message.topic] ??= [];
        ids.push(message.id);
        if (ids.length > MAX_IDS) ids.shift();
        record.socket.count += 1;
        wsStatus.count(record.socket.count);
        const snapshot = JSON.parse(message.data);
        const steps = record.socket.steps[message.topic] ??= [];
        steps.push(snapshot.step);
        if (steps.length > MAX_IDS) steps.shift();
        if (message.topic === "quotes") renderQuotes(snapshot);
        else if (message.topic === "dashboard") renderDashboard(snapshot);
        break;
      }
      case "join":
      case "leave":
        if (message.topic === "chat") showPresence(message);
        break;
      case "published":
        chatError.hidden = true;
        break;
      case "error":
        showError(message.message);
        break;
    }
  });
  socket.addEventListener("close", () => {
    // The next connection gets every member again as joins.
    record.chat.online = {};
    renderOnline();
    wsStatus.set("reconnecting");
    chatStatus.set(chatOpened ? "reconnecting" : "connecting");
    setTimeout(connectSocket, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  const text = textInput.value.trim();
  if (name === "" || text === "") return;
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
    showError("Cannot send message: the WebSocket is not open");
    return;
  }
  sessionStorage.setItem("serverpush-hub-chat-name", name);
  socket.send(JSON.stringify({
    type: "publish",
    topic: "chat",
    event: "say",
    data: JSON.stringify({ name, text }),
  }));
  textInput.value = "";
});

// --- The chat, read from the same WebSocket ---------------------------------

let chatOpened = false;

/** Shows one `say` message of the chat topic. */
function showChat(id, data) {
  let value;
  try {
    value = JSON.parse(data);
  } catch {
    return;
  }
  if (typeof value?.name !== "string" || typeof value?.text !== "string") {
    return;
  }
  const message = { id, name: value.name, text: value.text };
  record.chat.messages.push(message);
  if (record.chat.messages.length > MAX_SHOWN) record.chat.messages.shift();
  chatStatus.count(record.chat.messages.length);
  const item = document.createElement("li");
  item.dataset.id = message.id;
  if (message.name === nameInput.value) item.classList.add("mine");
  item.innerHTML = '<span class="who"></span><span class="text"></span>';
  item.children[0].textContent = message.name;
  item.children[1].textContent = message.text;
  chatLog.append(item);
  while (chatLog.children.length > MAX_SHOWN) {
    chatLog.firstElementChild.remove();
  }
  chatLog.scrollTop = chatLog.scrollHeight;
}

/** A join or leave of the chat: updates who is online. */
function showPresence(message) {
  const online = record.chat.online;
  if (message.type === "join") {
    const name = typeof message.info?.name === "string"
      ? message.info.name
      : "guest";
    online[message.clientId] = { name, since: message.since };
  } else {
    delete online[message.clientId];
  }
  renderOnline();
}

const onlineList = chatSection.querySelector('[data-role="online"]');
const onlineCount = chatSection.querySelector('[data-role="online-count"]');

function renderOnline() {
  const members = Object.entries(record.chat.online)
    .sort(([, a], [, b]) => a.since - b.since);
  onlineCount.textContent = String(members.length);
  onlineList.replaceChildren(
    ...members.map(([clientId, member]) => {
      const item = document.createElement("li");
      item.dataset.clientId = clientId;
      item.textContent = member.name;
      if (clientId === browserId()) item.classList.add("mine");
      return item;
    }),
  );
}

// --- The hub's stats, fetched once a second --------------------------------

function connectStats() {
  const body = chatSection.querySelector('[data-role="stats-topics"]');
  const totals = chatSection.querySelector('[data-role="stats-totals"]');
  // A short request each second, not a stream: the page's one long-lived
  // connection stays the WebSocket.
  async function poll() {
    try {
      const response = await fetch("/hub-stats", {
        headers: { accept: "application/json" },
      });
      if (response.ok) show(await response.json());
      else await response.body?.cancel();
    } catch {
      // The server is away; try again on the next round.
    }
    setTimeout(poll, STATS_EVERY_MS);
  }
  function show(stats) {
    record.stats = stats;
    body.replaceChildren(
      ...stats.topics.map((topic) => {
        const row = document.createElement("tr");
        row.dataset.topic = topic.topic;
        for (
          const value of [
            topic.topic,
            topic.subscribers,
            topic.queuedMessages,
            topic.largestQueue,
          ]
        ) {
          const cell = document.createElement("td");
          cell.textContent = String(value);
          if (typeof value === "number") cell.className = "num";
          row.append(cell);
        }
        return row;
      }),
    );
    totals.textContent = `${stats.subscribers} subscribers, ` +
      `${stats.queuedMessages} messages (${stats.queuedBytes} bytes) queued`;
  }
  poll();
}

connectSocket();
connectStats();
