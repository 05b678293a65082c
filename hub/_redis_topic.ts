// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubDataMessage } from "../message/message.ts";
import { asError, type Report } from "./_redis_report.ts";

/** One watcher of a topic, as given to `watch`. */
export interface RedisWatcher {
  onMessage: (message: HubDataMessage) => void;
  onGap: ((after: string) => void) | undefined;
}

/**
 * A topic the live reader watches: its stream key, its watchers, and how
 * far they have been given its messages.
 */
export class RedisTopic {
  readonly topic: string;
  readonly key: string;
  readonly watchers: Set<RedisWatcher> = new Set();
  /** Last id delivered (or the start point); undefined until known. */
  cursor: string | undefined = undefined;
  /** Whether the command that finds the start point is in flight. */
  starting = false;
  /** Whether a start failed, so the next one must report a gap. */
  failed = false;
  /** Whether a notification came before the start point was known. */
  pending = false;
  /** Whether a read of new messages is in flight. */
  reading = false;
  /** Whether another read must follow the one in flight. */
  again = false;

  constructor(topic: string, key: string) {
    this.topic = topic;
    this.key = key;
  }

  /** Tells every watcher that messages after `after` may be missing. */
  gap(after: string, report: Report): void {
    for (const watcher of this.watchers) {
      try {
        watcher.onGap?.(after);
      } catch (error) {
        report(asError(error));
      }
    }
  }

  /** Hands `message` to every watcher and moves the cursor to it. */
  deliver(message: HubDataMessage, report: Report): void {
    this.cursor = message.id;
    for (const watcher of this.watchers) {
      try {
        watcher.onMessage(message);
      } catch (error) {
        report(asError(error));
      }
    }
  }
}
