// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the inspector's live feed: one snapshot per interval, taken
// only while someone watches, encoded once and sent to every viewer.

const encoder = new TextEncoder();

/** The viewers of one inspector, and the timer that feeds them. */
export interface InspectorFeed {
  /** A new viewer's event stream: a snapshot now, then one per interval. */
  open(): ReadableStream<Uint8Array>;
  /** Ends every viewer's stream and stops the timer. */
  close(): void;
  /** Viewers now. */
  readonly viewers: number;
}

/**
 * Makes the feed. The timer runs only while at least one viewer is
 * connected, so an inspector nobody watches costs nothing. A viewer that
 * has not taken the last snapshot yet skips the next ones: each holds at
 * most one snapshot, whatever its speed.
 */
export function createInspectorFeed(
  snapshot: () => string,
  intervalMs: number,
): InspectorFeed {
  const viewers = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let timer: ReturnType<typeof setInterval> | undefined;

  function frame(): Uint8Array {
    return encoder.encode(`event: snapshot\ndata: ${snapshot()}\n\n`);
  }

  function tick(): void {
    const bytes = frame();
    for (const viewer of viewers) {
      if ((viewer.desiredSize ?? -1) >= 0) viewer.enqueue(bytes);
    }
  }

  function leave(viewer: ReadableStreamDefaultController<Uint8Array>): void {
    viewers.delete(viewer);
    if (viewers.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    open(): ReadableStream<Uint8Array> {
      let self: ReadableStreamDefaultController<Uint8Array>;
      return new ReadableStream<Uint8Array>({
        start(controller): void {
          self = controller;
          controller.enqueue(frame());
          viewers.add(controller);
          timer ??= setInterval(tick, intervalMs);
        },
        cancel(): void {
          leave(self);
        },
      }, { highWaterMark: 0 });
    },
    close(): void {
      for (const viewer of [...viewers]) {
        leave(viewer);
        viewer.close();
      }
    },
    get viewers(): number {
      return viewers.size;
    },
  };
}
