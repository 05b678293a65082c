// Copyright 2026 the serverpush authors. MIT license.

/**
 * `GET /ws/binary`: a binary round trip over WebSocket. The page draws an
 * image on a canvas, sends it as an `ArrayBuffer`, and shows what comes back:
 * this endpoint returns every binary message unchanged. A text message
 * closes the connection with 1003; a message over 1 MiB with 1009.
 *
 * @module
 */

import { acceptWebSocket, type WsConnection } from "../../ws/mod.ts";

/** Largest image accepted, in bytes. */
export const MAX_IMAGE_BYTES = 1024 * 1024;

async function echo(connection: WsConnection): Promise<void> {
  for await (const message of connection) {
    if (typeof message === "string") {
      await connection.close(1003, "Cannot echo text: send binary");
      return;
    }
    // send() rejects once the client has gone; then there is nobody to echo to.
    const sent = await connection.send(message).then(() => true, () => false);
    if (!sent) return;
  }
}

/**
 * Answers a `GET /ws/binary` request: upgrades it and echoes binary
 * messages.
 *
 * @param request The request.
 * @returns The upgrade response, or the refusal.
 */
export async function handleBinaryEcho(request: Request): Promise<Response> {
  const { response, connection } = await acceptWebSocket(request, {
    maxMessageBytes: MAX_IMAGE_BYTES,
  });
  if (connection !== undefined) void echo(connection);
  return response;
}
