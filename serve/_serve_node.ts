// Copyright 2026 the serverpush authors. MIT license.
// Adapter, private: `serve` on Node, over `node:http` / `node:https`
// (loaded with `process.getBuiltinModule`, so nothing here is imported
// where Node is absent). Requests become web `Request`s with a streaming
// body and a signal that aborts when the client goes away; response bodies
// are written only as fast as the client takes them. WebSocket upgrades
// come from the server's `upgrade` event and run on serverpush's codec
// engine over the socket.

import type { DeflateParams } from "../ws/deflate_negotiation.ts";
import { withResolvers } from "../_internal/resolvers.ts";
import {
  type ProvidedDeflate,
  type ProvidedUpgrade,
  provideWebSocketUpgrade,
  type WebSocketUpgradeProvider,
} from "../ws/upgrade_provider.ts";
import type { UpgradeAcceptance } from "../ws/server_handshake.ts";
import type { WsConnection } from "../ws/connection.ts";
import type { ServeHandler, Server, ServeRequestInfo } from "./server.ts";
import {
  internalError,
  requestInfo,
  respond,
  running,
  type ServeSettings,
} from "./_serve_options.ts";
import { Live } from "./_live.ts";
import { NodeSocketDuplex } from "./_node_duplex.ts";
import {
  nodeRequest,
  nodeRequestsWork,
  type SignalSource,
} from "./_node_request.ts";
import { requestUrl } from "./_node_request_url.ts";
import { firstValue } from "./_node_headers.ts";
import { headerLinesOf } from "../ws/_check_upgrade.ts";
import {
  nodeUpgradeResponsesWork,
  upgradeHeaderLines,
  upgradeResponse,
} from "./_node_upgrade_response.ts";
import type {
  NodeHttpModule,
  NodeIncomingMessage,
  NodeServerResponse,
  NodeSocket,
} from "./_node_types.ts";
import { nodeModule } from "../_internal/node_module.ts";

