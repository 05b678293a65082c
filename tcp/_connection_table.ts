// Copyright 2026 the serverpush authors. MIT license.
// The relay's connections: every open one, the ones that can be pushed to
// by id, how many each remote address holds, and the limits on both
// (maxConnections, maxConnectionsPerAddress) that refuse a new one.

import { quote } from "../_internal/quote.ts";
import type { Connection } from "./_connection.ts";

/** Refused connections being told why at once; more are closed unsaid. */
const MAX_REFUSING = 64;

/** The relay's open connections and the limits on them. */
export class ConnectionTable {
  /** Every open connection, including ones being closed. */
  readonly all: Set<Connection> = new Set();
  readonly #byId = new Map<string, Connection>();
  /** Open connections per remote IP address. */
  readonly #perAddress = new Map<string, number>();
  /** Connections over a limit, closed once told so. */
  readonly #refused = new Set<Deno.TcpConn>();
  readonly #maxConnections: number;
  readonly #maxConnectionsPerAddress: number;

  constructor(maxConnections: number, maxConnectionsPerAddress: number) {
    this.#maxConnections = maxConnections;
    this.#maxConnectionsPerAddress = maxConnectionsPerAddress;
  }

  /** Ids of the connections that can be pushed to, in connection order. */
  ids(): string[] {
    return [...this.#byId.keys()];
  }

  /** The connection that can be pushed to under `id`. */
  get(id: string): Connection | undefined {
    return this.#byId.get(id);
  }

  /** Whether a connection can be pushed to under `id`. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The connections that can be pushed to. */
  pushable(): IterableIterator<Connection> {
    return this.#byId.values();
  }

  /**
   * Why a new connection from `address` is refused, or `undefined` if it
   * is within the limits.
   */
  refusal(address: string): string | undefined {
    if (this.all.size >= this.#maxConnections) {
      return `the relay has ${this.all.size} connections, the maxConnections limit`;
    }
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (fromAddress >= this.#maxConnectionsPerAddress) {
      return `address ${
        quote(address)
      } has ${fromAddress} connections, the maxConnectionsPerAddress limit`;
    }
    return undefined;
  }

  /** Counts `connection` in, under its id and address. */
  add(connection: Connection): void {
    this.all.add(connection);
    const { address } = connection;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    this.#byId.set(connection.id, connection);
  }

  /** `connection` takes no more pushes: forgets its id. */
  retire(connection: Connection): void {
    if (this.#byId.get(connection.id) === connection) {
      this.#byId.delete(connection.id);
    }
  }

  /** `connection` is closed: counts it out. */
  remove(connection: Connection): void {
    this.all.delete(connection);
    const { address } = connection;
    const count = this.#perAddress.get(address)! - 1;
    if (count === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count);
    this.retire(connection);
  }

  /**
   * Writes `frame` (why `conn` is refused) to `conn`, then closes it; during
   * a flood, closes it at once to keep descriptors for the connections being
   * served.
   *
   * @returns The write to wait for, if any.
   */
  refuse(conn: Deno.TcpConn, frame: Uint8Array): Promise<void> | undefined {
    if (this.#refused.size >= MAX_REFUSING) {
      conn.close();
      return undefined;
    }
    this.#refused.add(conn);
    const done = (): void => {
      if (this.#refused.delete(conn)) conn.close();
    };
    return conn.write(frame).then(done, done);
  }

  /** Closes every connection, refused ones too. */
  closeAll(): void {
    for (const connection of [...this.all]) connection.close();
    for (const conn of this.#refused) conn.close();
    this.#refused.clear();
  }
}
