// Copyright 2026 the serverpush authors. MIT license.

import type { MessageSource } from "../message/source.ts";
import { acceptLoop } from "../_internal/accept_loop.ts";
import { encodeFrame } from "./_framing.ts";
import { Connection, type ConnectionHost } from "./_connection.ts";
import { ConnectionTable } from "./_connection_table.ts";
import { createRelayFrames } from "./_relay_frames.ts";
import { createRelayHandler } from "./_relay_handler.ts";
import { ACTION, resolveRelayOptions } from "./_relay_options.ts";
import { policyFrame as makePolicyFrame } from "./_policy_file.ts";
import { type CommandContext, readCommands } from "./_read_commands.ts";
import type { ServeTcpPushOptions } from "./serve_tcp_push_options.ts";

export type {
  ServeTcpPushOptions,
  TcpPushFormat,
} from "./serve_tcp_push_options.ts";

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
   * discarded) and subscription to the source. The source itself stays
   * open.
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
 *    subscribed topic of the `source` is then written as set by `format`.
 *    A client that
 *    reconnects can resume with `subscribe <topic> <last id>` (the ids are
 *    in the `"json"` format): it first gets what it missed, as far as the
 *    source's replay window reaches (see
 *    {@linkcode MessageSource.subscribe}). Other messages from the client
 *    are ignored (they only count as activity for `idleTimeout`, see
 *    there). A `subscribe` that fails (no `source`, an invalid topic name,
 *    more than `maxSubscriptions`) closes the connection after an error
 *    message starting with `Cannot`.
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
 * A message of the source that cannot be framed is skipped with a notice in its
 * place, and the subscription goes on: with `format: "data"`, a message
 * whose data contains the delimiter or exceeds `maxMessageBytes` is
 * replaced by the text
 * `Cannot push message "<id>" of topic "<topic>": <reason>`; with
 * `format: "json"`, a message over `maxMessageBytes` is replaced by
 * `{"topic":…,"id":…,"error":"Cannot push message …"}`. A resume from an id
 * before it gets the same notice again. A reset (the source dropped
 * messages for a slow subscriber) is written as `{"topic":…,"reset":"<reason>"}`
 * with `format: "json"`; `format: "data"` cannot express it, so it closes
 * the subscribed connection after an error message. A subscriber whose
 * stream from the source fails (for example its queue in a `Hub`
 * overflowed) is closed the same way.
 *
 * When the client closes its side of the connection, the relay closes the
 * connection too.
 *
 * @param options Address, framing and limits.
 * @param source Where topics come from: any {@linkcode MessageSource},
 * such as a `Hub`. Without it, every `subscribe` fails (closing the
 * connection with `Cannot subscribe to topic "<topic>": the relay has no
 * hub`).
 * @returns The running relay.
 * @throws {TypeError} If `mode` or `format` is unknown, `policy`
 * contains NUL, or an entry of `policyDomains` is not a domain.
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
  source?: MessageSource,
): TcpPushRelay {
  const settings = resolveRelayOptions(options);
  const { framing, maxQueuedBytes, policyWait, idleTimeout } = settings;
  const listener = settings.listen({
    hostname: settings.hostname,
    port: settings.port,
  });
  const addr = listener.addr;
  const policyFrame = makePolicyFrame(
    settings.policy,
    settings.policyDomains,
    addr.port,
  );
  if (policyFrame !== undefined && policyFrame.length > maxQueuedBytes) {
    listener.close();
    throw new RangeError(
      `Cannot ${ACTION}: the policy document is ${policyFrame.length} bytes, which exceeds maxQueuedBytes of ${maxQueuedBytes}`,
    );
  }
  const table = new ConnectionTable(
    settings.maxConnections,
    settings.maxConnectionsPerAddress,
  );
  const tasks = new Set<Promise<void>>();
  let stopping = false;
  const stopped = new AbortController();

  function track(task: Promise<void>): void {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }

  const frames = createRelayFrames(settings.format, framing);
  const { notice } = frames;
  /** What every connection shares: made once per relay. */
  const context: CommandContext & ConnectionHost = {
    mode: framing.mode,
    maxCommandBytes: settings.maxCommandBytes,
    maxQueuedBytes,
    maxSubscriptions: settings.maxSubscriptions,
    policyFrame,
    source,
    notice,
    encodeHubMessage: frames.encodeHubMessage,
    track,
    retire(connection: Connection): void {
      table.retire(connection);
    },
    forget(connection: Connection): void {
      table.remove(connection);
    },
  };
  const holdIds = policyFrame !== undefined && policyWait > 0;

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
    const refusal = table.refusal(address);
    if (refusal !== undefined) {
      const task = table.refuse(
        conn,
        notice(`Cannot accept connection: ${refusal}`),
      );
      if (task !== undefined) track(task);
      return;
    }
    const connection = new Connection(
      crypto.randomUUID(),
      conn,
      address,
      context,
      holdIds,
    );
    table.add(connection);
    connection.start(notice(connection.id), policyWait);
    track(readCommands(connection, context));
  }

  const sweep = idleTimeout > 0
    ? setInterval(() => {
      const deadline = performance.now() - idleTimeout;
      for (const c of table.all) if (c.lastActivity < deadline) c.close();
    }, Math.min(Math.max(idleTimeout / 4, 1), 1000))
    : undefined;

  function stop(): void {
    if (stopping) return;
    stopping = true;
    stopped.abort();
    clearInterval(sweep);
    listener.close();
    table.closeAll();
  }

  async function run(): Promise<void> {
    await acceptLoop(listener, {
      onConnection: accepted,
      onError: settings.onError,
      signal: stopped.signal,
    });
    while (tasks.size > 0) await Promise.all([...tasks]);
  }

  const finished = run();
  const handle = createRelayHandler({
    framing,
    authorize: settings.authorize,
    table,
  });

  return {
    addr,
    get connections(): number {
      return table.all.size;
    },
    ids(): string[] {
      return table.ids();
    },
    send(id: string, message: string): boolean {
      const frame = encodeFrame(message, framing, "send message");
      const connection = table.get(id);
      return connection !== undefined && connection.enqueue(frame);
    },
    broadcast(message: string): number {
      const frame = encodeFrame(message, framing, "broadcast message");
      let count = 0;
      for (const connection of table.pushable()) {
        if (connection.enqueue(frame)) count++;
      }
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
