// Copyright 2026 the serverpush authors. MIT license.
// Presence from the command line: `serverpush serve --presence` keeps the
// members of the topics it covers (the subjects of verified JWTs), and
// `serverpush listen --presence` prints who comes and goes, over every
// transport; `--stamp-from` names the publisher of each message.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { inSeconds, signJwt } from "../auth/_sign.ts";
import { delay, until } from "../_wait.ts";
import { jsonLines, post, runCli, startCli, startServe } from "./_cli.ts";

const SECRET = "a presence test secret, 32 bytes or more";

/** An HS256 JWT with `claims`, valid 10 minutes. */
function token(claims: Record<string, unknown>): string {
  return signJwt("HS256", SECRET, { alg: "HS256", typ: "JWT" }, {
    ...claims,
    exp: inSeconds(600),
  });
}

const ADA = token({
  sub: "ada",
  serverpush: { publish: ["room/*"], subscribe: ["room/*"] },
});
const BOB = token({
  sub: "bob",
  name: "Bob",
  serverpush: { subscribe: ["room/*", "news"] },
});
/** A token without `sub`: it may read, and is no member. */
const WATCHER = token({ serverpush: { subscribe: ["room/*", "news"] } });

/** `serverpush serve` with presence on `room/*`, and `extra` options. */
function servePresence(...extra: string[]): ReturnType<typeof startServe> {
  return startServe([
    "--port",
    "0",
    "--jwt-secret",
    SECRET,
    "--presence",
    "room/*",
    ...extra,
  ]);
}

/** The client ids a short poll of `topic` lists as members. */
async function members(topic: string): Promise<string[]> {
  const response = await fetch(`${topic}?transport=poll&presence=1`, {
    headers: { authorization: `Bearer ${WATCHER}` },
  });
  const body = await response.json() as {
    presence?: { clientId: string }[];
  };
  strictEqual(response.status, 200);
  return (body.presence ?? []).map((member) => member.clientId);
}

/** Waits until the members of `topic` are `expected`. */
async function membersAre(topic: string, expected: string[]): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (JSON.stringify(await members(topic)) === JSON.stringify(expected)) {
      return;
    }
    await delay(50);
  }
  deepStrictEqual(await members(topic), expected);
}

/** What a JSON line of listen says, without its time. */
function said(line: Record<string, unknown>): unknown {
  const { time, ...rest } = line;
  strictEqual(typeof time, "string");
  for (const kind of ["join", "leave"]) {
    const member = rest[kind] as Record<string, unknown> | undefined;
    if (member === undefined) continue;
    strictEqual(typeof member.since, "number");
    const { since: _since, ...fields } = member;
    return { [kind]: fields };
  }
  const { id, ...fields } = rest;
  strictEqual(typeof id, "string");
  return fields;
}

Deno.test("serverpush listen --presence prints joins, leaves and stamped messages over every transport", async () => {
  await using server = await servePresence("--stamp-from");
  match(
    server.process.stderr(),
    /presence on room\/\*; publishes stamped with the sender/,
  );
  for (const transport of ["ws", "sse", "longpoll", "poll"]) {
    const topic = `${server.hub}room/${transport}`;
    // Bob is a member while his stream is open.
    const bob = new AbortController();
    const stream = await fetch(topic, {
      headers: {
        accept: "text/event-stream",
        authorization: `Bearer ${BOB}`,
      },
      signal: bob.signal,
    });
    strictEqual(stream.status, 200);
    await membersAre(topic, ["bob"]);

    const listener = startCli([
      "listen",
      topic,
      "--presence",
      "--transport",
      transport,
      "--json",
      "--count",
      "1",
      "--timeout",
      "30",
      "--header",
      `Authorization: Bearer ${WATCHER}`,
    ]);
    // The members present come first.
    await until(
      () => listener.stdout().includes('"join"'),
      `${transport}: the join of bob`,
      20_000,
    );
    bob.abort();
    await stream.body?.cancel().catch(() => {});
    await membersAre(topic, []);
    if (transport === "ws" || transport === "sse") {
      // Pushed as it happens; polling lists members with each answer.
      await until(
        () => listener.stdout().includes('"leave"'),
        `${transport}: the leave of bob`,
        20_000,
      );
    }
    strictEqual((await post(topic, "hi", ADA)).status, 201);
    const { code, stdout, stderr } = await listener.finished(30_000);
    strictEqual(code, 0, `${transport}: ${stderr}`);
    deepStrictEqual(jsonLines(stdout).map(said), [
      { join: { clientId: "bob", info: { name: "Bob" } } },
      { leave: { clientId: "bob", info: { name: "Bob" } } },
      // SSE carries no "from": its data is the message itself.
      transport === "sse" ? { data: "hi" } : { data: "hi", from: "ada" },
    ], transport);
  }
});

Deno.test("serverpush listen --presence on a topic without presence fails in one line (exit 1)", async () => {
  await using server = await servePresence();
  const { code, stderr } = await runCli([
    "listen",
    `${server.hub}news`,
    "--presence",
    "--transport",
    "sse",
    "--header",
    `Authorization: Bearer ${WATCHER}`,
  ]);
  strictEqual(code, 1);
  match(stderr, /^serverpush: Cannot listen to .*news.*: .*400.*presence/);
  strictEqual(stderr.trim().split("\n").length, 1);
});

Deno.test("serverpush serve --presence and --stamp-from need a JWT option, and --presence a pattern (exit 2)", async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ["--presence", "room/*"],
      /^serverpush: Cannot run serve: --presence needs --jwt-secret or --jwt-jwks/,
    ],
    [
      ["--stamp-from"],
      /^serverpush: Cannot run serve: --stamp-from needs --jwt-secret or --jwt-jwks/,
    ],
    [
      ["--jwt-secret", SECRET, "--presence", "ro*m"],
      /^serverpush: Cannot read --presence: "ro\*m" is not a topic, "prefix\/\*" or "\*"/,
    ],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), async () => {
      const { code, stderr } = await runCli(["serve", "--port", "0", ...args]);
      strictEqual(code, 2, stderr);
      match(stderr, expected);
    });
  }
});
