// Copyright 2026 the serverpush authors. MIT license.

import { encodedOnce } from "../message/encoded_once.ts";
import type { MessageSource } from "../message/source.ts";
import type { HubMessage } from "../message/message.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import {
  checkFraming,
  checkPositiveInteger,
  createSplitter,
  encodeFrame,
  type Framing,
} from "./_framing.ts";
import type { NulDelimitedMode } from "./nul_delimited_mode.ts";
import { acceptLoop } from "../_internal/accept_loop.ts";

/**
 * How {@linkcode serveTcpPush} writes a hub topic's messages.
 *
 * - `"data"`: the message's `data` alone, as one message. `Uint8Array` data
 *   is sent base64-encoded (standard alphabet, padded). Text data that
 *   contains the delimiter (NUL; CR or LF in line mode) cannot be framed.
 * - `"json"`: one JSON object per message,
 *   `{"topic":…,"id":…,"event":…,"data":…}` (`event` only when given;
 *   bytes as base64 with `"encoding":"base64"`, as
 *   {@linkcode hubMessageToJson} does, plus the topic). JSON escapes every
 *   control character, so any data can be framed.
 *
 * @example Choose JSON to carry ids, event types and the topic
 * ```ts
 * import { serveTcpPush, type TcpPushFormat } from "@serverpush/serverpush/tcp";
 * import { strictEqual } from "node:assert/strict";
 *
 * const format: TcpPushFormat = "json";
 * const relay = serveTcpPush({ port: 0, format });
 * strictEqual(relay.connections, 0);
 * await relay.shutdown();
 * ```
 */
export type TcpPushFormat = "data" | "json";

/**
 * Options for {@linkcode serveTcpPush}.
 *
 * @example Serve line-delimited JSON on a fixed port
 * ```ts ignore
 * import { serveTcpPush, type ServeTcpPushOptions } from "@serverpush/serverpush/tcp";
 * import { Hub } from "@serverpush/serverpush/hub";
 *
 * const options: ServeTcpPushOptions = {
 *   port: 9000,
 *   mode: "line",
 *   format: "json",
 *   idleTimeout: 60_000,
 *   authorize: (request) => request.headers.get("authorization") === "Bearer s3cret",
 * };
 * const relay = serveTcpPush(options, new Hub());
 * Deno.serve({ port: 8000 }, relay.handler());
 * ```
 */
