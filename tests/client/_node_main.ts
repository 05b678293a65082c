// Copyright 2026 the serverpush authors. MIT license.
// Bundled by node_clients_test.ts and run with `node <base> <since>`: the
// client scenario over the library's entries, its result printed as JSON.

import * as client from "../../client/mod.ts";
import * as message from "../../message/mod.ts";
import * as sse from "../../sse/mod.ts";
import * as ws from "../../ws/mod.ts";
import { runClientScenario } from "../_client_scenario.ts";

interface NodeProcess {
  argv: string[];
  exit(code: number): never;
  stdout: { write(text: string): boolean };
}
const process = (globalThis as unknown as { process: NodeProcess }).process;

const [base, since] = process.argv.slice(2);
try {
  const result = await runClientScenario(base!, since!, {
    client,
    sse,
    message,
    ws,
    // Node 20 has no WebSocket: serverpush's codec engine stands in.
    WebSocket: globalThis.WebSocket ?? ws.CodecWebSocket,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ error: String((error as Error)?.stack ?? error) })}\n`,
  );
  process.exit(1);
}
