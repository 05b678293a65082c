// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  SERVERPUSH_V1,
  serverpushV1Error,
  serverpushV1Message,
  serverpushV1Published,
  serverpushV1Subscribed,
  serverpushV1Unsubscribed,
} from "../../message/mod.ts";
import type { HubMessage } from "../../message/mod.ts";

Deno.test("SERVERPUSH_V1 is the subprotocol name", () => {
  strictEqual(SERVERPUSH_V1, "serverpush.v1");
});

Deno.test("serverpushV1Message encodes text, bytes and resets", () => {
  deepStrictEqual(
    JSON.parse(serverpushV1Message({
      kind: "message",
      topic: "a/b",
      id: "1-0",
      event: "e",
      data: new Uint8Array([1, 2]),
    })),
    {
      type: "message",
      topic: "a/b",
      id: "1-0",
      event: "e",
      data: "AQI=",
      encoding: "base64",
    },
  );
  strictEqual(
    serverpushV1Message({ kind: "reset", topic: "t", reason: "dropped" }),
    '{"type":"reset","topic":"t","reason":"dropped"}',
  );
});

Deno.test("serverpushV1Message encodes a message object once", () => {
  const message: HubMessage = {
    kind: "message",
    topic: "t",
    id: "1-0",
    data: "x".repeat(1000),
  };
  const first = serverpushV1Message(message);
  strictEqual(serverpushV1Message({ ...message }), first);
  // The same object gives the cached string back.
  strictEqual(serverpushV1Message(message), first);
});

Deno.test("serverpushV1 answers keep their key order", () => {
  strictEqual(
    serverpushV1Subscribed("t"),
    '{"type":"subscribed","topic":"t"}',
  );
  strictEqual(
    serverpushV1Unsubscribed("t"),
    '{"type":"unsubscribed","topic":"t"}',
  );
  strictEqual(
    serverpushV1Published("t", "2-0"),
    '{"type":"published","topic":"t","id":"2-0"}',
  );
  strictEqual(
    serverpushV1Error("not-subscribed", "m", "t"),
    '{"type":"error","code":"not-subscribed","message":"m","topic":"t"}',
  );
  strictEqual(
    serverpushV1Error("invalid-json", "m"),
    '{"type":"error","code":"invalid-json","message":"m"}',
  );
});
