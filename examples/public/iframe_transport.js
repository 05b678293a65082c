// Copyright 2026 the serverpush authors. MIT license.
// Browser side of the forever-iframe transport (see `iframeStream` in
// polling/iframe_stream.ts): a hidden iframe loads the stream page, whose
// scripts call `parent[callback](message)` once per message and
// `parent[callback](null, control)` for a gap (`{ reset }`) or the end of
// the page (`{ reconnect: cursor }`). This module defines that callback,
// loads the iframe again with the cursor when the page ends, retries with a
// growing delay when it fails, and drops messages it has already delivered.
// The iframe is only added once the page has loaded.
//
// A stream cut in the middle (the server process killed, a proxy dropping
// the connection) fires no `load` event: the frame just stops growing. With
// `staleMs`, a frame whose document has not grown for that long (no message,
// no keep-alive comment) is taken for dead and loaded again from the cursor;
// set it above the server's keep-alive interval.

const MIN_BACKOFF = 250;
const MAX_BACKOFF = 30_000;
/** How many recent ids are remembered to drop repeats. */
const REMEMBERED_IDS = 1024;
/** How often a frame is checked for growth, with `staleMs`. */
const STALE_CHECK_MS = 1000;

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
 *   staleMs?: number,
 * }} options `onMessage` gets each message once, in order; `onReset` is told
 *   when messages were lost; `cursor` resumes after a known id; `callback`
 *   names the global function the page calls (one is made up by default);
 *   `staleMs` reloads a frame whose document has not grown for that long
 *   (off by default).
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
  /** When the frame last showed life, and what it looked like then. */
  let lastGrowth = 0;
  let lastSize = -1;
  let watchdog = undefined;

  let shown = "connecting";

  function setState(next) {
    shown = next;
    options.onState?.(next);
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
    lastGrowth = Date.now();
    lastSize = -1;
  }

  /** How much the frame's document holds: it grows with every chunk. */
  function frameSize() {
    try {
      // Each message is a script and each keep-alive a comment, added to
      // the body as they arrive.
      const doc = frame?.contentDocument;
      const root = doc?.body ?? doc?.documentElement;
      return root ? root.childNodes.length : 0;
    } catch {
      return 0;
    }
  }

  function checkStale() {
    if (closed || frame === null || timer !== undefined) return;
    const size = frameSize();
    if (size !== lastSize) {
      lastSize = size;
      lastGrowth = Date.now();
      return;
    }
    if (Date.now() - lastGrowth < options.staleMs) return;
    // The request died without a load event: start again from the cursor.
    if (current) current.ended = true;
    setState("reconnecting");
    schedule(backoff());
  }

  globalThis[callback] = (message, control) => {
    if (closed) return;
    if (shown !== "open") setState("open");
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
  if (options.staleMs > 0) watchdog = setInterval(checkStale, STALE_CHECK_MS);
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
      clearInterval(watchdog);
      frame?.remove();
      frame = null;
      delete globalThis[callback];
      setState("closed");
    },
  };
}
