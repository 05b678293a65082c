// Copyright 2026 the serverpush authors. MIT license.

import type { ObservedHub } from "./observed_hub.ts";
import { formatMetrics } from "./_metrics_text.ts";
import { onlyGetOrHead, textResponse } from "./_text_response.ts";

/**
 * Options for {@linkcode createMetricsHandler}.
 *
 * @example Serve metrics to loopback peers only
 * ```ts
 * import type { MetricsHandlerOptions } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: MetricsHandlerOptions = {
 *   authorize: (request) => request.headers.get("authorization") === "Bearer scrape",
 * };
 * strictEqual(await options.authorize!(new Request("http://localhost/metrics")), false);
 * ```
 */
export interface MetricsHandlerOptions {
  /**
   * Decides whether a request may read the metrics; anything but `true` is
   * answered with `403`. The metrics hold counts only (no topic names, no
   * addresses).
   *
   * @default {() => true}
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
}

/**
 * Makes a handler that answers `GET` (and `HEAD`) with the metrics of
 * `hub` and of the handlers that serve it (`createHubHandler(hub)`), in the
 * Prometheus text exposition format (version 0.0.4), whatever the path:
 * mount it at `/metrics`.
 *
 * Families: `serverpush_connections` (gauge, by `transport`),
 * `serverpush_connections_opened_total`, `serverpush_subscriptions`,
 * `serverpush_topics`, `serverpush_queued_messages`,
 * `serverpush_queued_bytes`, `serverpush_messages_published_total`,
 * `serverpush_messages_fanned_out_total`,
 * `serverpush_messages_delivered_total`,
 * `serverpush_messages_dropped_total` (by `reason`),
 * `serverpush_subscriptions_cut_total`, `serverpush_clients_cut_total` (by
 * `reason`), `serverpush_resets_total` (by `reason`),
 * `serverpush_sent_bytes_total`, `serverpush_backend_errors_total`,
 * `serverpush_refused_requests_total` (by `status`) and the histogram
 * `serverpush_delivery_latency_seconds` (sampled, see `HubCounters`).
 *
 * A scrape reads plain counters and walks the hub's subscriptions once;
 * nothing is computed between scrapes.
 *
 * Errors: another method gets `405` with `Allow`, a request `authorize`
 * does not allow `403`.
 *
 * @param hub The hub to report.
 * @param options Who may read.
 * @returns The handler.
 *
 * @example Count deliveries
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createMetricsHandler } from "@serverpush/serverpush/serve";
 * import { match } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const metrics = createMetricsHandler(hub);
 * const a = hub.subscribe("t").getReader();
 * const b = hub.subscribe("t").getReader();
 * await hub.publish("t", { data: "x" });
 * await Promise.all([a.read(), b.read()]);
 * const text = await (await metrics(new Request("http://localhost/metrics"))).text();
 * match(text, /^serverpush_messages_delivered_total 2$/m);
 * await hub.close();
 * ```
 */
export function createMetricsHandler(
  hub: ObservedHub,
  options: MetricsHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const { authorize } = options;
  return async function serveMetrics(request: Request): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return onlyGetOrHead("serve metrics", request.method);
    }
    if (authorize !== undefined && (await authorize(request)) !== true) {
      return textResponse(403, "Cannot serve metrics: not authorized");
    }
    const body = request.method === "HEAD" ? null : formatMetrics(hub);
    return new Response(body, {
      headers: {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  };
}
