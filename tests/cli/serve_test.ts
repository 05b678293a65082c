// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  match,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { join } from "node:path";
import { redisMissing, startRedisServer } from "../hub/_redis_server.ts";
import { generateKeys, inSeconds, signJwt } from "../auth/_sign.ts";
import { until } from "../_wait.ts";
import {
  freePort,
  jsonLines,
  post,
  runCli,
  startCli,
  startServe,
} from "./_cli.ts";
import { createServeHandler } from "../../cli/serve.ts";

const TRANSPORTS = ["ws", "sse", "longpoll", "poll"] as const;

async function checkServe(args: readonly string[]): Promise<void> {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
    ...args,
  ]);
  const topic = `${server.hub}news`;

  // Publishing is refused without the token, and with a wrong one.
  const anonymous = await post(topic, "no");
  strictEqual(anonymous.status, 401);
  match(anonymous.text, /Authorization: Bearer/);
  strictEqual((await post(topic, "no", "wrong")).status, 403);

  // With it, every transport receives the next message.
  const first = await post(topic, "first", "s3cret");
  strictEqual(first.status, 201);
  const listeners = TRANSPORTS.map((transport) =>
    startCli([
      "listen",
      topic,
      "--transport",
      transport,
      "--since",
      first.id!,
      "--count",
      "1",
      "--timeout",
      "20",
    ])
  );
  const second = await post(topic, "second", "s3cret");
  strictEqual(second.status, 201);
  for (const [index, listener] of listeners.entries()) {
    const { code, stdout, stderr } = await listener.finished();
    strictEqual(code, 0, `${TRANSPORTS[index]}: ${stderr}`);
    deepStrictEqual(
      jsonLines(stdout).map(({ id, data }) => ({ id, data })),
      [{ id: second.id, data: "second" }],
      TRANSPORTS[index],
    );
  }
}

Deno.test("serverpush serve (memory) refuses publishing without the token and serves every transport", async () => {
  await checkServe([]);
});

