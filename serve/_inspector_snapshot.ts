// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what the inspector sends once per interval: the hub's
// connections, topics and recent events, as one JSON text.

import type { ObservedHub } from "./observed_hub.ts";

/** Rows sent per list; the totals still count every one. */
export const MAX_ROWS = 200;

/** A topic's message count at the last snapshot, for messages per second. */
interface Seen {
  messages: number;
  at: number;
}

/**
 * Makes the snapshot function of one inspector: each call reads the hub's
 * counters and lists, and returns them as JSON. Messages per second come
 * from the difference to the previous call.
 */
export function createSnapshot(hub: ObservedHub): () => string {
  let seen = new Map<string, Seen>();
  return function snapshot(): string {
    const now = Date.now();
    const counters = hub.counters;
    const connections = [];
    for (const connection of counters.connections) {
      if (connections.length >= MAX_ROWS) break;
      connections.push({
        transport: connection.transport,
        remoteAddress: connection.remoteAddress ?? null,
        clientId: connection.clientId ?? null,
        topics: connection.topics().slice(0, 20),
        messagesIn: connection.messagesIn,
        bytesIn: connection.bytesIn,
        messagesOut: connection.messagesOut,
        bytesOut: connection.bytesOut,
        queuedBytes: connection.queuedBytes(),
        ageMs: now - connection.openedAt,
      });
    }
    const next = new Map<string, Seen>();
    const topics = [];
    let subscriptions = 0;
    const activity = counters.topics();
    for (const topic of activity) {
      subscriptions += topic.subscribers;
      const before = seen.get(topic.topic);
      next.set(topic.topic, { messages: topic.messages, at: now });
      if (topics.length >= MAX_ROWS) continue;
      const elapsed = before === undefined ? 0 : now - before.at;
      topics.push({
        topic: topic.topic,
        subscribers: topic.subscribers,
        retainedMessages: topic.retainedMessages ?? null,
        retainedBytes: topic.retainedBytes ?? null,
        messagesPerSecond: elapsed > 0
          ? Math.round((topic.messages - before!.messages) * 10000 / elapsed) /
            10
          : 0,
      });
    }
    seen = next;
    return JSON.stringify({
      at: now,
      totals: {
        connections: counters.connections.size,
        subscriptions,
        topics: activity.length,
        published: counters.published,
        delivered: counters.delivered,
        bytesSent: counters.bytesSent,
        clientsCut: counters.clientsCut.slow + counters.clientsCut.errors +
          counters.clientsCut.unread,
        backendErrors: counters.backendErrors,
      },
      connections,
      topics,
      events: counters.events().slice(-50),
    });
  };
}
