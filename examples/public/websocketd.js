// Copyright 2026 the serverpush authors. MIT license.
// The websocketd page: connects the browser's own WebSocket to a websocketd
// instance (examples/websocketd.ts), shows every line the program prints and
// sends the lines typed here. The URL comes from `?url=` or the input box.

const MAX_LINES = 500;

const section = document.getElementById("websocketd");
const $ = (role) => section.querySelector(`[data-role="${role}"]`);
const conn = $("conn");
const stateText = $("state");
const urlInput = $("url");
const connectButton = $("connect");
const disconnectButton = $("disconnect");
const lineInput = $("line");
const sendButton = $("send");
const lines = $("lines");

/** What the browser tests can read: state and every line shown. */
const record = { state: "closed", received: [], close: null };
globalThis.__demo ??= {};
globalThis.__demo.websocketd = record;

let socket = null;

function setState(state) {
  record.state = state;
  conn.dataset.state = state === "open"
    ? "open"
    : state === "connecting"
    ? "connecting"
    : "closed";
  stateText.textContent = state;
  const open = state === "open";
  connectButton.disabled = state !== "closed";
  urlInput.disabled = state !== "closed";
  disconnectButton.disabled = state === "closed";
  lineInput.disabled = !open;
  sendButton.disabled = !open;
}

function show(kind, text) {
  const item = document.createElement("li");
  item.dataset.kind = kind;
  item.textContent = text;
  lines.append(item);
  while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
  lines.scrollTop = lines.scrollHeight;
}

function connect(url) {
  record.close = null;
  setState("connecting");
  show("status", `connecting to ${url}`);
  try {
    socket = new WebSocket(url);
  } catch (error) {
    show("status", `cannot connect: ${error.message}`);
    setState("closed");
    return;
  }
  socket.addEventListener("open", () => {
    setState("open");
    show("status", "connected: the program is running");
    lineInput.focus();
  });
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") return;
    record.received.push(event.data);
    show("received", event.data);
  });
  socket.addEventListener("close", (event) => {
    // 1000 "exit 0": the program ended; 1011 "exit N": it failed; 1006: the
    // server refused (503 when all processes are busy, 403 for the origin).
    record.close = { code: event.code, reason: event.reason };
    const why = event.reason === "" ? "" : ` (${event.reason})`;
    show("status", `closed: ${event.code}${why}`);
    socket = null;
    setState("closed");
  });
}

section.querySelector('[data-role="connect-form"]').addEventListener(
  "submit",
  (event) => {
    event.preventDefault();
    if (socket === null) connect(urlInput.value);
  },
);

disconnectButton.addEventListener("click", () => socket?.close(1000));

section.querySelector('[data-role="send-form"]').addEventListener(
  "submit",
  (event) => {
    event.preventDefault();
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    const text = lineInput.value;
    socket.send(text);
    show("sent", text);
    lineInput.value = "";
  },
);

const fromQuery = new URLSearchParams(location.search).get("url");
setState("closed");
if (fromQuery !== null) {
  urlInput.value = fromQuery;
  connect(fromQuery);
}
