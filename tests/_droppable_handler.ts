// Copyright 2026 the serverpush authors. MIT license.

/**
 * A hub handler whose streams a test can cut, as a restart or an idle proxy
 * would, to see clients reconnect.
 *
 * @module
 */

import type { MessageSource } from "../message/mod.ts";
import { createHubHandler, type HubHandlerOptions } from "../serve/mod.ts";

/** See {@linkcode droppableHandler}. */
export interface DroppableHandler {
  /** Serves a request with the current handler. */
  handle(request: Request): Response | Promise<Response>;
  /**
   * Ends every stream of the current handler (WebSockets close with 1001,
   * SSE bodies end) and serves later requests with a new one.
   */
  drop(): void;
  /** Ends every stream of the current handler, for the end of a test. */
  stop(): void;
}

/** `createHubHandler(source, options)`, which {@linkcode DroppableHandler.drop} renews. */
export function droppableHandler(
  source: MessageSource,
  options: HubHandlerOptions = {},
): DroppableHandler {
  let phase = new AbortController();
  let handler = createHubHandler(source, { ...options, signal: phase.signal });
  return {
    handle: (request) => handler(request),
    drop(): void {
      phase.abort();
      phase = new AbortController();
      handler = createHubHandler(source, { ...options, signal: phase.signal });
    },
    stop(): void {
      phase.abort();
    },
  };
}