export interface ServeTcpPushOptions {
  /**
   * Port to listen on. With `0` the system picks a free one: read it from
   * {@linkcode TcpPushRelay.addr}.
   *
   * @default {0}
   */
  port?: number;
  /**
   * Address to listen on. The default accepts local clients only; use
   * `"0.0.0.0"` to accept any.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Message delimiter in both directions: NUL (`"nul"`, Flash `XMLSocket`)
   * or LF (`"line"`, for tools like `nc`; CRLF is accepted from clients).
   *
   * @default {"nul"}
   */
  mode?: NulDelimitedMode;
  /** How hub topic messages are written. @default {"data"} */
  format?: TcpPushFormat;
  /**
   * Largest message pushed to a client, in UTF-8 bytes without the
   * delimiter. {@linkcode TcpPushRelay.send} and
   * {@linkcode TcpPushRelay.broadcast} throw a `RangeError` past it, the
   * HTTP handler answers 413, and a hub message that encodes to more is
   * skipped with a notice (see {@linkcode serveTcpPush}).
   *
   * @default {1048576}
   */
  maxMessageBytes?: number;
  /**
   * Largest message a client may send (a command such as `subscribe news`),
   * in bytes. A client that sends more bytes than this without a delimiter
   * is disconnected. Commands are short, so this is small: it bounds what
   * every connection can make the relay buffer.
   *
   * @default {1024}
   */
  maxCommandBytes?: number;
  /**
   * Bytes queued for one connection and not yet taken by its socket: every
   * byte the relay writes to it counts (its id, pushed and topic messages,
   * notices, error messages, the policy document). A push that would queue
   * more disconnects the client at once, without a message (it reads too
   * slowly or not at all), and is reported as not delivered. Must be larger
   * than `maxMessageBytes`.
   *
   * @default {4194304}
   */
  maxQueuedBytes?: number;
  /**
   * Open connections at most. A connection beyond it receives one message,
   * `Cannot accept connection: the relay has N connections, the
   * maxConnections limit`, and is closed. Each connection holds a file
   * descriptor: keep this below the process's descriptor limit (`ulimit
   * -n`, often 1024) minus what the rest of the process needs, or the
   * relay runs out of descriptors before it can refuse anyone (it then
   * retries accepting with backoff, and new clients wait in the kernel's
   * listen backlog until descriptors are free). Refused connections are
   * told why 64 at a time; during a flood, the rest are closed without a
   * message.
   *
   * @default {512}
   */
  maxConnections?: number;
  /**
   * Open connections at most from one remote IP address. A connection
   * beyond it receives one message, `Cannot accept connection: address
   * "IP" has N connections, the maxConnectionsPerAddress limit`, and is
   * closed. Clients behind one NAT share an address: raise it for them.
   *
   * @default {32}
   */
  maxConnectionsPerAddress?: number;
  /**
   * Topics one connection may subscribe to at once; one more `subscribe`
   * closes the connection with an error message.
   *
   * @default {64}
   */
  maxSubscriptions?: number;
  /**
   * Milliseconds after which an idle connection is closed; `0` never closes
   * idle connections. A connection is idle while no complete message (a
   * delimiter) arrives from the client and no write to it completes: bytes
   * without a delimiter do not count, so a client cannot hold a connection
   * by trickling a byte now and then. A client that stops reading while
   * messages are waiting for it is idle too, and a client that wants to
   * stay connected through a quiet period sends a message now and then (an
   * empty message is fine: unknown messages are ignored). Checked
   * periodically, so a connection closes up to a quarter of `idleTimeout`
   * (at most one second) later than that.
   *
   * @default {300000}
   */
  idleTimeout?: number;
  /**
   * The cross-domain policy document a Flash player gets in answer to
   * `<policy-file-request/>` (followed by NUL and the connection closed), or
   * `false` to not answer policy requests. It must not contain NUL. The
   * default is built from `policyDomains`: with none listed, it allows no
   * domain (`<cross-domain-policy></cross-domain-policy>`).
   *
   * @default {built from policyDomains}
   */
  policy?: string | false;
  /**
   * Domains whose SWFs the default policy document lets connect to the
   * relay's port, each written as
   * `<allow-access-from domain="DOMAIN" to-ports="PORT"/>`, such as
   * `"example.com"` or `"*.example.com"` (`"*"` allows any domain). Ignored
   * when `policy` is given.
   *
   * @default {[]}
   */
  policyDomains?: readonly string[];
  /**
   * Milliseconds the relay holds back a new connection's id while waiting
   * for a possible policy request, which a Flash player sends as soon as it
   * connects. Any other byte from the client ends the wait at once. Ignored
   * when `policy` is `false`. With `0`, ids go out at once and policy
   * requests are not answered (they are ignored like any unknown message).
   *
   * @default {100}
   */
  policyWait?: number;
  /**
   * Decides whether an HTTP request to {@linkcode TcpPushRelay.handler} may
   * push. The default denies every request (403): pass a check of your
   * application's credentials.
   *
   * @default {() => false}
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Sees each failure to accept a connection, such as running out of file
   * descriptors (`EMFILE`). The relay keeps serving: it waits (from 5 ms,
   * doubling up to 1 s while failures continue) and accepts again.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
  /** Stand-in for `Deno.listen`; tests pass a fake. @default {Deno.listen} */
  listen?: (options: Deno.TcpListenOptions) => Deno.TcpListener;
}

/**
 * A running TCP push relay, from {@linkcode serveTcpPush}.
 *
 * @example Push to one client by id
 * ```ts
 * import { serveTcpPush } from "@serverpush/serverpush/tcp";
 * import { strictEqual } from "node:assert/strict";
 *
 * const relay = serveTcpPush({ mode: "line", policy: false });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.addr.port });
 * const lines = conn.readable.pipeThrough(new TextDecoderStream()).values();
 * const id = (await lines.next()).value!.trim();
 * strictEqual(relay.send(id, "hello"), true);
 * strictEqual((await lines.next()).value, "hello\n");
 * conn.close();
 * await relay.shutdown();
 * ```
 */
