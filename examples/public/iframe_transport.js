// Copyright 2026 the serverpush authors. MIT license.
// Browser side of the forever-iframe transport (see `iframeStream` in
// polling/iframe_stream.ts): a hidden iframe loads the stream page, whose
// scripts call `parent[callback](message)` once per message and
// `parent[callback](null, control)` for a gap (`{ reset }`) or the end of
// the page (`{ reconnect: cursor }`). This module defines that callback,
// loads the iframe again with the cursor when the page ends, retries with a
// growing delay when it fails, and drops messages it has already delivered.
// The iframe is only added once the page has loaded.

const MIN_BACKOFF = 250;
const MAX_BACKOFF = 30_000;
/** How many recent ids are remembered to drop repeats. */
const REMEMBERED_IDS = 1024;

let instances = 0;

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Receives a topic through a forever iframe.
 *
 * @param {string | URL} url The stream endpoint, e.g. `/hub/news?transport=iframe`;
 *   `callback` and `cursor` are set on it.
 * @param {{
 *   onMessage: (message: { id: string, event?: string, data: string | Uint8Array }) => void,
 *   onReset?: (reason: string) => void,
 *   onState?: (state: "connecting" | "open" | "reconnecting" | "closed") => void,
 *   cursor?: string,
 *   callback?: string,
 * }} options `onMessage` gets each message once, in order; `onReset` is told
 *   when messages were lost; `cursor` resumes after a known id; `callback`
 *   names the global function the page calls (one is made up by default).
 * @returns {{ close(): void, readonly cursor: string | null }}
 */
export function connectIframe(url, options) {
  const callback = options.callback ?? `__serverpushIframe${++instances}`;
  let cursor = options.cursor ?? null;
  const seen = new Set();
  const order = [];
  let frame = null;
  /** State of the iframe now loading: set `ended` by a reconnect call. */
  let current = null;
  let failures = 0;
  let timer = undefined;
  let closed = false;
  let opened = false;

  function setState(state) {
    options.onState?.(state);
  }

  function remember(id) {
    seen.add(id);
    order.push(id);
    if (order.length > REMEMBERED_IDS) seen.delete(order.shift());
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(open, delay);
  }

  function backoff() {
    const grown = Math.min(
      MAX_BACKOFF,
      MIN_BACKOFF * 2 ** Math.min(failures, 30),
    );
    failures++;
    return grown / 2 + Math.random() * grown / 2;
  }

  function open() {
    timer = undefined;
    if (closed) return;
    const target = new URL(url, location.href);
    target.searchParams.set("callback", callback);
    if (cursor === null) target.searchParams.delete("cursor");
    else target.searchParams.set("cursor", cursor);
    const state = { ended: false };
    current = state;
    frame?.remove();
    frame = document.createElement("iframe");
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.addEventListener("load", () => {
      // The page finished without telling us to reconnect: the stream
      // failed (an error page, a dropped connection). Retry later.
      if (closed || state.ended) return;
      setState("reconnecting");
      schedule(backoff());
    });
    frame.src = target.href;
    document.body.append(frame);
  }

  globalThis[callback] = (message, control) => {
    if (closed) return;
    if (!opened) {
      opened = true;
      setState("open");
    }
    if (message === null) {
      if (control && "reconnect" in control) {
        if (current) current.ended = true;
        cursor = control.reconnect;
        failures = 0;
        schedule(0);
      } else if (control && "reset" in control) {
        options.onReset?.(control.reset);
      }
      return;
    }
    failures = 0;
    cursor = message.id;
    if (seen.has(message.id)) return;
    remember(message.id);
    const data = message.encoding === "base64"
      ? decodeBase64(message.data)
      : message.data;
    options.onMessage(
      message.event === undefined
        ? { id: message.id, data }
        : { id: message.id, event: message.event, data },
    );
  };

  setState("connecting");
  // An iframe added before the page's load event would hold that event
  // back for as long as the stream lasts, that is, forever.
  if (document.readyState === "complete") open();
  else globalThis.addEventListener("load", () => schedule(0), { once: true });

  return {
    get cursor() {
      return cursor;
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      frame?.remove();
      frame = null;
      delete globalThis[callback];
      setState("closed");
    },
  };
}
