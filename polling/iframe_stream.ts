// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodedOnce } from "../message/encoded_once.ts";
import type { HubDataMessage, HubMessage } from "../message/message.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import { POLLING_TOPIC_START } from "../message/polling_envelope.ts";
import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import { readStart } from "./_cursor.ts";
import { textResponse } from "./_responses.ts";
import { truncate } from "../_internal/truncate.ts";
import { scriptSafeJson } from "./_script_json.ts";
import type { PollingSource } from "./source.ts";

/**
 * Options for {@linkcode iframeStream}.
 *
 * @example Recycle the page every 64 KiB
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import {
 *   hubSource,
 *   iframeStream,
 *   type IframeStreamOptions,
 * } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const options: IframeStreamOptions = { maxBytes: 65_536, keepAlive: 20_000 };
 * const request = new Request("http://localhost/?callback=onPush");
 * const response = iframeStream(request, hubSource(hub, "t"), options);
 * strictEqual(response.status, 200);
 * await response.body!.cancel();
 * await hub.close();
 * ```
 */
export interface IframeStreamOptions {
  /**
   * Milliseconds of silence after which an HTML comment (`<!-- -->`) is
   * written, so that proxies and browsers do not time the page out. `0` or
   * `false` writes none.
   *
   * @default {15000}
   */
  keepAlive?: number | false;
  /**
   * Bytes after which the page ends: once this many have been written (the
   * padding included), the stream writes the reconnect call and closes, so a
   * long-lived iframe's document does not grow without bound. A single
   * message larger than this is still written whole.
   *
   * @default {131072}
   */
  maxBytes?: number;
  /**
   * Size in bytes of the first chunk (the page head and a comment of
   * spaces): some browsers run nothing until they have received about this
   * much. `0` writes only the page head.
   *
   * @default {2048}
   */
  padding?: number;
  /**
   * Ends the page when aborted, for example when the server shuts down: the
   * reconnect call is written and the stream closes.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const CALLBACK_REGEXP = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
/** `Sec-Fetch-Dest` values of a document loaded in a frame. */
const FRAME_DESTINATIONS: ReadonlySet<string> = new Set(["iframe", "frame"]);
const HEAD =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title></title></head><body>\n';
const KEEP_ALIVE = "<!-- -->\n";
const encoder = new TextEncoder();

function scriptJson(message: HubDataMessage): string {
  return scriptSafeJson(hubMessageToJson(message));
}

function prelude(padding: number): string {
  // "<!--" + spaces + "-->\n" after the head, up to `padding` bytes.
  const spaces = padding - HEAD.length - 8;
  return spaces < 0 ? HEAD : `${HEAD}<!--${" ".repeat(spaces)}-->\n`;
}

/**
 * Serves a topic as a "forever iframe" (the `htmlfile` transport): an HTML
 * page that never finishes loading, with one `<script>` per message that
 * calls a function of the parent page.
 *
 * The request names the function in `callback`: a single identifier of 1
 * to 64 characters from `A-Z a-z 0-9 _ $`, not starting with a digit (for
 * example `onPush`); any other value (a property path such as
 * `opener.document.write` included) gets a `400`. It is looked up on
 * `parent`, so only a same-origin parent page can receive the calls (the
 * response also sends `content-security-policy: frame-ancestors 'self'`).
 *
 * The page must be loaded in a frame: a request whose `Sec-Fetch-Dest`
 * header is present and is neither `iframe` nor `frame` (a page opened
 * top-level, in a window or a tab, where `parent` is the page itself, or a
 * `fetch`) gets a `403`. Clients that send no `Sec-Fetch-Dest` (older
 * browsers, non-browser clients) are served.
 *
 * The page, `text/html; charset=utf-8`, starts with about `padding` bytes
 * (the head and a comment of spaces), then writes, one chunk each:
 *
 * - `<script>parent.CALLBACK({"id":…,"event":…,"data":…});</script>` per
 *   message: the hub's JSON form of it (bytes as base64 with
 *   `"encoding":"base64"`);
 * - `<script>parent.CALLBACK(null,{"reset":"<reason>"});</script>` when
 *   messages are missing (the cursor is unknown or older than the replay
 *   window, or this client read too slowly), before the next message;
 * - `<!-- -->` after `keepAlive` milliseconds of silence;
 * - finally, once `maxBytes` have been written, or `signal` is aborted, or
 *   the source ends: `<script>parent.CALLBACK(null,{"reconnect":CURSOR});</script>`,
 *   and the page ends. `CURSOR` is the id of the last message written (else
 *   the request's cursor, or `null` after a reset or without one); the parent
 *   loads the iframe again with `?cursor=CURSOR` (no cursor for `null`),
 *   which continues with no loss and no duplicate.
 *
 * JSON in the scripts has `<`, `>`, `&`, U+2028 and U+2029 escaped as
 * `\uXXXX`, so no payload can end the script or the page.
 *
 * The cursor is the `cursor` query parameter, else the `Last-Event-ID`
 * header; the page starts after it. Without one, it starts at the oldest
 * retained message, then goes on live. When the client goes away (the body
 * is cancelled), the subscription is released.
 *
 * @param request The iframe's request.
 * @param source The topic to serve, for example {@linkcode hubSource}.
 * @param options Keep-alive, page size, padding and a shutdown signal.
 * @returns The streaming response, a `400` for a bad callback or cursor, or
 * a `403` for a request not loaded as a frame.
 * @throws {RangeError} If an option is out of range.
 *
 * @example Read the script written for one message
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, iframeStream } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const seen = await hub.publish("chat", { data: "hello" });
 * const url = `http://localhost/?callback=onPush&cursor=${encodeURIComponent(seen)}`;
 * const response = iframeStream(new Request(url), hubSource(hub, "chat"));
 * const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
 * await reader.read(); // the padding
 * const id = await hub.publish("chat", { data: "</script>" });
 * strictEqual(
 *   (await reader.read()).value,
 *   `<script>parent.onPush({"id":"${id}","data":"\\u003c/script\\u003e"});</script>\n`,
 * );
 * await reader.cancel();
 * await hub.close();
 * ```
 */
export function iframeStream(
  request: Request,
  source: PollingSource,
  options: IframeStreamOptions = {},
): Response {
  const {
    keepAlive = 15_000,
    maxBytes = 131_072,
    padding = 2048,
    signal,
  } = options;
  if (keepAlive !== false) {
    checkDuration("open iframe stream", "keepAlive", keepAlive);
  }
  checkPositiveInteger("open iframe stream", "maxBytes", maxBytes);
  if (padding !== 0) {
    checkPositiveInteger("open iframe stream", "padding", padding);
  }
  const url = new URL(request.url);
  const callback = url.searchParams.get("callback");
  if (callback === null || !CALLBACK_REGEXP.test(callback)) {
    return textResponse(
      "Cannot open iframe stream: callback is missing or is not a single identifier",
    );
  }
  const destination = request.headers.get("sec-fetch-dest");
  if (destination !== null && !FRAME_DESTINATIONS.has(destination)) {
    return textResponse(
      `Cannot open iframe stream: Sec-Fetch-Dest "${
        truncate(destination, 20)
      }" is not iframe, the page must be loaded in a frame`,
      403,
    );
  }
  const start = readStart(request, "open iframe stream");
  if (start instanceof Response) return start;
  const { cursor, history } = start;

  const call = `<script>parent.${callback}(`;
  const release = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let reader: ReadableStreamDefaultReader<HubMessage> | undefined;
  /** Where a reconnecting page resumes: the last id written. */
  let position = cursor;
  let written = 0;
  let finished = false;
  /** Set when the consumer cancelled the body: nothing may be written. */
  let cancelled = false;
  let waiting = false;
  let lastWrite = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function write(text: string): void {
    // Handing a chunk to a waiting consumer can make it cancel the body
    // synchronously (a socket write that fails), so check before each one.
    if (cancelled) return;
    const bytes = encoder.encode(text);
    written += bytes.length;
    lastWrite = performance.now();
    controller.enqueue(bytes);
  }

  function control(value: Record<string, string | null>): string {
    return `${call}null,${scriptSafeJson(JSON.stringify(value))});</script>\n`;
  }

  function finish(): boolean {
    if (finished) return false;
    finished = true;
    clearTimeout(timer);
    timer = undefined;
    signal?.removeEventListener("abort", end);
    release.abort();
    return true;
  }

  /** Writes the reconnect call and ends the page. */
  function end(): void {
    if (!finish()) return;
    write(control({ reconnect: position ?? null }));
    if (!cancelled) controller.close();
  }

  function deliver(message: HubMessage): void {
    if (message.kind === "reset") {
      write(control({ reset: message.reason }));
      // After "dropped", the last id written still resumes correctly.
      if (message.reason !== "dropped") position = POLLING_TOPIC_START;
    } else if (message.kind === "message") {
      write(`${call}${encodedOnce(message, scriptJson)});</script>\n`);
      position = message.id;
    }
    if (written >= maxBytes) end();
  }

  function tick(): void {
    timer = undefined;
    if (finished || keepAlive === false) return;
    const idle = performance.now() - lastWrite;
    if (idle < keepAlive) {
      timer = setTimeout(tick, keepAlive - idle);
      return;
    }
    // Below zero the socket is not draining and holds data anyway.
    if (waiting && (controller.desiredSize ?? -1) >= 0) {
      write(KEEP_ALIVE);
      if (written >= maxBytes) {
        end();
        return;
      }
    } else {
      lastWrite = performance.now();
    }
    timer = setTimeout(tick, keepAlive);
  }

  /**
   * Opens the subscription; resolves with `true` if it wrote something.
   * Without a cursor it is live (after the newest `history` messages), and
   * the page resumes from the newest retained id if nothing reaches it; from
   * the topic's start it begins at the oldest retained message. Listening
   * live first means that nothing published while the topic is read is
   * missed.
   */
  async function open(): Promise<boolean> {
    if (cursor !== undefined && cursor !== POLLING_TOPIC_START) {
      reader = source.subscribe(cursor, release.signal).getReader();
      return false;
    }
    const fresh = cursor === undefined;
    if (fresh && history > 0) {
      reader = live.getReader();
      return false;
    }
    const { messages } = await source.history(
      undefined,
      1,
      fresh ? 1 : undefined,
    );
    const first = messages[0];
    if (fresh || first === undefined) {
      position ??= first?.id ?? POLLING_TOPIC_START;
      reader = live.getReader();
      return false;
    }
    await live.cancel();
    reader = source.subscribe(first.id, release.signal).getReader();
    if (finished) return true;
    deliver(first);
    return true;
  }

  // Without a cursor (or from the topic's start) the page listens from the
  // request on, not from its first pull.
  const live = cursor === undefined || cursor === POLLING_TOPIC_START
    ? source.subscribe(
      undefined,
      release.signal,
      cursor === undefined && history > 0 ? history : undefined,
    )
    : new ReadableStream<HubMessage>();

  /** Writes one chunk, or ends the page; a pull must not end empty-handed. */
  async function pull(): Promise<void> {
    if (reader === undefined && await open()) return;
    if (finished || reader === undefined) return;
    waiting = true;
    const result = await reader.read();
    waiting = false;
    if (finished) return;
    if (result.done) end();
    else deliver(result.value);
  }

  const body = new ReadableStream<Uint8Array>({
    start(c): void {
      controller = c;
      write(prelude(padding));
      if (signal?.aborted) {
        end();
        return;
      }
      signal?.addEventListener("abort", end, { once: true });
      if (keepAlive !== false && keepAlive > 0) {
        timer = setTimeout(tick, keepAlive);
      }
    },
    async pull(): Promise<void> {
      try {
        await pull();
      } catch (error) {
        finish();
        throw error;
      }
    },
    async cancel(): Promise<void> {
      cancelled = true;
      finish();
      await reader?.cancel();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-accel-buffering": "no",
      "content-security-policy": "frame-ancestors 'self'",
    },
  });
}