export interface TcpPushRelay {
  /** The address the relay listens on. */
  readonly addr: Deno.NetAddr;
  /** Open client connections, including ones being closed. */
  readonly connections: number;
  /**
   * Ids of the connections that can be pushed to.
   *
   * @returns The ids, in connection order.
   */
  ids(): string[];
  /**
   * Queues a message for one connection.
   *
   * @param id The id the relay sent the client when it connected.
   * @param message The text to send.
   * @returns `true` if the message was queued; `false` if no open connection
   * has this id, or the message would overflow its queue (the client is then
   * disconnected).
   * @throws {TypeError} If the message contains the delimiter.
   * @throws {RangeError} If the message exceeds `maxMessageBytes`.
   */
  send(id: string, message: string): boolean;
  /**
   * Queues a message for every connection, encoded once.
   *
   * @param message The text to send.
   * @returns The number of connections it was queued for.
   * @throws {TypeError} If the message contains the delimiter.
   * @throws {RangeError} If the message exceeds `maxMessageBytes`.
   */
  broadcast(message: string): number;
  /**
   * Returns an HTTP handler for `Deno.serve` that pushes to one connection:
   * `POST /relay/:id` with the message as the body. It answers 202 when the
   * message is queued, 403 when `authorize` denies, 404 for an unknown id
   * (or another path), 405 for another method, 413 when the body exceeds
   * `maxMessageBytes`, 400 when it is not UTF-8 or contains the delimiter.
   *
   * @returns The handler.
   */
  handler(): (request: Request) => Promise<Response>;
  /**
   * Stops listening and closes every connection (messages still queued are
   * discarded) and hub subscription. The hub itself stays open.
   *
   * @returns A promise that resolves once everything is closed.
   */
  shutdown(): Promise<void>;
  /**
   * Resolves once the relay has shut down. It never rejects: a failure to
   * accept a connection goes to `onError` and the relay keeps serving.
   */
  readonly finished: Promise<void>;
}

interface Connection {
  readonly id: string;
  readonly conn: Deno.TcpConn;
  /** The remote IP address, for maxConnectionsPerAddress. */
  readonly address: string;
  queue: (Uint8Array | undefined)[];
  head: number;
  queuedBytes: number;
  writing: boolean;
  /** The id is held back while a policy request may still arrive. */
  held: boolean;
  /** Writes what is queued, then closes; takes no more messages. */
  closing: boolean;
  closed: boolean;
  lastActivity: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly subscriptions: Map<string, AbortController>;
}

const POLICY_REQUEST = new TextEncoder().encode("<policy-file-request/>\0");
const COMMAND_REGEXP = /^(subscribe|unsubscribe) +(\S+)(?: +(\S+))?$/;
const ROUTE_REGEXP = /^\/relay\/([^/]+)$/;
const BAD_TEXT_REGEXP = /[\0\r\n]/g;
/** A domain of the policy file: host name characters and wildcards. */
const DOMAIN_REGEXP = /^[A-Za-z0-9*.:\-\[\]]+$/;
const READ_BUFFER_BYTES = 1024;
const COALESCE_BYTES = 65_536;
const DRAIN_DEADLINE_MS = 1000;
/** Refused connections being told why at once; more are closed unsaid. */
const MAX_REFUSING = 64;

function denyAll(): boolean {
  return false;
}

