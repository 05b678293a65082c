// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import {
  idempotencyKeyOf,
  reconnectDelay,
  type RedisCommands,
  type RedisDriver,
} from "../../hub/_redis_commands.ts";
import { RedisLive } from "../../hub/_redis_live.ts";
import { delay, until } from "../_wait.ts";
import { compareStreamIds, isStreamId } from "../../hub/_redis_stream_id.ts";

Deno.test("reconnectDelay grows from 50 ms and stays under 2 s", () => {
  for (let retries = 0; retries < 100; retries++) {
    for (let i = 0; i < 100; i++) {
      const delay = reconnectDelay(retries);
      ok(delay >= 50 && delay < 2000, `retries ${retries}: ${delay}`);
      if (retries === 0) ok(delay < 100, `first delay ${delay}`);
      if (retries >= 5) ok(delay >= 1000, `retries ${retries}: ${delay}`);
    }
  }
});

Deno.test("isStreamId accepts canonical ids up to 2^64 - 1 only", () => {
  for (
    const id of ["0-0", "1-2", "18446744073709551615-18446744073709551615"]
  ) {
    ok(isStreamId(id), id);
  }
  for (
    const id of [
      "18446744073709551616-0",
      "0-18446744073709551616",
      "01-1",
      "-1",
      "1-",
      "1",
      1,
    ]
  ) {
    ok(!isStreamId(id), String(id));
  }
  ok(compareStreamIds("18446744073709551615-0", "9-99") > 0);
  ok(compareStreamIds("10-2", "10-10") < 0);
});

Deno.test("idempotencyKeyOf puts the key in its stream's hash slot", () => {
  // No tag in the stream key: its whole name becomes the tag.
  strictEqual(idempotencyKeyOf("serverpush:t", "k"), "{serverpush:t}#idem:k");
  // The stream's own tag already decides the slot of both.
  strictEqual(idempotencyKeyOf("{app}:t", "{x}"), "{app}:t#idem:{x}");
  // A stream key with a "}" but no tag cannot be wrapped (a cluster needs
  // a keyPrefix with a real tag then): the key is used as it is.
  strictEqual(idempotencyKeyOf("{}:t", "k"), "{}:t#idem:k");
});

/**
 * A fake driver: PUBLISH on the reader reaches the listeners of every
 * subscriber that is not deaf; `deaf` makes the next subscribers take
 * their SUBSCRIBE but hear nothing, as a node-redis client that misreads
 * every message (seen after Redis paused and restarted while it
 * reconnected).
 */
function fakeDriver(): {
  driver: RedisDriver;
  subscribers: { deaf: boolean; destroyed: boolean }[];
  deaf: { next: boolean };
} {
  const listeners = new Map<string, Set<(message: Uint8Array) => void>>();
  const subscribers: { deaf: boolean; destroyed: boolean }[] = [];
  const deaf = { next: false };
  const encoder = new TextEncoder();
  const driver: RedisDriver = {
    cluster: false,
    createConnection: () => ({
      isReady: true,
      connect: () => Promise.resolve(),
      destroy() {},
      on: () => undefined,
      sendCommand(args) {
        if (args[0] === "PUBLISH") {
          const [, channel, message] = args as string[];
          for (const listener of listeners.get(channel!) ?? []) {
            listener(encoder.encode(message));
          }
          return Promise.resolve(listeners.get(channel!)?.size ?? 0);
        }
        if (args[0] === "INFO") return Promise.resolve("run_id:abc\r\n");
        return Promise.resolve(null);
      },
    }),
    createSubscriber() {
      const state = { deaf: deaf.next, destroyed: false };
      subscribers.push(state);
      const mine: [string, (message: Uint8Array) => void][] = [];
      return {
        subscribe(channel, listener) {
          const heard = (message: Uint8Array): void => {
            if (!state.deaf && !state.destroyed) listener(message);
          };
          mine.push([channel, heard]);
          let set = listeners.get(channel);
          if (set === undefined) listeners.set(channel, set = new Set());
          set.add(heard);
          return Promise.resolve();
        },
        destroy() {
          state.destroyed = true;
          for (const [channel, heard] of mine) {
            listeners.get(channel)?.delete(heard);
          }
        },
      };
    },
    isErrorReply: (error): error is Error =>
      error instanceof Error && error.name === "ErrorReply",
    isSocketClosed: (error): error is Error =>
      error instanceof Error && error.name === "SocketClosedUnexpectedlyError",
  };
  return { driver, subscribers, deaf };
}

Deno.test("RedisLive makes its Pub/Sub connection again when it hears no heartbeat Redis took", async () => {
  const { driver, subscribers, deaf } = fakeDriver();
  deaf.next = true;
  const errors: Error[] = [];
  const live = new RedisLive(driver, {} as RedisCommands, {
    url: "redis://127.0.0.1:1",
    channel: "sp",
    beatMs: 50,
    timeoutMs: 100,
    batch: 10,
    catchUpMs: Infinity,
    report: (error) => errors.push(error),
  });
  deaf.next = false;
  try {
    // Deaf for longer than beatMs + timeoutMs: replaced by a working one.
    await until(() => subscribers.length === 2, "a second Pub/Sub connection");
    ok(subscribers[0]!.destroyed);
    ok(
      errors.some((e) =>
        /^Cannot hear Redis: no heartbeat for \d+ ms/.test(e.message)
      ),
    );
    // The new one hears, so it stays.
    await delay(500);
    strictEqual(subscribers.length, 2);
  } finally {
    await live.close();
  }
});