Deno.test({
  name:
    "serverpush serve --redis refuses publishing without the token and serves every transport",
  ignore: redisMissing !== undefined,
  async fn() {
    await using redis = await startRedisServer();
    await checkServe(["--redis", redis.url]);
  },
});
if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the serve --redis test: ${redisMissing}`);
}

Deno.test("serverpush serve without --publish-token refuses every publish", async () => {
  await using server = await startServe(["--port", "0"]);
  const refused = await post(`${server.hub}news`, "x", "anything");
  strictEqual(refused.status, 403);
  match(
    server.process.stderr(),
    /publishing refused \(no --publish-token or --jwt-\*\)/,
  );
});

Deno.test("serverpush serve --allow-origin answers CORS for that origin only", async () => {
  const app = "http://app.example:3000";
  await using server = await startServe([
    "--port",
    "0",
    "--allow-origin",
    app,
    "--publish-token",
    "s3cret",
  ]);
  const preflight = (origin: string) =>
    fetch(`${server.hub}news`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, idempotency-key",
      },
    });
  const allowed = await preflight(app);
  strictEqual(allowed.status, 204);
  strictEqual(allowed.headers.get("access-control-allow-origin"), app);
  const refused = await preflight("http://evil.example");
  strictEqual(refused.status, 403);
  await refused.body?.cancel();
  const published = await fetch(`${server.hub}news`, {
    method: "POST",
    headers: { origin: app, authorization: "Bearer s3cret" },
    body: "hello",
  });
  strictEqual(published.status, 201);
  strictEqual(published.headers.get("access-control-allow-origin"), app);
  await published.body?.cancel();
});

Deno.test("serverpush serve --kv refuses publishing without the token and serves every transport", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkServe(["--kv", join(dir, "hub.db")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverpush serve --kv keeps messages across a restart: listen resumes with nothing lost", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "hub.db");
  const port = String(freePort());
  const args = ["--port", port, "--kv", db, "--publish-token", "s3cret"];
  try {
    const first = await startServe(args);
    const topic = `${first.hub}news`;
    const one = await post(topic, "one", "s3cret");
    strictEqual(one.status, 201);
    // A listener that stays across the restart, resuming after "one".
    const listener = startCli([
      "listen",
      topic,
      "--transport",
      "sse",
      "--since",
      one.id!,
      "--count",
      "3",
      "--timeout",
      "60",
    ]);
    const two = await post(topic, "two", "s3cret");
    strictEqual(two.status, 201);
    await until(
      () => listener.stdout().includes('"two"'),
      "listen to print two",
    );
    await first.crash();
    // Published while nothing runs: refused, so nothing is published.
    await rejects(post(topic, "lost", "s3cret"));

    await using second = await startServe(args);
    strictEqual(second.hub, first.hub);
    const three = await post(topic, "three", "s3cret");
    const four = await post(topic, "four", "s3cret");
    strictEqual(four.status, 201);
    const { code, stdout, stderr } = await listener.finished(60_000);
    strictEqual(code, 0, stderr);
    match(stderr, /reconnected .* resuming after id/);
    deepStrictEqual(
      jsonLines(stdout).map(({ id, data }) => ({ id, data })),
      [
        { id: two.id, data: "two" },
        { id: three.id, data: "three" },
        { id: four.id, data: "four" },
      ],
    );
    // A new listen after the restart reads what the first process stored.
    const again = await runCli([
      "listen",
      topic,
      "--since",
      one.id!,
      "--count",
      "3",
      "--timeout",
      "20",
    ]);
    strictEqual(again.code, 0, again.stderr);
    deepStrictEqual(jsonLines(again.stdout).map(({ data }) => data), [
      "two",
      "three",
      "four",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverpush serve --kv says clearly when Deno KV is unavailable (exit 1)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await startCli([
      "run",
      "-A",
      "--no-config",
      new URL("../../cli/main.ts", import.meta.url).pathname,
      "serve",
      "--port",
      "0",
      "--kv",
      join(dir, "hub.db"),
    ], { command: Deno.execPath() }).finished();
    strictEqual(code, 1);
    // Outside the project's config, Deno fetches the npm packages of the
    // command's lazily imported backends into its own cache on a first run,
    // saying "Download <url>" for each: every other line is ours, and one.
    const ours = stderr.trimEnd().split("\n").filter((line) =>
      !line.startsWith("Download ")
    );
    strictEqual(ours.length, 1, stderr);
    match(
      ours[0]!,
      /^serverpush: Cannot use --kv: Deno KV is unavailable .*--unstable-kv/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const JWT_SECRET = "a serve test secret, 32 bytes or more";

/** An HS256 JWT made by node:crypto that grants `grants`, valid 10 min. */
function hs256(grants: Record<string, string[]>): string {
  return signJwt("HS256", JWT_SECRET, { alg: "HS256", typ: "JWT" }, {
    serverpush: grants,
    exp: inSeconds(600),
  });
}

Deno.test("serverpush serve --jwt-secret: a JWT that grants publish on one topic publishes there only", async () => {
  await using server = await startServe([
    "--port",
    "0",
    "--jwt-secret",
    JWT_SECRET,
  ]);
  match(
    server.process.stderr(),
    /publishing needs a JWT that grants it; subscribing needs a JWT/,
  );
  const news = `${server.hub}news`;
  const token = hs256({ publish: ["news"], subscribe: ["news"] });

  const refusedAnonymous = await post(news, "x");
  strictEqual(refusedAnonymous.status, 401);
  const refusedElsewhere = await post(`${server.hub}sport`, "x", token);
  strictEqual(refusedElsewhere.status, 403);
  match(refusedElsewhere.text, /does not grant it/);
  const forged = signJwt("HS256", "another secret of 32 bytes or more", {
    alg: "HS256",
  }, { serverpush: { publish: ["news"] }, exp: inSeconds(600) });
  strictEqual((await post(news, "x", forged)).status, 401);
  const readOnly = hs256({ subscribe: ["news"] });
  strictEqual((await post(news, "x", readOnly)).status, 403);

  // Subscribing needs a JWT too: without one the stream is refused.
  const anonymousStream = await fetch(news, {
    headers: { accept: "text/event-stream" },
  });
  await anonymousStream.body?.cancel();
  strictEqual(anonymousStream.status, 401);

  const first = await post(news, "first", token);
  strictEqual(first.status, 201);
  const listener = startCli([
    "listen",
    news,
    "--transport",
    "sse",
    "--header",
    `Authorization: Bearer ${token}`,
    "--since",
    first.id!,
    "--count",
    "1",
    "--timeout",
    "20",
  ]);
  const second = await post(news, "second", token);
  strictEqual(second.status, 201);
  const { code, stdout, stderr } = await listener.finished();
  strictEqual(code, 0, stderr);
  deepStrictEqual(jsonLines(stdout).map(({ id, data }) => ({ id, data })), [
    { id: second.id, data: "second" },
  ]);
});

Deno.test("serverpush serve --jwt-jwks accepts ES256 JWTs signed by a key of the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = generateKeys("ES256", "k1");
    const file = join(dir, "jwks.json");
    await Deno.writeTextFile(file, JSON.stringify({ keys: [keys.jwk] }));
    await using server = await startServe([
      "--port",
      "0",
      "--jwt-jwks",
      file,
    ]);
    const token = signJwt("ES256", keys.privateKey, {
      alg: "ES256",
      kid: "k1",
    }, { serverpush: { publish: ["news/*"] }, exp: inSeconds(600) });
    strictEqual(
      (await post(`${server.hub}news/today`, "x", token)).status,
      201,
    );
    strictEqual((await post(`${server.hub}sport`, "x", token)).status, 403);
    strictEqual((await post(`${server.hub}news/today`, "x")).status, 401);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverpush serve with an unusable JWT key fails in one line (exit 1)", async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ["--jwt-jwks", "/nonexistent/jwks.json"],
      /^serverpush: Cannot read --jwt-jwks \/nonexistent\/jwks.json: /,
    ],
    [
      ["--jwt-secret", "short"],
      /^serverpush: Cannot use --jwt-secret: .*expected at least 32/,
    ],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), async () => {
      const { code, stderr } = await runCli(["serve", "--port", "0", ...args]);
      strictEqual(code, 1);
      match(stderr, expected);
      strictEqual(stderr.trim().split("\n").length, 1);
    });
  }
});

Deno.test("serverpush serve /metrics answers Prometheus text that promtool accepts", async () => {
  const promtool = "/usr/bin/promtool";
  let missing: string | undefined;
  try {
    await Deno.stat(promtool);
  } catch {
    missing = `${promtool} is missing (Debian package prometheus)`;
  }
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
  ]);
  strictEqual((await post(`${server.hub}news`, "x", "s3cret")).status, 201);
  const response = await fetch(new URL("/metrics", server.hub));
  const text = await response.text();
  strictEqual(response.status, 200);
  match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  match(text, /^serverpush_messages_published_total 1$/m);
  if (missing !== undefined) {
    // deno-lint-ignore no-console
    console.log(`Skipping promtool check metrics: ${missing}`);
    return;
  }
  const child = new Deno.Command(promtool, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const said = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  strictEqual(code, 0, said);
  strictEqual(said.trim(), "");
});

Deno.test("serverpush serve /inspector answers 200 on loopback", async () => {
  await using server = await startServe(["--port", "0"]);
  const page = await fetch(new URL("/inspector", server.hub));
  const html = await page.text();
  strictEqual(page.status, 200);
  match(page.headers.get("content-type")!, /^text\/html/);
  match(html, /<html/i);
  match(server.process.stderr(), /inspector loopback only/);
});

Deno.test("serve's handler refuses /inspector from another address unless openInspector", async () => {
  const elsewhere = {
    remoteAddr: { transport: "tcp", hostname: "10.1.2.3", port: 40000 },
  };
  const loopback = {
    remoteAddr: { transport: "tcp", hostname: "::1", port: 40000 },
  };
  const request = () => new Request("http://127.0.0.1:8080/inspector");
  const closed = await createServeHandler({});
  try {
    strictEqual((await closed.handler(request(), elsewhere)).status, 403);
    const ok200 = await closed.handler(request(), loopback);
    await ok200.body?.cancel();
    strictEqual(ok200.status, 200);
  } finally {
    await closed.close();
  }
  const open = await createServeHandler({ openInspector: true });
  try {
    const response = await open.handler(request(), elsewhere);
    await response.body?.cancel();
    strictEqual(response.status, 200);
  } finally {
    await open.close();
  }
});
