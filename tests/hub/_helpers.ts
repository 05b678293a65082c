// Copyright 2026 the serverpush authors. MIT license.
// Shared helpers for the hub tests.

import type {
  HubBackend,
  HubDataMessage,
  HubHistory,
  HubMessage,
  HubReadOptions,
} from "../../hub/mod.ts";

/** Reads exactly `count` values, failing if the stream ends first. */
export async function take(
  reader: ReadableStreamDefaultReader<HubMessage>,
  count: number,
): Promise<HubMessage[]> {
  const out: HubMessage[] = [];
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${out.length} values`);
    out.push(value);
  }
  return out;
}

/** A compact view of what a subscriber saw: data, or `reset:<reason>`. */
export function summary(messages: HubMessage[]): string[] {
  return messages.map((m) =>
    m.kind === "reset"
      ? `reset:${m.reason}`
      : m.kind === "message"
      ? String(m.data)
      : m.kind
  );
}

/** The data messages only. */
export function dataOnly(messages: HubMessage[]): HubDataMessage[] {
  return messages.filter((m): m is HubDataMessage => m.kind === "message");
}

/** Hooks run around each backend read, to force races deterministically. */
export interface ReadHooks {
  /** Runs after the read was issued, before the backend takes its snapshot. */
  before?: () => Promise<void> | void;
  /** Runs after the snapshot, before the subscriber sees the result. */
  after?: () => Promise<void> | void;
}

/** Wraps a backend so tests can run code on either side of every read. */
export function hookedBackend(inner: HubBackend, hooks: ReadHooks): HubBackend {
  return {
    append: (topic, message) => inner.append(topic, message),
    async read(topic: string, options: HubReadOptions): Promise<HubHistory> {
      await hooks.before?.();
      const result = await inner.read(topic, options);
      await hooks.after?.();
      return result;
    },
    watch: (topic, onMessage, options) =>
      inner.watch(topic, onMessage, options),
    compare: (a, b) => inner.compare(a, b),
  };
}

/**
 * A backend whose watch skips messages while `skip(true)` is in force, like
 * a networked watch that fell behind a trimmed log; `gap()` then reports it
 * to every watcher, after the last id each one was given.
 */
export function gappingBackend(
  inner: HubBackend,
): { backend: HubBackend; skip: (on: boolean) => void; gap: () => void } {
  let skipping = false;
  const watchers = new Set<{ last: string; onGap?: (after: string) => void }>();
  return {
    backend: {
      append: (topic, message) => inner.append(topic, message),
      read: (topic, options) => inner.read(topic, options),
      watch(topic, onMessage, options): () => void {
        const watcher: { last: string; onGap?: (after: string) => void } = {
          last: "",
        };
        if (options?.onGap !== undefined) watcher.onGap = options.onGap;
        watchers.add(watcher);
        const unwatch = inner.watch(topic, (message) => {
          if (skipping) return;
          watcher.last = message.id;
          onMessage(message);
        });
        return () => {
          watchers.delete(watcher);
          unwatch();
        };
      },
      compare: (a, b) => inner.compare(a, b),
    },
    skip(on: boolean): void {
      skipping = on;
    },
    gap(): void {
      for (const watcher of watchers) watcher.onGap?.(watcher.last);
    },
  };
}

/** `["1", "2", ... String(to)]` starting at `from`. */
export function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(String(i));
  return out;
}

/** A backend whose watch delivers only when the test calls `flush()`. */
export function laggingBackend(
  inner: HubBackend,
): { backend: HubBackend; flush: () => void } {
  const pending: [(message: HubDataMessage) => void, HubDataMessage][] = [];
  return {
    backend: {
      append: (topic, message) => inner.append(topic, message),
      read: (topic, options) => inner.read(topic, options),
      watch: (topic, onMessage) =>
        inner.watch(topic, (message) => pending.push([onMessage, message])),
      compare: (a, b) => inner.compare(a, b),
    },
    flush(): void {
      for (const [onMessage, message] of pending.splice(0)) onMessage(message);
    },
  };
}