function checkMilliseconds(action: string, name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot ${action}: ${name} is ${value}, expected a number of milliseconds, at least 0`,
    );
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/**
 * Starts a TCP push relay: the Flash `XMLSocket` / Java applet socket
 * pattern, for clients that are not browsers (devices, monitors,
 * command-line tools).
 *
 * The protocol, with messages delimited by NUL (or LF in `"line"` mode, see
 * {@linkcode NulDelimitedMode}):
 *
 * 1. A client connects. The relay's first message is the connection's id,
 *    a random UUID. The client hands it to the web application (for example
 *    with a login request), which then pushes to it with
 *    {@linkcode TcpPushRelay.send} or `POST /relay/:id`
 *    ({@linkcode TcpPushRelay.handler}).
 * 2. Afterwards the relay only writes. It reads nothing but the commands
 *    `subscribe <topic>` and `unsubscribe <topic>`: each message of a
 *    subscribed hub topic is then written as set by `format`. A client that
 *    reconnects can resume with `subscribe <topic> <last id>` (the ids are
 *    in the `"json"` format): it first gets what it missed, as far as the
 *    source's replay window reaches (see {@linkcode MessageSource.subscribe}). Other
 *    messages from the client are ignored (they only count as activity for
 *    `idleTimeout`, see there). A `subscribe` that fails (no hub, an invalid topic
 *    name, more than `maxSubscriptions`) closes the connection after an
 *    error message starting with `Cannot`.
 * 3. A Flash player's socket policy request, `<policy-file-request/>` and a
 *    NUL as the very first bytes of a connection (in either mode), is
 *    answered with the `policy` document and a NUL, and the connection is
 *    closed; no id is sent on that connection. By default the document
 *    allows no domain (see `policyDomains`).
 *
 * Limits: every connection's queue is bounded by `maxQueuedBytes` (a client
 * that does not read is disconnected, the others are unaffected), incoming
 * commands by `maxCommandBytes`, connections by `maxConnections` and
 * `maxConnectionsPerAddress`, and idle connections close after
 * `idleTimeout`. A message broadcast or published to a topic is encoded
 * once, and the same bytes are queued for every connection. Failing to
 * accept a connection (for example for want of file descriptors) never
 * stops the relay: it backs off and accepts again (see `onError`).
 *
 * A hub message that cannot be framed is skipped with a notice in its
 * place, and the subscription goes on: with `format: "data"`, a message
 * whose data contains the delimiter or exceeds `maxMessageBytes` is
 * replaced by the text
 * `Cannot push message "<id>" of topic "<topic>": <reason>`; with
 * `format: "json"`, a message over `maxMessageBytes` is replaced by
 * `{"topic":…,"id":…,"error":"Cannot push message …"}`. A resume from an id
 * before it gets the same notice again. A reset (the hub dropped messages
 * for a slow subscriber) is written as `{"topic":…,"reset":"<reason>"}`
 * with `format: "json"`; `format: "data"` cannot express it, so it closes
 * the subscribed connection after an error message. A subscriber whose hub
 * stream fails (for example its hub queue overflowed) is closed the same
 * way.
 *
 * When the client closes its side of the connection, the relay closes the
 * connection too.
 *
 * @param options Address, framing and limits.
 * @param hub Where topics come from, any {@linkcode MessageSource} such as a
 * `Hub`; without it, `subscribe` fails.
 * @returns The running relay.
 * @throws {TypeError} If `mode` or `format` is unknown, or `policy`
 * contains NUL.
 * @throws {RangeError} If a limit is out of range.
 *
 * @example Push a hub topic to a subscribed client
 * ```ts
 * import { serveTcpPush } from "@serverpush/serverpush/tcp";
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const relay = serveTcpPush({ mode: "line" }, hub);
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.addr.port });
 * await conn.write(new TextEncoder().encode("subscribe news\n"));
 * const lines = conn.readable.pipeThrough(new TextDecoderStream()).values();
 * await lines.next(); // the id
 * while (hub.stats().subscribers === 0) await new Promise((r) => setTimeout(r, 5));
 * await hub.publish("news", { data: "extra!" });
 * strictEqual((await lines.next()).value, "extra!\n");
 * conn.close();
 * await relay.shutdown();
 * await hub.close();
 * ```
 */
export function serveTcpPush(
  options: ServeTcpPushOptions = {},
  hub?: MessageSource,
): TcpPushRelay {
  const action = "serve TCP push";
  const framing: Framing = checkFraming(action, options);
  const { mode, maxMessageBytes } = framing;
  const {
    port = 0,
    hostname = "127.0.0.1",
    format = "data",
    maxCommandBytes = 1024,
    maxQueuedBytes = 4_194_304,
    maxConnections = 512,
    maxConnectionsPerAddress = 32,
    maxSubscriptions = 64,
    idleTimeout = 300_000,
    policyWait = 100,
    authorize = denyAll,
    policyDomains = [],
    onError,
    listen = Deno.listen,
  } = options;
  if (format !== "data" && format !== "json") {
    throw new TypeError(
      `Cannot ${action}: format is ${
        quote(String(format))
      }, expected "data" or "json"`,
    );
  }
  checkPositiveInteger(action, "maxCommandBytes", maxCommandBytes);
  checkPositiveInteger(action, "maxQueuedBytes", maxQueuedBytes);
  checkPositiveInteger(action, "maxConnections", maxConnections);
  checkPositiveInteger(
    action,
    "maxConnectionsPerAddress",
    maxConnectionsPerAddress,
  );
  checkPositiveInteger(action, "maxSubscriptions", maxSubscriptions);
  if (maxQueuedBytes <= maxMessageBytes) {
    throw new RangeError(
      `Cannot ${action}: maxQueuedBytes is ${maxQueuedBytes}, expected more than maxMessageBytes of ${maxMessageBytes}`,
    );
  }
  checkMilliseconds(action, "idleTimeout", idleTimeout);
  checkMilliseconds(action, "policyWait", policyWait);
  if (typeof options.policy === "string" && options.policy.includes("\0")) {
    throw new TypeError(`Cannot ${action}: policy contains a NUL character`);
  }
  for (const domain of policyDomains) {
    if (typeof domain !== "string" || !DOMAIN_REGEXP.test(domain)) {
      throw new TypeError(
        `Cannot ${action}: policyDomains has ${
          quote(String(domain))
        }, expected a domain such as "example.com" or "*.example.com"`,
      );
    }
  }

  const listener = listen({ hostname, port });
  const addr = listener.addr;
  const policyFrame: Uint8Array | undefined = options.policy === false
    ? undefined
    : new TextEncoder().encode(
      `${
        options.policy ??
          `<cross-domain-policy>${
            policyDomains.map((domain) =>
              `<allow-access-from domain="${domain}" to-ports="${addr.port}"/>`
            ).join("")
          }</cross-domain-policy>`
      }\0`,
    );
  if (policyFrame !== undefined && policyFrame.length > maxQueuedBytes) {
    listener.close();
    throw new RangeError(
      `Cannot ${action}: the policy document is ${policyFrame.length} bytes, which exceeds maxQueuedBytes of ${maxQueuedBytes}`,
    );
  }
  // Relay-made messages (ids, errors) are not bound by maxMessageBytes.
  const unbounded: Framing = {
    mode,
    maxMessageBytes: Number.MAX_SAFE_INTEGER,
  };
  const sockets = new Set<Connection>();
  const byId = new Map<string, Connection>();
  /** Open connections per remote IP address. */
  const perAddress = new Map<string, number>();
  const tasks = new Set<Promise<void>>();
  /** Connections over maxConnections, closed once told so. */
  const refused = new Set<Deno.TcpConn>();
  let stopping = false;
  const stopped = new AbortController();

  function track(task: Promise<void>): void {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }

  /** A relay-made text as a frame, with anything that would break it removed. */
  function notice(text: string): Uint8Array {
    return encodeFrame(text.replace(BAD_TEXT_REGEXP, " "), unbounded);
  }

  /**
   * A hub message as a frame; a message that cannot be framed as a notice
   * frame in its place; an Error when the connection must close.
   * Declared once per relay: encodedOnce caches per function and message.
   */
  function encodeHubMessage(message: HubMessage): Uint8Array | Error {
    if (message.kind === "reset") {
      if (format === "json") return encodeJson(message);
      return new Error(
        `Cannot push topic ${
          quote(message.topic)
        }: messages are missing (reset ${
          quote(message.reason)
        }), which format "data" cannot express`,
      );
    }
    try {
      if (format === "json") return encodeJson(message);
      const text = typeof message.data === "string"
        ? message.data
        : message.data.toBase64();
      return encodeFrame(
        text,
        framing,
        `push message ${JSON.stringify(message.id)} of topic ${
          quote(message.topic)
        }`,
      );
    } catch (error) {
      // The delimiter in the data, or over maxMessageBytes: skip it, and
      // say so in its place.
      const reason = errorMessage(error);
      if (format === "data") return notice(reason);
      return notice(
        `{"topic":${JSON.stringify(message.topic)},"id":${
          JSON.stringify(message.id)
        },"error":${JSON.stringify(reason)}}`,
      );
    }
  }

  function encodeJson(message: HubMessage): Uint8Array {
    const json = hubMessageToJson(message);
    // hubMessageToJson always writes an object: add the topic in front.
    return encodeFrame(
      `{"topic":${JSON.stringify(message.topic)},${json.slice(1)}`,
      framing,
      `push ${
        message.kind === "message"
          ? `message ${JSON.stringify(message.id)} of `
          : ""
      }topic ${quote(message.topic)}`,
    );
  }

  function close(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    sockets.delete(c);
    const count = perAddress.get(c.address)! - 1;
    if (count === 0) perAddress.delete(c.address);
    else perAddress.set(c.address, count);
    if (byId.get(c.id) === c) byId.delete(c.id);
    clearTimeout(c.timer);
    for (const controller of c.subscriptions.values()) controller.abort();
    c.subscriptions.clear();
    c.queue = [];
    c.head = 0;
    c.queuedBytes = 0;
    c.conn.close();
  }

  /** Writes what is queued plus `frame`, then closes the connection. */
  function closeAfter(c: Connection, frame: Uint8Array | undefined): void {
    if (c.closed || c.closing) return;
    if (frame !== undefined) {
      // Relay-made bytes count against maxQueuedBytes too.
      if (c.queuedBytes + frame.length > maxQueuedBytes) {
        close(c);
        return;
      }
      c.queue.push(frame);
      c.queuedBytes += frame.length;
    }
    c.closing = true;
    if (byId.get(c.id) === c) byId.delete(c.id);
    for (const controller of c.subscriptions.values()) controller.abort();
    c.subscriptions.clear();
    clearTimeout(c.timer);
    // A client that does not read must not keep the connection open.
    c.timer = setTimeout(() => close(c), DRAIN_DEADLINE_MS);
    flush(c);
  }

  function enqueue(c: Connection, frame: Uint8Array): boolean {
    if (c.closed || c.closing) return false;
    if (c.queuedBytes + frame.length > maxQueuedBytes) {
      close(c);
      return false;
    }
    c.queue.push(frame);
    c.queuedBytes += frame.length;
    flush(c);
    return true;
  }

  function flush(c: Connection): void {
    if (c.writing || c.closed || (c.held && !c.closing)) return;
    if (c.head === c.queue.length) {
      if (c.closing) close(c);
      return;
    }
    c.writing = true;
    track(writeLoop(c));
  }

  /** Takes the next chunk to write, joining small queued frames. */
  function take(c: Connection): Uint8Array {
    const first = c.queue[c.head]!;
    let end = c.head + 1;
    let size = first.length;
    while (
      end < c.queue.length && size + c.queue[end]!.length <= COALESCE_BYTES
    ) {
      size += c.queue[end]!.length;
      end++;
    }
    let chunk = first;
    if (end > c.head + 1) {
      chunk = new Uint8Array(size);
      let offset = 0;
      for (let i = c.head; i < end; i++) {
        chunk.set(c.queue[i]!, offset);
        offset += c.queue[i]!.length;
      }
    }
    for (let i = c.head; i < end; i++) c.queue[i] = undefined;
    c.head = end;
    if (c.head === c.queue.length) {
      c.queue = [];
      c.head = 0;
    } else if (c.head >= 1024 && c.head * 2 >= c.queue.length) {
      c.queue = c.queue.slice(c.head);
      c.head = 0;
    }
    return chunk;
  }

  async function writeLoop(c: Connection): Promise<void> {
    try {
      while (!c.closed && c.head < c.queue.length) {
        const chunk = take(c);
        let offset = 0;
        while (offset < chunk.length) {
          offset += await c.conn.write(chunk.subarray(offset));
        }
        if (c.closed) return;
        c.queuedBytes -= chunk.length;
        c.lastActivity = performance.now();
      }
    } catch {
      // The peer reset the connection or it was closed: it is gone.
      close(c);
      return;
    } finally {
      c.writing = false;
    }
    if (c.closing) close(c);
  }

  function release(c: Connection): void {
    if (!c.held) return;
    c.held = false;
    clearTimeout(c.timer);
    c.timer = undefined;
    flush(c);
  }

  function subscribe(
    c: Connection,
    topic: string,
    since: string | undefined,
  ): void {
    if (c.subscriptions.has(topic)) return;
    const fail = (state: string): void =>
      closeAfter(
        c,
        notice(`Cannot subscribe to topic ${quote(topic)}: ${state}`),
      );
    if (hub === undefined) return fail("the relay has no hub");
    if (c.subscriptions.size >= maxSubscriptions) {
      return fail(
        `the connection has ${c.subscriptions.size} subscriptions, the maxSubscriptions limit`,
      );
    }
    const controller = new AbortController();
    let stream: ReadableStream<HubMessage>;
    try {
      stream = hub.subscribe(
        topic,
        since === undefined
          ? { signal: controller.signal }
          : { since, signal: controller.signal },
      );
    } catch (error) {
      // The hub's message already reads "Cannot subscribe to topic ...".
      closeAfter(c, notice(errorMessage(error)));
      return;
    }
    c.subscriptions.set(topic, controller);
    track(pump(c, topic, stream, controller));
  }

  async function pump(
    c: Connection,
    topic: string,
    stream: ReadableStream<HubMessage>,
    controller: AbortController,
  ): Promise<void> {
    const reader = stream.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return;
        const frame = encodedOnce(value, encodeHubMessage);
        if (frame instanceof Error) {
          closeAfter(c, notice(frame.message));
          return;
        }
        if (!enqueue(c, frame)) return;
      }
    } catch (error) {
      closeAfter(
        c,
        notice(`Cannot push topic ${quote(topic)}: ${errorMessage(error)}`),
      );
    } finally {
      if (c.subscriptions.get(topic) === controller) {
        c.subscriptions.delete(topic);
      }
      controller.abort();
      reader.releaseLock();
    }
  }

  function command(c: Connection, text: string): void {
    if (c.closing || c.closed) return;
    const match = COMMAND_REGEXP.exec(text.trim());
    if (match === null) return;
    const topic = match[2]!;
    if (match[1] === "subscribe") subscribe(c, topic, match[3]);
    else if (match[3] === undefined) c.subscriptions.get(topic)?.abort();
  }

  async function readLoop(c: Connection): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    const splitter = createSplitter(
      { mode, maxMessageBytes: maxCommandBytes, fatal: false },
      (text) => {
        // Only a complete message is activity: not a byte trickled alone.
        c.lastActivity = performance.now();
        command(c, text);
      },
    );
    // Bytes of POLICY_REQUEST received so far, while the id is held.
    let matched = 0;
    try {
      while (!c.closed) {
        const n = await c.conn.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        if (c.held) {
          const length = Math.min(
            chunk.length,
            POLICY_REQUEST.length - matched,
          );
          let same = true;
          for (let i = 0; i < length && same; i++) {
            same = chunk[i] === POLICY_REQUEST[matched + i];
          }
          if (same) {
            matched += length;
            if (matched < POLICY_REQUEST.length) continue;
            c.queue = [];
            c.head = 0;
            c.queuedBytes = 0;
            if (byId.get(c.id) === c) byId.delete(c.id);
            closeAfter(c, policyFrame);
            return;
          }
          release(c);
        }
        if (matched > 0) {
          splitter.push(POLICY_REQUEST.subarray(0, matched));
          matched = 0;
        }
        if (c.closing) continue;
        splitter.push(chunk);
      }
    } catch (error) {
      if (error instanceof RangeError && !c.closed) {
        // The client sent a message longer than maxCommandBytes.
        closeAfter(c, notice(errorMessage(error)));
        return;
      }
      // Otherwise reading failed: the peer reset the connection, or it was
      // closed here.
    }
    close(c);
  }

  function open(conn: Deno.TcpConn, address: string): void {
    const id = crypto.randomUUID();
    const c: Connection = {
      id,
      conn,
      address,
      queue: [],
      head: 0,
      queuedBytes: 0,
      writing: false,
      held: policyFrame !== undefined && policyWait > 0,
      closing: false,
      closed: false,
      lastActivity: performance.now(),
      timer: undefined,
      subscriptions: new Map(),
    };
    sockets.add(c);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    byId.set(id, c);
    const frame = notice(id);
    c.queue.push(frame);
    c.queuedBytes = frame.length;
    if (c.held) c.timer = setTimeout(() => release(c), policyWait);
    else flush(c);
    track(readLoop(c));
  }

  /** Tells `conn` why it is refused (one short message), then closes it. */
  function refuse(conn: Deno.TcpConn, reason: string): void {
    if (refused.size >= MAX_REFUSING) {
      // A flood: keep descriptors for the connections being served.
      conn.close();
      return;
    }
    const frame = notice(`Cannot accept connection: ${reason}`);
    refused.add(conn);
    const done = (): void => {
      if (refused.delete(conn)) conn.close();
    };
    track(conn.write(frame).then(done, done));
  }

  const sweep = idleTimeout > 0
    ? setInterval(() => {
      const deadline = performance.now() - idleTimeout;
      for (const c of sockets) if (c.lastActivity < deadline) close(c);
    }, Math.min(Math.max(idleTimeout / 4, 1), 1000))
    : undefined;

  function stop(): void {
    if (stopping) return;
    stopping = true;
    stopped.abort();
    clearInterval(sweep);
    listener.close();
    for (const c of [...sockets]) close(c);
    for (const conn of refused) conn.close();
    refused.clear();
  }

  function accepted(conn: Deno.TcpConn): void {
    try {
      // Pushes are small and latency matters: do not wait to coalesce.
      conn.setNoDelay(true);
    } catch {
      // The peer is already gone.
      conn.close();
      return;
    }
    const address = conn.remoteAddr.hostname;
    const fromAddress = perAddress.get(address) ?? 0;
    if (sockets.size >= maxConnections) {
      refuse(
        conn,
        `the relay has ${sockets.size} connections, the maxConnections limit`,
      );
    } else if (fromAddress >= maxConnectionsPerAddress) {
      refuse(
        conn,
        `address ${
          quote(address)
        } has ${fromAddress} connections, the maxConnectionsPerAddress limit`,
      );
    } else {
      open(conn, address);
    }
  }

  async function run(): Promise<void> {
    await acceptLoop(listener, {
      onConnection: accepted,
      onError,
      signal: stopped.signal,
    });
    while (tasks.size > 0) await Promise.all([...tasks]);
  }

  const finished = run();

  async function handle(request: Request): Promise<Response> {
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
      id = "";
    }
    const unknown = (): Response =>
      textResponse(
        404,
        `Cannot push message: no open connection has id ${quote(id)}`,
      );
    if (!byId.has(id)) {
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
    const c = byId.get(id);
    if (c === undefined || !enqueue(c, frame)) return unknown();
    return textResponse(202, "Queued");
  }

  return {
    addr,
    get connections(): number {
      return sockets.size;
    },
    ids(): string[] {
      return [...byId.keys()];
    },
    send(id: string, message: string): boolean {
      const frame = encodeFrame(message, framing, "send message");
      const c = byId.get(id);
      return c !== undefined && enqueue(c, frame);
    },
    broadcast(message: string): number {
      const frame = encodeFrame(message, framing, "broadcast message");
      let count = 0;
      for (const c of byId.values()) if (enqueue(c, frame)) count++;
      return count;
    },
    handler(): (request: Request) => Promise<Response> {
      return handle;
    },
    async shutdown(): Promise<void> {
      stop();
      await finished;
    },
    finished,
  };
}
