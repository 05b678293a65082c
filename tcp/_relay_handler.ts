// Copyright 2026 the serverpush authors. MIT license.
// The relay's HTTP control plane: `POST /relay/:id` pushes the body to the
// connection with that id.

import { quote } from "../_internal/quote.ts";
import { encodeFrame, type Framing } from "./_framing.ts";
import type { ConnectionTable } from "./_connection_table.ts";

const ROUTE_REGEXP = /^\/relay\/([^/]+)$/;

/** What the handler needs from its relay. */
export interface RelayHandlerOptions {
  /** The relay's framing; its maxMessageBytes bounds the body. */
  framing: Framing;
  /** Decides whether a request may push. */
  authorize: (request: Request) => boolean | Promise<boolean>;
  /** Where the connections are found by id. */
  table: ConnectionTable;
}

function textResponse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Reads a request body of at most `max` bytes; `undefined` if it is larger.
 */
async function readBody(
  request: Request,
  max: number,
): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) {
    await request.body?.cancel();
    return undefined;
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return body;
}

/** Makes the relay's HTTP handler (see `TcpPushRelay.handler`). */
export function createRelayHandler(
  options: RelayHandlerOptions,
): (request: Request) => Promise<Response> {
  const { framing, authorize, table } = options;
  const { maxMessageBytes } = framing;
  return async function handle(request: Request): Promise<Response> {
    const match = ROUTE_REGEXP.exec(new URL(request.url).pathname);
    if (match === null) {
      await request.body?.cancel();
      return textResponse(404, "Cannot find route: expected POST /relay/:id");
    }
    if (request.method !== "POST") {
      await request.body?.cancel();
      const response = textResponse(
        405,
        `Cannot ${request.method} /relay/:id: only POST is allowed`,
      );
      response.headers.set("allow", "POST");
      return response;
    }
    if (!(await authorize(request))) {
      await request.body?.cancel();
      return textResponse(403, "Cannot push message: not authorized");
    }
    let id: string;
    try {
      id = decodeURIComponent(match[1]!);
    } catch {
      // Not a valid escape: no connection has such an id.
      id = "";
    }
    const unknown = (): Response =>
      textResponse(
        404,
        `Cannot push message: no open connection has id ${quote(id)}`,
      );
    if (!table.has(id)) {
      await request.body?.cancel();
      return unknown();
    }
    const body = await readBody(request, maxMessageBytes);
    if (body === undefined) {
      return textResponse(
        413,
        `Cannot push message: the body exceeds maxMessageBytes of ${maxMessageBytes}`,
      );
    }
    let frame: Uint8Array;
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(body);
      frame = encodeFrame(text, framing, "push message");
    } catch (error) {
      return textResponse(
        400,
        error instanceof TypeError && error.message.startsWith("Cannot")
          ? error.message
          : "Cannot push message: the body is not valid UTF-8",
      );
    }
    const connection = table.get(id);
    if (connection === undefined || !connection.enqueue(frame)) {
      return unknown();
    }
    return textResponse(202, "Queued");
  };
}