/** Bytes of a refusal's body written on an upgrade's socket, at most. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** Serves `handler` with `node:http` (or `node:https` with TLS). */
export function serveNode(
  settings: ServeSettings,
  handler: ServeHandler,
): Promise<Server> {
  const http = nodeModule<NodeHttpModule>(
    settings.tls === undefined ? "node:http" : "node:https",
  );
  const scheme = settings.tls === undefined ? "http" : "https";
  const live = new Live();
  // Decided now rather than on the first request: whether the handler's
  // requests and upgrade responses can be lazy here (this loads Node's
  // fetch implementation, which every request needs anyway).
  nodeRequestsWork();
  nodeUpgradeResponsesWork();
  const chosen = settings.deflate;
  const deflate: ProvidedDeflate | undefined = chosen === undefined
    ? undefined
    : {
      options: chosen.negotiation,
      compressor: (params: DeflateParams) => chosen.create(params, "server"),
    };

  const server = http.createServer({
    ...(settings.tls ?? {}),
    maxHeaderSize: settings.maxHeaderBytes,
    headersTimeout: settings.headersTimeout,
    // Streaming responses (SSE, long polls) last as long as they need.
    requestTimeout: 0,
  }, (req, res) => live.track(onRequest(req, res)));
  server.on("upgrade", (req: NodeIncomingMessage, socket, head) => {
    try {
      onUpgrade(req, socket as NodeSocket, head as Uint8Array);
    } catch (error) {
      settings.report(error);
      (socket as NodeSocket).destroy();
    }
  });
  server.on("clientError", (error: unknown, socket: NodeSocket) => {
    settings.report(error);
    socket.destroy();
  });

  let origin = "";

  /**
   * The web request of `req` (see `_node_request.ts`); its signal is
   * `signal`, or made by the source when first read; its body streams
   * with backpressure unless `withBody` is false.
   */
  function toRequest(
    req: NodeIncomingMessage,
    signal: AbortSignal | SignalSource,
    withBody: boolean,
  ): Request {
    return nodeRequest(
      req,
      requestUrl(
        scheme,
        firstValue(req.rawHeaders, "host"),
        origin,
        req.url ?? "/",
      ),
      signal,
      withBody ? settings.maxRequestBodyBytes : undefined,
    );
  }

  async function onRequest(
    req: NodeIncomingMessage,
    res: NodeServerResponse,
  ): Promise<void> {
    const aborter = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborter.abort();
    });
    let request: Request;
    try {
      request = toRequest(req, aborter.signal, true);
    } catch (error) {
      settings.report(error);
      res.writeHead(400, "Bad Request", { "content-type": "text/plain" });
      res.end();
      return;
    }
    const response = await respond(
      handler,
      request,
      peerInfo(req.socket),
      settings,
    );
    await writeResponse(res, response, aborter.signal);
  }

  /** Streams `response` to `res`, waiting for `drain` when Node asks. */
  async function writeResponse(
    res: NodeServerResponse,
    response: Response,
    signal: AbortSignal,
  ): Promise<void> {
    res.writeHead(response.status, response.statusText, headersOf(response));
    const body = response.body;
    if (body === null) {
      res.end();
      return;
    }
    res.flushHeaders();
    const reader = body.getReader();
    const stop = (): void => {
      reader.cancel().catch(ignore);
      // A client that does not read would hold the response open.
      if (res.writableNeedDrain) res.destroy();
    };
    signal.addEventListener("abort", stop, { once: true });
    live.streams.add(stop);
    try {
      await pump(res, reader, signal);
    } catch {
      // The body failed (a source cutting off a slow client fails its
      // stream on purpose): the client sees the connection drop, as on
      // Deno.
      res.destroy();
    } finally {
      live.streams.delete(stop);
      signal.removeEventListener("abort", stop);
      // A stream stopped by shutdown ends the response cleanly.
      if (!res.writableEnded && !res.destroyed) res.end();
    }
  }

  // Not async: the promise, frame and await of an async function are
  // garbage per upgrade, which grows V8's young generation on a server
  // taking thousands of them; a handler that answers later costs one
  // reaction instead.
  function onUpgrade(
    req: NodeIncomingMessage,
    socket: NodeSocket,
    head: Uint8Array,
  ): void {
    socket.setNoDelay(true);
    const duplex = new NodeSocketDuplex(socket, head);
    let request: Request;
    try {
      request = toRequest(req, duplex, false);
    } catch (error) {
      settings.report(error);
      duplex.refuse();
      live.track(writeRaw(socket, new Response(null, { status: 400 })));
      return;
    }
    const upgrade = new NodeUpgrade(socket, duplex, deflate, live);
    provideWebSocketUpgrade(request, upgrade);
    let answer: Response | Promise<Response>;
    try {
      answer = handler(request, peerInfo(socket));
    } catch (error) {
      settings.report(error);
      answer = internalError();
    }
    if (answer instanceof Response) {
      const refusing = upgrade.answer(answer);
      if (refusing !== undefined) live.track(refusing);
      return;
    }
    live.track(
      Promise.resolve(answer).then(
        (response) => upgrade.answer(response),
        (error: unknown) => {
          settings.report(error);
          return upgrade.answer(internalError());
        },
      ),
    );
  }

  const listening = withResolvers<Server>();
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) =>
      server.close(() => resolve())
    );
    server.closeIdleConnections();
    live.end();
    await live.settled();
    server.closeAllConnections();
    await closed;
  };

  server.once("error", (error: unknown) => {
    listening.reject(error);
  });
  server.listen(settings.port, settings.hostname, () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null
      ? address.port
      : settings.port;
    const addr = { hostname: settings.hostname, port };
    const host = settings.hostname.includes(":")
      ? `[${settings.hostname}]`
      : settings.hostname;
    origin = `${scheme}://${host}:${port}`;
    listening.resolve(running(settings, "node", addr, stop));
  });
  return listening.promise;
}

/**
 * How an upgrade on Node is made: the codec engine over the socket's
 * duplex. One object per upgrade, with no closures of its own.
 */
class NodeUpgrade implements WebSocketUpgradeProvider {
  readonly deflate?: ProvidedDeflate;
  /** The response the handler must return for the `101` to be written. */
  response: Response | undefined;
  #socket: NodeSocket;
  #duplex: NodeSocketDuplex;
  #live: Live;

  constructor(
    socket: NodeSocket,
    duplex: NodeSocketDuplex,
    deflate: ProvidedDeflate | undefined,
    live: Live,
  ) {
    this.#socket = socket;
    this.#duplex = duplex;
    this.#live = live;
    if (deflate !== undefined) this.deflate = deflate;
  }

