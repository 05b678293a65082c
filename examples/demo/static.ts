// Copyright 2026 the serverpush authors. MIT license.

/**
 * Serves the demo page's files from `examples/public/`, and the prebuilt
 * client `dist/client.js` as `/client.js`. Only the files listed here are
 * served, so no request path can reach anything else on disk.
 *
 * @module
 */

const PUBLIC_DIR = new URL("../public/", import.meta.url);

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
});

/** The URL paths the demo serves, mapped to files in `examples/public/`. */
export const PUBLIC_FILES: Readonly<Record<string, string>> = Object.freeze({
  "/": "index.html",
  "/index.html": "index.html",
  "/style.css": "style.css",
  "/app.js": "app.js",
  "/connection.js": "connection.js",
  "/quotes.js": "quotes.js",
  "/dashboard.js": "dashboard.js",
  "/sparkline.js": "sparkline.js",
  "/chat.js": "chat.js",
  "/binary.js": "binary.js",
  "/favicon.svg": "favicon.svg",
  "/transports.html": "transports.html",
  "/transports.js": "transports.js",
  "/iframe_transport.js": "iframe_transport.js",
  "/websocketd.html": "websocketd.html",
  "/websocketd.js": "websocketd.js",
  "/hub.html": "hub.html",
  "/hub.js": "hub.js",
  "/client.html": "client.html",
  "/client.js": "../../dist/client.js",
});

/**
 * Answers a request for one of {@linkcode PUBLIC_FILES}.
 *
 * @param pathname The request's URL path.
 * @returns The file as a response, or `undefined` if the path is not public.
 */
export async function servePublicFile(
  pathname: string,
): Promise<Response | undefined> {
  const name = PUBLIC_FILES[pathname];
  if (name === undefined) return undefined;
  const body = await Deno.readFile(new URL(name, PUBLIC_DIR));
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf("."))] ??
    "application/octet-stream";
  return new Response(body, {
    headers: { "content-type": type, "cache-control": "no-cache" },
  });
}
