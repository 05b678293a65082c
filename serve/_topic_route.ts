// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: which topic a request names, from its path under `prefix` or
// from the `topic` option.

import type { HubUrl } from "./_hub_handler_url.ts";
import { checkTopic } from "../message/topic.ts";
import { textResponse } from "./_text_response.ts";
import { quote } from "../_internal/quote.ts";

/** The routing options: those of `HubHandlerOptions`. */
export interface TopicRouteOptions {
  prefix?: string;
  topic?: (request: Request) => string | undefined;
}

/** Reads the topic of requests (see {@linkcode createTopicRoute}). */
export interface TopicRoute {
  /** The topic of a request, `undefined` for none, or a `400`. */
  topicOf(request: Request, url: HubUrl): string | undefined | Response;
  /** Whether the request's path is under `prefix` at all. */
  underPrefix(url: HubUrl): boolean;
}

function checkPrefix(what: string, prefix: string): string {
  if (
    typeof prefix !== "string" || (prefix !== "" && !prefix.startsWith("/"))
  ) {
    throw new TypeError(
      `Cannot ${what}: prefix ${quote(prefix)} does not start with "/"`,
    );
  }
  return prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
}

/** The path of an absolute URL string as written, before normalization. */
function rawPath(href: string): string {
  const start = href.indexOf("/", href.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = href.length;
  const query = href.indexOf("?", start);
  if (query >= 0) end = query;
  const fragment = href.indexOf("#", start);
  if (fragment >= 0 && fragment < end) end = fragment;
  return href.slice(start, end);
}

/**
 * Checks the routing options and returns the topic reader.
 *
 * @param what The caller, for error messages (`"create hub handler"`).
 * @throws {TypeError} If `prefix` does not start with `/`.
 */
export function createTopicRoute(
  what: string,
  options: TopicRouteOptions,
): TopicRoute {
  const prefix = checkPrefix(what, options.prefix ?? "");
  const pick = options.topic;
  return {
    topicOf(request: Request, url: HubUrl): string | undefined | Response {
      let topic: string | undefined;
      if (pick !== undefined) {
        topic = pick(request);
      } else {
        const path = url.pathname;
        if (path === prefix || path === `${prefix}/`) return undefined;
        if (!path.startsWith(`${prefix}/`)) return undefined;
        // The topic is the path as sent, never an alias of it: a proxy rule
        // on a path prefix sees the same topic as the hub.
        if (rawPath(request.url) !== path) {
          return textResponse(
            400,
            "Cannot serve topic: the path has dot segments or characters that URL parsing rewrites",
          );
        }
        topic = path.slice(prefix.length + 1);
        if (topic.includes("%")) {
          return textResponse(
            400,
            `Cannot serve topic ${
              quote(topic)
            }: the path is percent-encoded, and topic names need no encoding`,
          );
        }
      }
      if (topic === undefined) return undefined;
      try {
        checkTopic("serve", topic);
      } catch (error) {
        return textResponse(400, (error as TypeError).message);
      }
      return topic;
    },
    underPrefix(url: HubUrl): boolean {
      return pick !== undefined || prefix === "" ||
        url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    },
  };
}
