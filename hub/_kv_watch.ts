// Copyright 2026 the serverpush authors. MIT license.
// Live delivery of the Deno KV backend: one loop per backend over every
// watched topic, woken by this backend's appends, by `kv.watch` on the
// clock key (other isolates of a Deno Deploy database), and by a poll of
// the clock key (other processes on one SQLite file, whose writes
// `kv.watch` does not see).

import type { HubDataMessage } from "../message/message.ts";
import {
  epochOf,
  type KvHead,
  type KvKeys,
  type KvMessageRecord,
  toMessage,
} from "./_kv_store.ts";

interface Watcher {
  onMessage: (message: HubDataMessage) => void;
  onGap: ((after: string) => void) | undefined;
}

interface TopicState {
  watchers: Set<Watcher>;
  /** Generation delivered so far; undefined while the topic had none. */
  epoch: string | undefined;
  /** Last sequence number delivered (or present at the start). */
  seq: number;
  /** Resolves once the start point is fixed. */
  started: Promise<void>;
}

/** Settings of a {@linkcode KvWatchLoop}. */
export interface KvWatchLoopOptions {
  keys: KvKeys;
  pollMs: number;
  maxAgeMs: number;
  now: () => number;
  report: (error: unknown) => void;
}

/** getMany reads at most this many keys. */
const GET_MANY = 10;

/** One loop that delivers new messages to every watcher of a backend. */
export class KvWatchLoop {
  readonly #kv: Promise<Deno.Kv>;
  readonly #options: KvWatchLoopOptions;
  readonly #topics = new Map<string, TopicState>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #stream: ReadableStreamDefaultReader<unknown> | undefined;
  #clock: bigint | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(kv: Promise<Deno.Kv>, options: KvWatchLoopOptions) {
    this.#kv = kv;
    this.#options = options;
  }

  /** Resolves once the start point of `topic`'s watch (if any) is fixed. */
  started(topic: string): Promise<void> {
    return this.#topics.get(topic)?.started ?? Promise.resolve();
  }

  watch(
    topic: string,
    onMessage: (message: HubDataMessage) => void,
    onGap: ((after: string) => void) | undefined,
  ): () => void {
    let state = this.#topics.get(topic);
    if (state === undefined) {
      const fresh: TopicState = {
        watchers: new Set(),
        epoch: undefined,
        seq: 0,
        started: Promise.resolve(),
      };
      fresh.started = this.#start(topic, fresh);
      state = fresh;
      this.#topics.set(topic, state);
      this.#listen();
    }
    const watcher: Watcher = { onMessage, onGap };
    const topicState = state;
    topicState.watchers.add(watcher);
    return () => {
      if (!topicState.watchers.delete(watcher)) return;
      if (
        topicState.watchers.size === 0 &&
        this.#topics.get(topic) === topicState
      ) {
        this.#topics.delete(topic);
        if (this.#topics.size === 0) this.#stopListening();
      }
    };
  }

  /** Looks for new messages on every watched topic, soon. */
  wake(): void {
    if (this.#closed || this.#topics.size === 0) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#topics.clear();
    this.#stopListening();
    await this.#running;
  }

  async #start(topic: string, state: TopicState): Promise<void> {
    try {
      const kv = await this.#kv;
      const entry = await kv.get<KvHead>(this.#options.keys.head(topic));
      if (this.#live(entry)) {
        state.epoch = epochOf(entry);
        state.seq = entry.value.seq;
      }
    } catch (error) {
      this.#options.report(error);
    }
  }

  #live(entry: Deno.KvEntryMaybe<KvHead>): entry is Deno.KvEntry<KvHead> {
    return entry.value !== null &&
      this.#options.now() - entry.value.t < this.#options.maxAgeMs;
  }

  #listen(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.#poll(), this.#options.pollMs);
    this.#kv.then((kv) => {
      if (this.#timer === undefined || this.#stream !== undefined) return;
      const reader = kv.watch([this.#options.keys.clock()]).getReader();
      this.#stream = reader;
      (async () => {
        while (true) {
          const { done } = await reader.read();
          if (done) return;
          this.wake();
        }
      })().catch(this.#options.report);
    }, this.#options.report);
  }

  #stopListening(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream?.cancel().catch(() => {});
    this.#stream = undefined;
  }

  #poll(): void {
    this.#kv.then(async (kv) => {
      const entry = await kv.get<Deno.KvU64>(this.#options.keys.clock());
      const clock = entry.value?.value ?? 0n;
      if (clock !== this.#clock) {
        this.#clock = clock;
        this.wake();
      }
    }).catch(this.#options.report);
  }

  async #run(): Promise<void> {
    try {
      const kv = await this.#kv;
      const topics = [...this.#topics.keys()];
      for (let i = 0; i < topics.length; i += GET_MANY) {
        const chunk = topics.slice(i, i + GET_MANY);
        const states = chunk.map((topic) => this.#topics.get(topic));
        await Promise.all(states.map((state) => state?.started));
        const heads = await kv.getMany<KvHead[]>(
          chunk.map((topic) => this.#options.keys.head(topic)),
        );
        for (let j = 0; j < chunk.length; j++) {
          const state = this.#topics.get(chunk[j]!);
          const head = heads[j]!;
          if (state === states[j] && state !== undefined && this.#live(head)) {
            await this.#deliver(kv, chunk[j]!, state, head);
          }
        }
      }
    } catch (error) {
      // Try again at the next poll (SQLite may have been locked).
      this.#clock = undefined;
      this.#options.report(error);
    }
  }

  async #deliver(
    kv: Deno.Kv,
    topic: string,
    state: TopicState,
    head: Deno.KvEntry<KvHead>,
  ): Promise<void> {
    const epoch = epochOf(head);
    let gap = false;
    let after: string | undefined;
    if (state.epoch !== epoch) {
      // A new generation: the old one expired (maybe with messages this
      // watch had not delivered yet).
      if (state.epoch !== undefined) {
        after = `${state.epoch}-${state.seq}`;
        gap = true;
      } else after = `${epoch}-0`;
      state.epoch = epoch;
      state.seq = 0;
    } else if (head.value.seq <= state.seq) return;
    after ??= `${epoch}-${state.seq}`;
    const keys = this.#options.keys;
    const entries = kv.list<KvMessageRecord>({
      start: keys.message(topic, epoch, state.seq + 1),
      end: keys.message(topic, epoch, head.value.seq + 1),
    });
    const oldest = this.#options.now() - this.#options.maxAgeMs;
    for await (const entry of entries) {
      if (this.#topics.get(topic) !== state) return;
      const seq = entry.key.at(-1) as number;
      if (entry.value.t <= oldest) continue;
      if (seq !== state.seq + 1) gap = true;
      if (gap) {
        gap = false;
        this.#each(state, (watcher) => watcher.onGap?.(after!));
      }
      const message = toMessage(topic, epoch, seq, entry.value);
      state.seq = seq;
      after = message.id;
      this.#each(state, (watcher) => watcher.onMessage(message));
    }
    if (gap || state.seq < head.value.seq) {
      // Everything up to the head was trimmed before this watch read it.
      state.seq = head.value.seq;
      this.#each(state, (watcher) => watcher.onGap?.(after!));
    }
  }

  #each(state: TopicState, call: (watcher: Watcher) => void): void {
    for (const watcher of [...state.watchers]) {
      try {
        call(watcher);
      } catch (error) {
        this.#options.report(error);
      }
    }
  }
}
