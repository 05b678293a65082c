// Copyright 2026 the serverpush authors. MIT license.
// The fault test's checker on sequences made by hand: each kind of fault it
// must count.

import { deepStrictEqual } from "node:assert/strict";
import { checkHistory, checkSequence, NO_COUNTS } from "./_check.ts";
import type { Ack } from "./_publisher.ts";
import type { Delivered } from "./_subscribers.ts";

function acks(...data: string[]): Ack[] {
  return data.map((d) => ({
    data: d,
    id: `id-${d}`,
    instance: "1",
    attempted: 0,
  }));
}

function m(data: string, id = `id-${data}`): Delivered {
  return { kind: "message", id, data };
}

const reset: Delivered = { kind: "reset", reason: "unknown-id" };
const zero = NO_COUNTS;

Deno.test("checkSequence counts nothing wrong in a complete sequence", () => {
  deepStrictEqual(
    checkSequence([m("a:1"), m("b:1"), m("a:2")], acks("a:1", "b:1", "a:2")),
    { ...zero, delivered: 3 },
  );
});

Deno.test("checkSequence counts a gap without a reset as lost", () => {
  deepStrictEqual(
    checkSequence([m("a:1"), m("a:3")], acks("a:1", "a:2", "a:3")),
    { ...zero, delivered: 2, lost: 1 },
  );
  // The tail too: nothing after the last delivered message.
  deepStrictEqual(
    checkSequence([m("a:1")], acks("a:1", "a:2")),
    { ...zero, delivered: 1, lost: 1 },
  );
});

Deno.test("checkSequence counts a gap with a reset in it as covered", () => {
  deepStrictEqual(
    checkSequence([m("a:1"), reset, m("a:3")], acks("a:1", "a:2", "a:3")),
    { ...zero, delivered: 2, resets: 1, coveredByReset: 1 },
  );
  // A reset elsewhere does not cover the gap.
  deepStrictEqual(
    checkSequence(
      [reset, m("a:1"), m("a:3")],
      acks("a:1", "a:2", "a:3"),
    ),
    { ...zero, delivered: 2, resets: 1, lost: 1 },
  );
});

Deno.test("checkSequence tells duplicates from repeats after a reset", () => {
  deepStrictEqual(
    checkSequence([m("a:1"), m("a:1", "other")], acks("a:1")),
    { ...zero, delivered: 2, duplicated: 1 },
  );
  deepStrictEqual(
    checkSequence([m("a:1"), reset, m("a:1", "other")], acks("a:1")),
    { ...zero, delivered: 2, resets: 1, repeatedAfterReset: 1 },
  );
});

Deno.test("checkSequence counts messages out of order", () => {
  // Within one publisher.
  deepStrictEqual(
    checkSequence([m("a:2"), m("a:1")], acks("a:1", "a:2")),
    { ...zero, delivered: 2, outOfOrder: 1 },
  );
  // Across publishers, against the order of the history.
  const order = new Map([["id-a:1", 0], ["id-b:1", 1]]);
  deepStrictEqual(
    checkSequence([m("b:1"), m("a:1")], acks("a:1", "b:1"), order),
    { ...zero, delivered: 2, outOfOrder: 1 },
  );
});

Deno.test("checkHistory counts missing, moved and repeated messages", () => {
  deepStrictEqual(
    checkHistory(
      [["id-a:1", "a:1"], ["x", "a:2"], ["id-a:4", "a:4"], ["y", "a:4"]],
      acks("a:1", "a:2", "a:3"),
    ),
    { checked: 3, missing: 1, otherId: 1, duplicated: 1 },
  );
});
