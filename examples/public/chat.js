// Copyright 2026 the serverpush authors. MIT license.
// The WebSocket chat panel: the browser's own WebSocket to /ws/chat, JSON
// both ways, with reconnection. State is kept in `window.__demo.chat` so the
// browser tests can read it.

const MAX_SHOWN = 100;
const TIME = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A name for this tab, kept across reloads of the same tab. */
function tabName() {
  let name = sessionStorage.getItem("serverpush-chat-name");
  if (name === null) {
    name = `guest-${Math.floor(1000 + Math.random() * 9000)}`;
    sessionStorage.setItem("serverpush-chat-name", name);
  }
  return name;
}

/** The URL of a WebSocket endpoint on this page's server. */
export function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/**
 * Binds the chat panel inside `section` and connects it.
 *
 * @param {HTMLElement} section The WebSocket `<section>`.
 */
export function connectChat(section) {
  const conn = section.querySelector('[data-role="conn"]');
  const stateText = conn.querySelector('[data-role="state"]');
  const reconnectsText = conn.querySelector('[data-role="reconnects"]');
  const onlineText = conn.querySelector('[data-role="online"]');
  const countText = conn.querySelector('[data-role="count"]');
  const log = section.querySelector('[data-role="chat-log"]');
  const errorText = section.querySelector('[data-role="chat-error"]');
  const form = section.querySelector('[data-role="chat-form"]');
  const nameInput = form.elements.namedItem("name");
  const textInput = form.elements.namedItem("text");
  nameInput.value = tabName();

  const record = {
    state: "connecting",
    reconnects: 0,
    online: 0,
    /** Every chat message shown, oldest first (the newest 100). */
    messages: [],
    errors: [],
  };
  globalThis.__demo ??= {};
  globalThis.__demo.chat = record;

  let socket;
  let opened = false;
  let retryMs = 250;

  function setState(state) {
    record.state = state;
    conn.dataset.state = state;
    stateText.textContent = state;
  }

  function show(message) {
    record.messages.push(message);
    if (record.messages.length > MAX_SHOWN) record.messages.shift();
    countText.textContent = String(record.messages.length);
    const item = document.createElement("li");
    item.dataset.id = String(message.id);
    if (message.name === nameInput.value) item.classList.add("mine");
    item.innerHTML = '<span class="who"></span><span class="text"></span>' +
      "<time></time>";
    item.children[0].textContent = message.name;
    item.children[1].textContent = message.text;
    item.children[2].textContent = TIME.format(message.at);
    log.append(item);
    while (log.children.length > MAX_SHOWN) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  function showError(error) {
    record.errors.push(error);
    errorText.textContent = error;
    errorText.hidden = false;
  }

  function connect() {
    socket = new WebSocket(socketUrl("/ws/chat"));
    socket.addEventListener("open", () => {
      if (opened) {
        record.reconnects += 1;
        reconnectsText.textContent = String(record.reconnects);
      }
      opened = true;
      retryMs = 250;
      setState("open");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "welcome") {
        // A (re)join: the history replaces what the panel showed.
        record.messages = [];
        log.replaceChildren();
        for (const item of message.history) show(item);
        record.online = message.online;
        onlineText.textContent = String(message.online);
      } else if (message.type === "message") {
        show(message.message);
      } else if (message.type === "presence") {
        record.online = message.online;
        onlineText.textContent = String(message.online);
      } else if (message.type === "error") {
        showError(message.error);
      }
    });
    socket.addEventListener("close", () => {
      setState(opened ? "reconnecting" : "connecting");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (text === "" || socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "say", name: nameInput.value, text }));
    textInput.value = "";
    errorText.hidden = true;
  });

  connect();
}
