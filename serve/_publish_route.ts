// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the hub handler's `POST` publish.

import { checkOrigin, type OriginPolicy } from "../ws/check_origin.ts";
import type { MessageSource } from "../message/source.ts";
import type { HubAuthorize } from "./hub_handler_options.ts";
import { readPublishRequest } from "./_publish_request.ts";
import { readIdempotencyKey } from "./_idempotency_key.ts";
import { authorized } from "./_authorize.ts";
import type { Identified } from "./_identify.ts";
import { textResponse } from "./_text_response.ts";
import {
  isTooManyKeys,
  isTooManyTopics,
} from "../_internal/too_many_topics.ts";
import { quote } from "../_internal/quote.ts";

/** Publishes the body of a `POST` to a topic. */
export type PublishRoute = (
  request: Request,
  topic: string,
) => Promise<Response>;

/**
 * Makes the publish route: the Origin policy, then `authorizePublish`,
 * then the body (at most `maxPublishBytes`) goes to `source.publish`, with
 * the `Idempotency-Key` header's key.
 */
export function createPublishRoute(
  source: MessageSource,
  origins: OriginPolicy | undefined,
  authorizePublish: HubAuthorize,
  maxPublishBytes: number,
  identify?: (request: Request) => Promise<Identified>,
): PublishRoute {
  return async function servePublish(
    request: Request,
    topic: string,
  ): Promise<Response> {
    try {
      checkOrigin(request, origins);
    } catch {
      return textResponse(
        403,
        `Cannot publish to topic ${quote(topic)}: Origin ${
          quote(request.headers.get("origin"))
        } is not allowed`,
      );
    }
    const verdict = await authorized(
      authorizePublish,
      request,
      topic,
      "publish to",
    );
    if (verdict !== true) return verdict;
    const identity = await identify?.(request);
    if (identity instanceof Response) return identity;
    const idempotencyKey = readIdempotencyKey(request, topic);
    if (typeof idempotencyKey === "object") {
      return textResponse(idempotencyKey.status, idempotencyKey.message);
    }
    const message = await readPublishRequest(request, topic, maxPublishBytes);
    if ("status" in message) {
      return textResponse(message.status, message.message);
    }
    if (identity !== undefined) message.from = identity.clientId;
    if (source.publish === undefined) {
      return textResponse(
        405,
        `Cannot publish to topic ${quote(topic)}: the source is read-only`,
        { allow: "GET" },
      );
    }
    let id: string;
    try {
      id = idempotencyKey === undefined
        ? await source.publish(topic, message)
        : await source.publish(topic, message, { idempotencyKey });
    } catch (error) {
      if (isTooManyTopics(error) || isTooManyKeys(error)) {
        return textResponse(429, (error as Error).message);
      }
      if (error instanceof RangeError) return textResponse(413, error.message);
      if (error instanceof TypeError) return textResponse(400, error.message);
      return textResponse(503, (error as Error).message);
    }
    return new Response(JSON.stringify({ id }), {
      status: 201,
      headers: { "content-type": "application/json" },
    });
  };
}
