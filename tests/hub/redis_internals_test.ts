// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import { idempotencyKeyOf, reconnectDelay } from "../../hub/_redis_commands.ts";
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
