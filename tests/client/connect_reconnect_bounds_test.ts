// Copyright 2026 the serverpush authors. MIT license.
// connect against servers that would make it reconnect in a tight loop, and
// its retry options reaching every transport: bounds on the requests made.

import { ok, strictEqual, throws } from "node:assert/strict";
import { connect } from "../../client/mod.ts";
import type { PollingFetch } from "../../polling/mod.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fetch that counts its calls and answers each with `answer()`. */
function counting(answer: () => Response): PollingFetch & { calls: number } {
  const fake = ((_input: string | URL | Request, init?: RequestInit) => {
    fake.calls++;
    if (init?.signal?.aborted) return Promise.reject(init.signal.reason);
    return Promise.resolve(answer());
  }) as PollingFetch & { calls: number };
  fake.calls = 0;
  return fake;
}

Deno.test("connect makes a handful of requests in 2 s to SSE streams that say retry: 0 and end empty", async () => {
  const fetch = counting(() =>
    new Response("retry: 0\n\n", {
      headers: { "content-type": "text/event-stream" },
    })
  );
  const client = connect("http://localhost/t", { transports: ["sse"], fetch });
  await delay(2000);
  await client.close();
  // Without the minRetry floor: a request per turn of the event loop. With
  // a floor of 1 s doubling on each empty stream: the first request, then
  // at most two more.
  ok(fetch.calls >= 1, "the client connected");
  ok(fetch.calls <= 4, `${fetch.calls} requests in 2 s`);
});

Deno.test("connect spaces failed polling requests by its retry option", async () => {
  const fetch = counting(() => new Response("busy", { status: 503 }));
  const client = connect("http://localhost/t", {
    transports: ["longpoll"],
    fetch,
    retry: 10_000,
  });
  await delay(500);
  await client.close();
  // The first retry waits between 5 and 10 s.
  strictEqual(fetch.calls, 1);
});

Deno.test("connect rejects a negative or NaN minRetry", () => {
  throws(() => connect("http://localhost/t", { minRetry: -1 }), RangeError);
  throws(() => connect("http://localhost/t", { minRetry: NaN }), RangeError);
});
