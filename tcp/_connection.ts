// Copyright 2026 the serverpush authors. MIT license.
// One client connection of the TCP push relay: its queue of frames, the
// bytes queued against maxQueuedBytes, the write loop, its timer and its
// topic subscriptions. A class: there is one per connection.
//
// The queue is an array with a moving head, as in _internal/queue.ts, but
// kept inline: the write loop looks ahead over many frames to join them
// into one write and drops them at once, which Queue's one-at-a-time
// shift() made measurably slower on broadcasts.

/** Largest chunk the write loop makes by joining small queued frames. */
const COALESCE_BYTES = 65_536;
/** How long a closing connection may take to write what is queued. */
const DRAIN_DEADLINE_MS = 1000;

/** What a connection needs from its relay. */
export interface ConnectionHost {
  /** Bytes one connection may have queued and not yet written. */
  readonly maxQueuedBytes: number;
  /** Keeps `task` until it settles, so that shutting down waits for it. */
  track(task: Promise<void>): void;
  /** The connection takes no more pushes: forget its id. */
  retire(connection: Connection): void;
  /** The connection is closed: forget it. */
  forget(connection: Connection): void;
}

/** One client connection of the relay. */
export class Connection {
  /** The id the client gets first, under which it is pushed to. */
  readonly id: string;
  readonly conn: Deno.TcpConn;
  /** The remote IP address, for maxConnectionsPerAddress. */
  readonly address: string;
  /** Topic → what ends its subscription. */
  readonly subscriptions: Map<string, AbortController> = new Map();
  /** The id is held back while a policy request may still arrive. */
  held: boolean;
  /** Writes what is queued, then closes; takes no more messages. */
  closing = false;
  closed = false;
  /** When a complete message arrived or a write completed last. */
  lastActivity: number = performance.now();
  readonly #host: ConnectionHost;
  #queue: (Uint8Array | undefined)[] = [];
  #head = 0;
  #queuedBytes = 0;
  #writing = false;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    id: string,
    conn: Deno.TcpConn,
    address: string,
    host: ConnectionHost,
    held: boolean,
  ) {
    this.id = id;
    this.conn = conn;
    this.address = address;
    this.#host = host;
    this.held = held;
  }

  /**
   * Queues the connection's first frame (its id), beyond any bound, and
   * writes it at once or, while held, after `policyWait` milliseconds.
   */
  start(frame: Uint8Array, policyWait: number): void {
    this.#queue.push(frame);
    this.#queuedBytes = frame.length;
    if (this.held) this.#timer = setTimeout(() => this.release(), policyWait);
    else this.#flush();
  }

  /**
   * Queues `frame`; `false` if the connection takes no more, or if the
   * frame would overflow maxQueuedBytes (the connection is then closed).
   */
  enqueue(frame: Uint8Array): boolean {
    if (this.closed || this.closing) return false;
    if (this.#queuedBytes + frame.length > this.#host.maxQueuedBytes) {
      this.close();
      return false;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    this.#flush();
    return true;
  }

  /** Sends the id held back for a possible policy request. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  /** Drops what is queued (the held id), writes `frame`, then closes. */
  answerInstead(frame: Uint8Array): void {
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#host.retire(this);
    this.closeAfter(frame);
  }

  /** Writes what is queued plus `frame`, then closes the connection. */
  closeAfter(frame: Uint8Array | undefined): void {
    if (this.closed || this.closing) return;
    if (frame !== undefined) {
      // Relay-made bytes count against maxQueuedBytes too.
      if (this.#queuedBytes + frame.length > this.#host.maxQueuedBytes) {
        this.close();
        return;
      }
      this.#queue.push(frame);
      this.#queuedBytes += frame.length;
    }
    this.closing = true;
    this.#host.retire(this);
    this.#unsubscribeAll();
    clearTimeout(this.#timer);
    // A client that does not read must not keep the connection open.
    this.#timer = setTimeout(() => this.close(), DRAIN_DEADLINE_MS);
    this.#flush();
  }

  /** Closes the connection now; what is queued is discarded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#host.forget(this);
    clearTimeout(this.#timer);
    this.#unsubscribeAll();
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.conn.close();
  }

  #unsubscribeAll(): void {
    for (const controller of this.subscriptions.values()) controller.abort();
    this.subscriptions.clear();
  }

  #flush(): void {
    if (this.#writing || this.closed || (this.held && !this.closing)) return;
    if (this.#head === this.#queue.length) {
      if (this.closing) this.close();
      return;
    }
    this.#writing = true;
    this.#host.track(this.#writeLoop());
  }

  /** Takes the next chunk to write, joining small queued frames. */
  #take(): Uint8Array {
    const queue = this.#queue;
    const head = this.#head;
    const first = queue[head]!;
    let end = head + 1;
    let size = first.length;
    while (end < queue.length && size + queue[end]!.length <= COALESCE_BYTES) {
      size += queue[end]!.length;
      end++;
    }
    let chunk = first;
    if (end > head + 1) {
      chunk = new Uint8Array(size);
      let offset = 0;
      for (let i = head; i < end; i++) {
        chunk.set(queue[i]!, offset);
        offset += queue[i]!.length;
      }
    }
    for (let i = head; i < end; i++) queue[i] = undefined;
    if (end === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (end >= 1024 && end * 2 >= queue.length) {
      this.#queue = queue.slice(end);
      this.#head = 0;
    } else {
      this.#head = end;
    }
    return chunk;
  }

  async #writeLoop(): Promise<void> {
    try {
      while (!this.closed && this.#head < this.#queue.length) {
        const chunk = this.#take();
        let offset = 0;
        while (offset < chunk.length) {
          offset += await this.conn.write(chunk.subarray(offset));
        }
        if (this.closed) return;
        this.#queuedBytes -= chunk.length;
        this.lastActivity = performance.now();
      }
    } catch {
      // The peer reset the connection or it was closed: it is gone.
      this.close();
      return;
    } finally {
      this.#writing = false;
    }
    if (this.closing) this.close();
  }
}
