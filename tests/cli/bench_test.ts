// Copyright 2026 the serverpush authors. MIT license.
// A bounded load test: 1,000 connections for 2 seconds of publishing.
// It asserts what bench counts (nothing lost or duplicated), never timings.

import { ok, strictEqual } from "node:assert/strict";
import { runCli, startServe } from "./_cli.ts";

Deno.test("serverpush bench holds 1,000 clients and counts no loss or duplicate", async (t) => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
  ]);
  for (const transport of ["ws", "sse"]) {
    await t.step(transport, () => benchThousand(server.hub, transport));
  }
});

async function benchThousand(hub: string, transport: string): Promise<void> {
  const { code, stdout, stderr } = await runCli([
    "bench",
    `${hub}load-${transport}`,
    ...(transport === "ws" ? [] : ["--transport", transport]),
    "--clients",
    "1000",
    "--duration",
    "2",
    "--rate",
    "10",
    "--token",
    "s3cret",
    "--json",
  ], 120_000);
  strictEqual(code, 0, stderr);
  const result = JSON.parse(stdout);
  strictEqual(result.transport, transport); // ws is the default
  strictEqual(result.connectionsOpened, 1000);
  strictEqual(result.connectionsFailed, 0);
  strictEqual(result.published, 20);
  strictEqual(result.delivered, 20_000);
  strictEqual(result.lost, 0);
  strictEqual(result.duplicated, 0);
  strictEqual(result.idMismatches, 0);
  // The server's own numbers, read from its /metrics after the run.
  const server: Record<string, number> = result.server;
  const transportLabel = transport === "ws" ? "websocket" : transport;
  ok(
    server[
      `serverpush_connections_opened_total{transport="${transportLabel}"}`
    ]! >= 1000,
    JSON.stringify(server),
  );
  ok(server.serverpush_messages_published_total! >= 20);
  ok(server.serverpush_messages_delivered_total! >= 20_000);
  strictEqual(server.serverpush_backend_errors_total, 0);
}

Deno.test("serverpush bench over long and short polling with 50 clients counts no loss or duplicate", async (t) => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
  ]);
  for (const transport of ["longpoll", "poll"]) {
    await t.step(transport, async () => {
      const { code, stdout, stderr } = await runCli([
        "bench",
        `${server.hub}load-${transport}`,
        "--transport",
        transport,
        "--clients",
        "50",
        "--duration",
        "1",
        "--rate",
        "10",
        "--token",
        "s3cret",
        "--json",
      ], 120_000);
      strictEqual(code, 0, stderr);
      const result = JSON.parse(stdout);
      strictEqual(result.connectionsOpened, 50);
      strictEqual(result.delivered, 50 * result.published);
      strictEqual(result.lost, 0);
      strictEqual(result.duplicated, 0);
    });
  }
});
