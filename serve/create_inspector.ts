// Copyright 2026 the serverpush authors. MIT license.

import type { ObservedHub } from "./observed_hub.ts";
import type { HubRequestInfo } from "./hub_handler_options.ts";
import { createSnapshot } from "./_inspector_snapshot.ts";
import { createInspectorFeed } from "./_inspector_feed.ts";
import { inspectorPage } from "./_inspector_page.ts";
import { onlyGetOrHead, textResponse } from "./_text_response.ts";

/**
 * Options for {@linkcode createInspector}.
 *
 * @example Allow loopback peers only
 * ```ts
 * import type { InspectorOptions } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: InspectorOptions = {
 *   authorize: (_request, info) =>
 *     info?.remoteAddr?.hostname === "127.0.0.1" || info?.remoteAddr?.hostname === "::1",
 * };
 * const request = new Request("http://localhost/inspector");
 * strictEqual(await options.authorize(request, { remoteAddr: { hostname: "10.0.0.9", port: 1 } }), false);
 * ```
 */
export interface InspectorOptions {
  /**
   * Decides whether a request may see the inspector; anything but `true` is
   * answered with `403`. It shows addresses, client ids and topic names:
   * allow only operators. `info` is the handler's second argument (what
   * `Deno.serve` passes), when given.
   */
  authorize: (
    request: Request,
    info: HubRequestInfo | undefined,
  ) => boolean | Promise<boolean>;
  /**
   * Milliseconds between two snapshots of the live feed, taken only while
   * someone watches.
   *
   * @default {1000}
   */
  intervalMs?: number;
  /**
   * Ends every live feed when aborted (the server is shutting down); later
   * requests for the feed get `503`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * The handler of {@linkcode createInspector}: the page at any path, its live
 * feed with `?feed`.
 *
 * @example Mount the inspector
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createInspector, type InspectorHandler } from "@serverpush/serverpush/serve";
 *
 * const inspector: InspectorHandler = createInspector(new Hub(), { authorize: () => true });
 * Deno.serve((request, info) => inspector(request, info));
 * ```
 */
export type InspectorHandler = (
  request: Request,
  info?: HubRequestInfo,
) => Promise<Response>;

function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Makes a handler that shows what `hub` and the handlers that serve it
 * (`createHubHandler(hub)`) see, live: one HTML page (self-contained: inline
 * style and script under a strict Content-Security-Policy, no external
 * asset; readable at desktop and phone width) and, at the same path with
 * `?feed`, a Server-Sent Events feed of snapshots (event `snapshot`, JSON):
 *
 * - totals: connections, subscriptions, topics, messages published and
 *   delivered, bytes sent, clients cut, backend errors;
 * - connections (the first 200): transport, remote address, client id,
 *   topics, messages and bytes in and out, bytes queued, age;
 * - topics with subscribers (the first 200): subscribers, retained
 *   messages and bytes (when the backend can tell), messages per second;
 * - the last 50 events: slow clients cut, resets, refused requests, errors.
 *
 * Its cost stays off the hot path: the hub keeps plain counters, and the
 * inspector reads them once per `intervalMs` while at least one feed is
 * open (nothing otherwise); a snapshot is encoded once for every viewer,
 * and a viewer that has not read the last one skips the next, so each
 * holds at most one.
 *
 * Errors: a request `authorize` does not allow gets `403` (and counts as a
 * refused request of the hub), a method other than `GET` or `HEAD` `405`,
 * a feed after `signal` aborted `503`.
 *
 * @param hub The hub to show.
 * @param options Who may see it, and how often it refreshes.
 * @returns The handler.
 * @throws {TypeError} If `authorize` is not a function.
 * @throws {RangeError} If `intervalMs` is not a positive finite number.
 *
 * @example Refused unless authorized
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createInspector } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const inspector = createInspector(hub, {
 *   authorize: (request) => request.headers.get("authorization") === "Bearer ops",
 * });
 * strictEqual((await inspector(new Request("http://localhost/inspector"))).status, 403);
 * const page = await inspector(
 *   new Request("http://localhost/inspector", { headers: { authorization: "Bearer ops" } }),
 * );
 * strictEqual(page.headers.get("content-type"), "text/html; charset=utf-8");
 * await page.body?.cancel();
 * await hub.close();
 * ```
 *
 * @example Read one snapshot of the feed
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createInspector } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * hub.subscribe("news");
 * const inspector = createInspector(hub, { authorize: () => true });
 * const feed = await inspector(new Request("http://localhost/inspector?feed"));
 * const reader = feed.body!.getReader();
 * const text = new TextDecoder().decode((await reader.read()).value);
 * const snapshot = JSON.parse(text.slice(text.indexOf("data: ") + 6));
 * strictEqual(snapshot.topics[0].topic, "news");
 * await reader.cancel();
 * await hub.close();
 * ```
 */
export function createInspector(
  hub: ObservedHub,
  options: InspectorOptions,
): InspectorHandler {
  const { authorize, intervalMs = 1000, signal } = options ?? {};
  if (typeof authorize !== "function") {
    throw new TypeError(
      "Cannot create inspector: authorize is not a function, and the inspector shows who is connected",
    );
  }
  if (
    typeof intervalMs !== "number" || !Number.isFinite(intervalMs) ||
    intervalMs <= 0
  ) {
    throw new RangeError(
      `Cannot create inspector: intervalMs is ${intervalMs}, expected a positive number of milliseconds`,
    );
  }
  const feed = createInspectorFeed(createSnapshot(hub), intervalMs);
  signal?.addEventListener("abort", () => feed.close(), { once: true });

  return async function inspect(
    request: Request,
    info?: HubRequestInfo,
  ): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return onlyGetOrHead("serve inspector", request.method);
    }
    if ((await authorize(request, info)) !== true) {
      const { pathname } = new URL(request.url);
      const from = info?.remoteAddr?.hostname ?? "unknown";
      hub.counters.refuse(
        403,
        `${request.method} ${pathname.slice(0, 100)} from ${from}`,
      );
      return textResponse(403, "Cannot serve inspector: not authorized");
    }
    const headers = { "cache-control": "no-store" };
    if (new URL(request.url).searchParams.has("feed")) {
      if (signal?.aborted) {
        return textResponse(
          503,
          "Cannot serve inspector feed: the server is shutting down",
        );
      }
      if (request.method === "HEAD") {
        return new Response(null, {
          headers: { ...headers, "content-type": "text/event-stream" },
        });
      }
      return new Response(feed.open(), {
        headers: { ...headers, "content-type": "text/event-stream" },
      });
    }
    const token = nonce();
    return new Response(
      request.method === "HEAD" ? null : inspectorPage(token),
      {
        headers: {
          ...headers,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy":
            `default-src 'none'; style-src 'nonce-${token}'; script-src 'nonce-${token}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      },
    );
  };
}
