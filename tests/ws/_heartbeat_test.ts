// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { resolveHeartbeat } from "../../ws/_heartbeat.ts";

Deno.test("resolveHeartbeat fills in the defaults", () => {
  deepStrictEqual(resolveHeartbeat(undefined), {
    interval: 30_000,
    timeout: 30_000,
  });
  deepStrictEqual(resolveHeartbeat({}), { interval: 30_000, timeout: 30_000 });
  deepStrictEqual(resolveHeartbeat(500), { interval: 500, timeout: 500 });
  deepStrictEqual(resolveHeartbeat({ interval: 500, timeout: 20 }), {
    interval: 500,
    timeout: 20,
  });
  deepStrictEqual(resolveHeartbeat({ timeout: 20 }), {
    interval: 30_000,
    timeout: 20,
  });
});

Deno.test("resolveHeartbeat turns false into no heartbeat", () => {
  strictEqual(resolveHeartbeat(false), undefined);
});

Deno.test("resolveHeartbeat refuses values that are not positive timer delays", () => {
  for (const bad of [0, -1, NaN, Infinity, 2 ** 31]) {
    throws(() => resolveHeartbeat(bad), RangeError);
    throws(() => resolveHeartbeat({ interval: 1, timeout: bad }), RangeError);
  }
});
