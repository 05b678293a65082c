// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a hub's counters in the Prometheus text exposition format
// (version 0.0.4).

import type { ObservedHub } from "./observed_hub.ts";
import { LATENCY_BUCKETS } from "../hub/counters.ts";

/** Escapes a label value: backslash, double quote and line feed. */
function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll(
    "\n",
    "\\n",
  );
}

/** Writes Prometheus metric families into one text, in order. */
class Exposition {
  #lines: string[] = [];

  /** A family with its HELP and TYPE lines, and its samples. */
  family(
    name: string,
    type: "counter" | "gauge",
    help: string,
    samples: Iterable<[labels: string, value: number]> | number,
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    if (typeof samples === "number") {
      this.#lines.push(`${name} ${samples}`);
      return;
    }
    for (const [labels, value] of samples) {
      this.#lines.push(`${name}${labels} ${value}`);
    }
  }

  /** One label's samples from a record of counts. */
  static by(
    key: string,
    counts: Readonly<Record<string, number>> | ReadonlyMap<unknown, number>,
  ): [string, number][] {
    const entries = counts instanceof Map
      ? [...counts]
      : Object.entries(counts);
    return entries.map((
      [value, count],
    ) => [`{${key}="${label(String(value))}"}`, count]);
  }

  /** A histogram from per-bucket (not cumulative) counts. */
  histogram(
    name: string,
    help: string,
    buckets: ArrayLike<number>,
    sum: number,
    count: number,
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cumulative = 0;
    for (let i = 0; i < buckets.length; i++) {
      cumulative += buckets[i]!;
      const le = i < LATENCY_BUCKETS.length
        ? String(LATENCY_BUCKETS[i])
        : "+Inf";
      this.#lines.push(`${name}_bucket{le="${le}"} ${cumulative}`);
    }
    this.#lines.push(`${name}_sum ${sum}`, `${name}_count ${count}`);
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** The metrics of `hub` and the handlers that serve it, now. */
export function formatMetrics(hub: ObservedHub): string {
  const counters = hub.counters;
  const stats = hub.stats();
  const open: Record<string, number> = {
    sse: 0,
    websocket: 0,
    "serverpush.v1": 0,
  };
  for (const connection of counters.connections) {
    open[connection.transport] = (open[connection.transport] ?? 0) + 1;
  }
  const out = new Exposition();
  out.family(
    "serverpush_connections",
    "gauge",
    "Open connections by transport.",
    Exposition.by("transport", open),
  );
  out.family(
    "serverpush_connections_opened_total",
    "counter",
    "Connections opened by transport (for poll, longpoll and iframe: requests).",
    Exposition.by("transport", counters.opened),
  );
  out.family(
    "serverpush_subscriptions",
    "gauge",
    "Open subscriptions to the hub's topics.",
    stats.subscribers,
  );
  out.family(
    "serverpush_topics",
    "gauge",
    "Topics with at least one subscriber.",
    stats.topics.length,
  );
  out.family(
    "serverpush_queued_messages",
    "gauge",
    "Live messages waiting in subscriber queues.",
    stats.queuedMessages,
  );
  out.family(
    "serverpush_queued_bytes",
    "gauge",
    "Payload bytes waiting in subscriber queues.",
    stats.queuedBytes,
  );
  out.family(
    "serverpush_messages_published_total",
    "counter",
    "Messages published through the hub.",
    counters.published,
  );
  out.family(
    "serverpush_messages_fanned_out_total",
    "counter",
    "Messages the hub received from its backend and fanned out to subscribers.",
    counters.fannedOut,
  );
  out.family(
    "serverpush_messages_delivered_total",
    "counter",
    "Messages handed to subscribers (one per subscriber).",
    counters.delivered,
  );
  out.family(
    "serverpush_messages_dropped_total",
    "counter",
    "Messages dropped by reason (queue_full: a full queue under drop-oldest).",
    [['{reason="queue_full"}', counters.droppedQueueFull]],
  );
  out.family(
    "serverpush_subscriptions_cut_total",
    "counter",
    "Subscriptions ended by reason (slow: the queue overflowed under the close policy).",
    [['{reason="slow"}', counters.subscriptionsCut]],
  );
  out.family(
    "serverpush_clients_cut_total",
    "counter",
    "Connections cut off by reason (slow: reads too slowly; errors: too many invalid messages; unread: sends without reading).",
    Exposition.by("reason", counters.clientsCut),
  );
  out.family(
    "serverpush_resets_total",
    "counter",
    "Gap signals delivered to subscribers by reason.",
    Exposition.by("reason", counters.resets),
  );
  out.family(
    "serverpush_sent_bytes_total",
    "counter",
    "Bytes sent to clients over SSE and WebSocket (text frames count UTF-16 code units).",
    counters.bytesSent,
  );
  out.family(
    "serverpush_backend_errors_total",
    "counter",
    "Failed backend calls (publishes and replay reads).",
    counters.backendErrors,
  );
  out.family(
    "serverpush_refused_requests_total",
    "counter",
    "Requests answered with an error status, by status.",
    Exposition.by("status", counters.refused),
  );
  out.histogram(
    "serverpush_delivery_latency_seconds",
    "Publish-to-delivery latency of sampled messages (one in 16), per delivery.",
    counters.latencyBuckets,
    counters.latencySum,
    counters.latencyCount,
  );
  return out.text();
}
