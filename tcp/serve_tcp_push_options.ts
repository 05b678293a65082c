// Copyright 2026 the serverpush authors. MIT license.

import type { NulDelimitedMode } from "./nul_delimited_mode.ts";

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
