// Copyright 2026 the serverpush authors. MIT license.
// The accept loop every TCP server of ours runs (serveTcpPush,
// serveWebSocket), with one error policy: an accept error never stops the
// server. Imports nothing of ours.

/** Something that accepts connections, such as a `Deno.Listener`. */
export interface Acceptor<C> {
  /** Resolves with the next connection; rejects once closed. */
  accept(): Promise<C>;
}

/** Options of {@linkcode acceptLoop}. */
export interface AcceptLoopOptions<C extends { close(): void }> {
  /** Takes each accepted connection. */
  onConnection: (conn: C) => void;
  /**
   * Sees each accept error the loop rides out, before it backs off.
   *
   * @default {undefined}
   */
  onError?: ((error: unknown) => void) | undefined;
  /** Aborted when the server stops: the loop ends, a backoff wait too. */
  signal: AbortSignal;
}

/** First wait after an accept error, in milliseconds. */
export const ACCEPT_BACKOFF_MIN_MS = 5;
/** Longest wait between accept attempts while they keep failing. */
export const ACCEPT_BACKOFF_MAX_MS = 1000;

/** Whether `error` says the listener is closed (so accepting is over). */
function isClosedError(error: unknown): boolean {
  return error instanceof Error &&
    (error.name === "BadResource" || error.name === "Interrupted");
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Accepts connections until `signal` is aborted or the listener is closed,
 * handing each to `onConnection`. Resolves then; it never rejects.
 *
 * Every other accept error is transient as far as the server is concerned:
 * running out of file descriptors (`EMFILE`, `ENFILE`), memory or buffers
 * (`ENOMEM`, `ENOBUFS`), or a client that left before it was accepted
 * (`ECONNABORTED`). The loop reports it to `onError`, waits (5 ms, doubling
 * up to 1 s while errors continue, back to 5 ms after a success) and tries
 * again, so a server survives descriptor exhaustion and serves again once
 * descriptors are free, without spinning. Meanwhile new clients wait in the
 * kernel's listen backlog.
 */
export async function acceptLoop<C extends { close(): void }>(
  listener: Acceptor<C>,
  options: AcceptLoopOptions<C>,
): Promise<void> {
  const { onConnection, onError, signal } = options;
  let backoff = ACCEPT_BACKOFF_MIN_MS;
  while (!signal.aborted) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (signal.aborted || isClosedError(error)) return;
      try {
        onError?.(error);
      } catch (hookError) {
        // The hook's own failure is the application's: surface it as an
        // uncaught error rather than end the loop.
        queueMicrotask(() => {
          throw hookError;
        });
      }
      await wait(backoff, signal);
      backoff = Math.min(backoff * 2, ACCEPT_BACKOFF_MAX_MS);
      continue;
    }
    backoff = ACCEPT_BACKOFF_MIN_MS;
    if (signal.aborted) {
      conn.close();
      return;
    }
    onConnection(conn);
  }
}