  /**
   * Answers the upgrade with the handler's `response`: the `101` if it is
   * the one this upgrade made (the connection then starts), else that
   * response, written as it is (the returned promise) and the connection
   * closed.
   */
  answer(response: Response): Promise<void> | undefined {
    const socket = this.#socket;
    if (
      this.response !== undefined && response === this.response &&
      !socket.destroyed
    ) {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\n${
          upgradeHeaderLines(response)
        }\r\n`,
      );
      this.#duplex.open();
      return undefined;
    }
    this.#duplex.refuse();
    return writeRaw(socket, response);
  }

  upgrade(_request: Request, acceptance: UpgradeAcceptance): ProvidedUpgrade {
    // Node's Response cannot carry status 101: the handler returns this
    // one, and the 101 is written once it has.
    this.response = upgradeResponse(acceptance);
    return { response: this.response, duplex: this.#duplex };
  }

  accepted(connection: WsConnection): void {
    this.#live.connection(connection);
  }
}

/**
 * The handler's `info` for a request on `socket`. Node keeps the peer's
 * address it looked up on the socket for as long as the socket lives (an
 * object and two strings per WebSocket); `info` has what it needs, so the
 * socket's copy is dropped (Node looks it up again if asked).
 */
function peerInfo(socket: NodeSocket): ServeRequestInfo {
  const info = requestInfo(socket.remoteAddress, socket.remotePort);
  const cached = socket as { _peername?: unknown };
  if (cached._peername !== undefined) cached._peername = undefined;
  return info;
}

/** Node's header object of a response (`set-cookie` kept apart). */
function headersOf(response: Response): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  return headers;
}

/** An HTTP/1.1 status line and header lines, without the final CRLF. */
function headOf(status: number, text: string, headers: Headers): string {
  return `HTTP/1.1 ${status} ${text}\r\n${headerLinesOf(headers)}`;
}

/**
 * Writes a whole response on a raw socket (a refused upgrade), body cut at
 * {@linkcode MAX_REFUSAL_BYTES}, and closes the connection.
 */
async function writeRaw(socket: NodeSocket, response: Response): Promise<void> {
  let body = new Uint8Array(0);
  try {
    const bytes = new Uint8Array(await response.arrayBuffer());
    body = bytes.subarray(0, MAX_REFUSAL_BYTES);
  } catch {
    // A body that fails is sent empty.
  }
  const headers = new Headers(response.headers);
  headers.set("content-length", String(body.length));
  headers.set("connection", "close");
  if (socket.destroyed) return;
  socket.write(
    headOf(response.status, response.statusText || "Refused", headers) +
      "\r\n",
  );
  if (body.length > 0) socket.write(body);
  socket.end();
}

/** How long an ended response may wait for a client that does not read. */
const END_TIMEOUT = 5_000;
/** Chunks of a body read ahead while the client does not take them. */
const MAX_AHEAD = 4;

/**
 * Copies a body to `res` as fast as the client takes it. While Node's
 * buffer is full, up to {@linkcode MAX_AHEAD} chunks are read ahead, so that
 * a source that ends or fails meanwhile (such as the hub cutting off a
 * slow reader) is noticed: a failure drops the connection, an end is
 * written and the connection dropped if the client has not taken it
 * within {@linkcode END_TIMEOUT}. A read that fails throws.
 */
async function pump(
  res: NodeServerResponse,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal,
): Promise<void> {
  const ahead: Uint8Array[] = [];
  while (!signal.aborted && !res.destroyed) {
    const waiting = res.writableNeedDrain;
    if (!waiting && ahead.length > 0) {
      res.write(ahead.shift()!);
      continue;
    }
    if (waiting && ahead.length >= MAX_AHEAD) {
      await drained(res);
      continue;
    }
    const read = reader.read();
    const result = waiting
      ? await Promise.race([drained(res).then(() => undefined), read]) ??
        await read
      : await read;
    if (result.done) {
      for (const chunk of ahead) res.write(chunk);
      if (res.writableNeedDrain) endSoon(res);
      else res.end();
      return;
    }
    if (res.writableNeedDrain || ahead.length > 0) ahead.push(result.value);
    else res.write(result.value);
  }
}

/** Ends `res`, and drops it if the client has not taken it in time. */
function endSoon(res: NodeServerResponse): void {
  res.end();
  const timer = setTimeout(() => res.destroy(), END_TIMEOUT);
  res.once("close", () => clearTimeout(timer));
}

/** Resolves once `res` wants more, or is gone. */
function drained(res: NodeServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Intentionally empty: cancelling a body that already failed is moot. */
function ignore(): void {}
