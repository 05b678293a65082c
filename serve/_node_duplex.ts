// Copyright 2026 the serverpush authors. MIT license.
// Private: a `WsDuplex` over a Node `net.Socket` (or `tls.TLSSocket`), for
// serverpush's codec engine. The socket is paused except while a `read()`
// waits, so when the engine stops reading (its limits) TCP holds the peer
// back. Reads and writes wait until the `101` is written (`open()`);
// `refuse()` hands the socket back for a refusal instead.

import type { WsDuplex } from "../ws/upgrade_provider.ts";
import type { NodeSocket } from "./_node_types.ts";

/** A read that waits for the socket. */
interface PendingRead {
  p: Uint8Array;
  resolve: (n: number | null) => void;
  reject: (error: unknown) => void;
}

/** See the file comment. */
export class NodeSocketDuplex implements WsDuplex {
  #socket: NodeSocket;
  /** Bytes received and not read yet (the head first). */
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: { error: unknown } | undefined;
  #pending: PendingRead | undefined;
  /** Settles when the upgrade is answered; `undefined` once open. */
  #gate: Promise<void> | undefined;
  #openGate!: () => void;
  #refuseGate!: (error: unknown) => void;
  #refused = false;

  constructor(socket: NodeSocket, head: Uint8Array) {
    this.#socket = socket;
    if (head.length > 0) this.#chunks.push(head);
    // Paused before the listener, so that adding it does not start the
    // flow.
    socket.pause();
    socket.on("data", (data: Uint8Array) => this.#onData(data));
    socket.on("end", () => this.#onEnd());
    socket.on("close", () => this.#onEnd());
    socket.on("error", (error: unknown) => {
      this.#error ??= { error };
      this.#onEnd();
    });
    this.#gate = new Promise<void>((resolve, reject) => {
      this.#openGate = resolve;
      this.#refuseGate = reject;
    });
    this.#gate.catch(ignore);
  }

  /** Lets reads and writes through (the `101` is written). */
  open(): void {
    this.#gate = undefined;
    this.#openGate();
  }

  /**
   * Fails the connection's reads and writes, and leaves the socket to the
   * caller (to write a refusal).
   */
  refuse(): void {
    this.#refused = true;
    this.#refuseGate(
      new DOMException(
        "Cannot open WebSocket: the handler did not return the upgrade response",
        "InvalidStateError",
      ),
    );
  }

  read(p: Uint8Array): Promise<number | null> {
    const gate = this.#gate;
    return gate === undefined ? this.#read(p) : gate.then(() => this.#read(p));
  }

  write(p: Uint8Array): Promise<number> {
    const gate = this.#gate;
    return gate === undefined
      ? this.#write(p)
      : gate.then(() => this.#write(p));
  }

  close(): void {
    if (!this.#refused) this.#socket.destroy();
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.end(resolve);
    });
  }

  #read(p: Uint8Array): Promise<number | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#take(p));
    if (this.#error !== undefined) return Promise.reject(this.#error.error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#pending = { p, resolve, reject };
      this.#socket.resume();
    });
  }

  #write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (error) => {
        if (error) reject(error);
        else resolve(p.length);
      });
    });
  }

  /** Copies queued bytes into `p`. */
  #take(p: Uint8Array): number {
    const chunks = this.#chunks;
    let n = 0;
    while (n < p.length && chunks.length > 0) {
      const chunk = chunks[0]!;
      const size = Math.min(chunk.length, p.length - n);
      p.set(chunk.subarray(0, size), n);
      n += size;
      if (size === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(size);
    }
    return n;
  }

  #onData(data: Uint8Array): void {
    this.#socket.pause();
    this.#chunks.push(data);
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    pending.resolve(this.#take(pending.p));
  }

  #onEnd(): void {
    this.#ended = true;
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    if (this.#error !== undefined) pending.reject(this.#error.error);
    else pending.resolve(null);
  }
}

/** Intentionally empty: a refused gate is seen by every waiting call. */
function ignore(): void {}
