// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  encodePollingEnvelope,
  type HubDataMessage,
  POLLING_TOPIC_START,
  type PollingEnvelope,
} from "../../message/mod.ts";

function message(id: string, data: string | Uint8Array): HubDataMessage {
  return { kind: "message", topic: "t", id, data };
}

function decode(text: string): PollingEnvelope {
  return JSON.parse(text);
}

Deno.test("encodePollingEnvelope keeps the request's cursor when nothing came", () => {
  strictEqual(
    encodePollingEnvelope({ messages: [] }, { cursor: "7" }),
    '{"cursor":"7","messages":[]}',
  );
  strictEqual(
    encodePollingEnvelope({ messages: [] }),
    '{"cursor":null,"messages":[]}',
  );
});

Deno.test("encodePollingEnvelope says why on a reset and goes on from the topic's start", () => {
  deepStrictEqual(
    decode(encodePollingEnvelope({ messages: [], reset: "unknown-id" }, {
      cursor: "7",
    })),
    {
      cursor: POLLING_TOPIC_START,
      messages: [],
      reset: true,
      reason: "unknown-id",
    },
  );
});

Deno.test("encodePollingEnvelope stops at maxBatchBytes but always takes the first message", () => {
  const history = {
    messages: [message("1", "a".repeat(50)), message("2", "b")],
  };
  const envelope = decode(
    encodePollingEnvelope(history, { maxBatchBytes: 10 }),
  );
  deepStrictEqual(envelope.messages.map((m) => m.id), ["1"]);
  strictEqual(envelope.cursor, "1");
  strictEqual(envelope.more, true);
});

Deno.test("encodePollingEnvelope encodes bytes as base64", () => {
  deepStrictEqual(
    decode(encodePollingEnvelope({
      messages: [message("1", new Uint8Array([1, 2]))],
    })).messages,
    [{ id: "1", data: "AQI=", encoding: "base64" }],
  );
});
