// Copyright 2026 the serverpush authors. MIT license.
// Checks the architecture checks themselves: on hand-made graphs, on snippets
// of source, and on two throwaway trees read with the real tools (one that
// breaks every rule, one that keeps them all).
import assert from "node:assert/strict";
import {
  ARCHITECTURE_CHECKS,
  checkBrowserEntries,
  checkBrowserGraph,
  checkBuiltinImports,
  checkCircles,
  checkLayers,
  findCircles,
  graphFrom,
  hasBrowserHeader,
  isSourcePath,
  LAYER_RULES,
  linesNamingDeno,
  parseCheckErrors,
  parseDocLintErrors,
  readImportGraph,
  stripCommentsAndStrings,
} from "./_architecture.ts";

Deno.test("findCircles() finds each circle and nothing else", () => {
  const graph = graphFrom({
    "a.ts": ["b.ts"],
    "b.ts": ["c.ts"],
    "c.ts": ["a.ts", "d.ts"],
    "d.ts": [],
    "e.ts": ["a.ts", "e.ts"],
    "f.ts": ["g.ts"],
    "g.ts": ["f.ts"],
  });
  assert.deepEqual(findCircles(graph), [
    ["a.ts", "b.ts", "c.ts", "a.ts"],
    ["e.ts", "e.ts"],
    ["f.ts", "g.ts", "f.ts"],
  ]);
  assert.deepEqual(
    checkCircles(graph)[0],
    "no circles: a.ts -> b.ts -> c.ts -> a.ts (one of the circles among these 3 files: a.ts, b.ts, c.ts)",
  );
});

Deno.test("findCircles() prints a circle through every file of a group", () => {
  // Two circles that share hub.ts: both are printed.
  const graph = graphFrom({
    "hub/hub.ts": ["hub/handler.ts", "polling/poll.ts"],
    "hub/handler.ts": ["hub/hub.ts"],
    "polling/poll.ts": ["polling/source.ts"],
    "polling/source.ts": ["hub/hub.ts"],
  });
  assert.deepEqual(findCircles(graph), [
    ["hub/handler.ts", "hub/hub.ts", "hub/handler.ts"],
    ["hub/hub.ts", "polling/poll.ts", "polling/source.ts", "hub/hub.ts"],
  ]);
});

Deno.test("findCircles() accepts a graph without circles", () => {
  const graph = graphFrom({
    "mod.ts": ["hub/mod.ts", "sse/mod.ts"],
    "hub/mod.ts": ["hub/hub.ts", "message/message.ts"],
    "hub/hub.ts": ["message/message.ts"],
    "sse/mod.ts": ["sse/encode.ts"],
    "sse/encode.ts": [],
    "message/message.ts": [],
  });
  assert.deepEqual(findCircles(graph), []);
  assert.deepEqual(checkCircles(graph), []);
});

Deno.test("findCircles() ignores circles through files that are not sources", () => {
  const graph = graphFrom({
    "hub/hub.ts": ["tests/helper.ts"],
    "tests/helper.ts": ["hub/hub.ts"],
  }, { sources: ["hub/hub.ts"] });
  assert.deepEqual(findCircles(graph), []);
});

Deno.test("checkLayers() lets allowed imports through", () => {
  const graph = graphFrom({
    "mod.ts": ["hub/mod.ts", "serve/mod.ts", "polling/mod.ts"],
    "serve/handler.ts": [
      "hub/hub.ts",
      "sse/encode.ts",
      "ws/accept.ts",
      "polling/poll.ts",
      "tcp/serve.ts",
    ],
    "client/connect.ts": ["sse/client.ts", "message/message.ts"],
    "hub/hub.ts": ["message/message.ts", "_internal/loop.ts", "hub/_x.ts"],
    "polling/poll.ts": ["message/source.ts", "_internal/loop.ts"],
    "tcp/serve.ts": ["message/source.ts", "_internal/loop.ts"],
    "message/json.ts": ["sse/encode.ts", "message/message.ts"],
    "sse/encode.ts": ["sse/_utf8.ts", "ws/_utf8.ts", "_internal/loop.ts"],
    "_internal/loop.ts": ["_internal/queue.ts"],
  });
  assert.deepEqual(checkLayers(graph), []);
});

Deno.test("checkLayers() reports each forbidden import with its rule", () => {
  const graph = graphFrom({
    "hub/hub.ts": ["polling/poll.ts", "ws/accept.ts", "message/message.ts"],
    "hub/handler.ts": ["serve/handler.ts"],
    "polling/poll.ts": ["hub/hub.ts"],
    "tcp/serve.ts": ["client/connect.ts"],
    "message/json.ts": ["serve/handler.ts"],
    "sse/encode.ts": ["message/message.ts"],
    "ws/accept.ts": ["tcp/serve.ts"],
    "_internal/loop.ts": ["hub/hub.ts", "_internal/queue.ts"],
    "mod.ts": ["tests/_wait.ts", "examples/server.ts", "bench/x.ts"],
  }, { typeOnly: [["polling/poll.ts", "hub/hub.ts"]] });
  const [hub, transports, codecs, internal, library] = LAYER_RULES.map((
    rule,
  ) => rule.name);
  assert.deepEqual(
    checkLayers(graph).sort(),
    [
      `layers: _internal/loop.ts imports hub/hub.ts: ${internal}`,
      `layers: hub/handler.ts imports serve/handler.ts: ${hub}`,
      `layers: hub/hub.ts imports polling/poll.ts: ${hub}`,
      `layers: hub/hub.ts imports ws/accept.ts: ${hub}`,
      `layers: message/json.ts imports serve/handler.ts: ${transports}`,
      `layers: mod.ts imports bench/x.ts: ${library}`,
      `layers: mod.ts imports examples/server.ts: ${library}`,
      `layers: mod.ts imports tests/_wait.ts: ${library}`,
      `layers: polling/poll.ts imports (type only) hub/hub.ts: ${transports}`,
      `layers: sse/encode.ts imports message/message.ts: ${codecs}`,
      `layers: tcp/serve.ts imports client/connect.ts: ${transports}`,
      `layers: ws/accept.ts imports tcp/serve.ts: ${codecs}`,
    ].sort(),
  );
});

Deno.test("isSourcePath() leaves out tests, bench, examples and test files", () => {
  assert.equal(isSourcePath("hub/hub.ts"), true);
  assert.equal(isSourcePath("mod.ts"), true);
  assert.equal(isSourcePath("hub/hub_test.ts"), false);
  assert.equal(isSourcePath("tests/_wait.ts"), false);
  assert.equal(isSourcePath("bench/hub_bench.ts"), false);
  assert.equal(isSourcePath("examples/server.ts"), false);
  assert.equal(isSourcePath("node_modules/x/index.ts"), false);
  assert.equal(isSourcePath(".ci/check.ts"), false);
  assert.equal(isSourcePath("hub/README.md"), false);
});

Deno.test("hasBrowserHeader() reads only the leading comments", () => {
  const header = "// Copyright.\n// This module is browser compatible.\n";
  assert.equal(hasBrowserHeader(header + "export {};\n"), true);
  assert.equal(hasBrowserHeader("// Copyright.\nexport {};\n"), false);
  assert.equal(
    hasBrowserHeader(
      "// Copyright.\nexport {};\n// This module is browser compatible.\n",
    ),
    false,
  );
});

Deno.test("linesNamingDeno() finds Deno in code, types included, not in comments or strings", () => {
  const source = [
    "// Deno is mentioned in a comment.", // 1
    "/** Stand-in for `Deno.listen`. */", // 2
    'const a = "Deno.listen";', // 3
    "const b = `Deno ${a}`;", // 4
    "const c = `x ${Deno.pid} y`;", // 5
    "type U = typeof Deno.upgradeWebSocket;", // 6
    "const r = /[\"'`]Deno\\//;", // 7
    "const d = 1 / 2; const e = Deno.pid / 2;", // 8
    "const notDeno = DenoLike + myDeno;", // 9
    "/* several", // 10
    "   Deno lines */ let f: Deno.Conn;", // 11
    "const g = `${`${Deno.args}`}`;", // 12
  ].join("\n");
  assert.deepEqual(linesNamingDeno(source), [5, 6, 8, 11, 12]);
  assert.equal(stripCommentsAndStrings(source).length, source.length);
});

Deno.test("checkBrowserGraph() follows imports to node: modules and to Deno", () => {
  const graph = graphFrom({
    "hub/hub.ts": ["hub/_x.ts"],
    "hub/_x.ts": ["ws/accept.ts"],
    "ws/accept.ts": [],
    "sse/encode.ts": [],
    "tcp/net.ts": [],
    "ws/frame.ts": [],
  }, {
    external: { "tcp/net.ts": ["node:net", "npm:x@1"], "ws/frame.ts": [] },
  });
  const violations = checkBrowserGraph(
    graph,
    ["hub/hub.ts", "sse/encode.ts", "tcp/net.ts", "ws/frame.ts"],
    new Map([["ws/accept.ts", [12, 30]], ["sse/encode.ts", [4]]]),
  );
  assert.deepEqual(violations, [
    "browser compatible: hub/hub.ts reaches ws/accept.ts, which names Deno (ws/accept.ts:12,30) through hub/hub.ts -> hub/_x.ts -> ws/accept.ts",
    "browser compatible: sse/encode.ts names Deno (sse/encode.ts:4)",
    'browser compatible: tcp/net.ts reaches tcp/net.ts, which imports "node:net"',
  ]);
});

Deno.test("checkBrowserEntries() follows an entry's imports to node: modules and unmarked files", () => {
  const graph = graphFrom({
    "client/mod.ts": ["client/connect.ts"],
    "client/connect.ts": ["ws/dial.ts", "message/m.ts"],
    "ws/dial.ts": [],
    "message/m.ts": [],
    "ws/mod.ts": ["ws/server.ts"],
    "ws/server.ts": ["ws/zlib.ts"],
    "ws/zlib.ts": [],
  }, {
    external: {
      "ws/dial.ts": ["node:net"],
      "ws/zlib.ts": ["node:zlib", "npm:x@1"],
    },
  });
  const marked = new Set(["client/mod.ts", "client/connect.ts", "ws/dial.ts"]);
  assert.deepEqual(
    checkBrowserEntries(graph, [
      { entry: "./client", file: "client/mod.ts", everyFileMarked: true },
      { entry: "./ws", file: "ws/mod.ts", everyFileMarked: false },
    ], marked),
    [
      'browser entry ./client: message/m.ts lacks "// This module is browser compatible." (through client/mod.ts -> client/connect.ts -> message/m.ts)',
      'browser entry ./client: ws/dial.ts imports "node:net" (through client/mod.ts -> client/connect.ts -> ws/dial.ts)',
      'browser entry ./ws: ws/zlib.ts imports "node:zlib" (through ws/mod.ts -> ws/server.ts -> ws/zlib.ts)',
    ],
  );
  // Unmarked files are fine in an entry that only refuses node: imports.
  assert.deepEqual(
    checkBrowserEntries(graph, [
      { entry: "./message", file: "message/m.ts", everyFileMarked: false },
    ], marked),
    [],
  );
});

Deno.test("checkBuiltinImports() reports node: modules imported for code, outside the allowed files", () => {
  const graph = graphFrom({
    "ws/deflate.ts": [],
    "ws/types.ts": [],
    "hub/redis.ts": [],
    "cli/args.ts": [],
  }, {
    external: {
      "ws/deflate.ts": ["node:zlib", "npm:ws@8"],
      "ws/types.ts": ["node:zlib"],
      "hub/redis.ts": ["node:buffer"],
      "cli/args.ts": ["node:util"],
    },
    externalCode: {
      "ws/deflate.ts": ["node:zlib", "npm:ws@8"],
      "hub/redis.ts": ["node:buffer"],
      "cli/args.ts": ["node:util"],
    },
  });
  assert.deepEqual(checkBuiltinImports(graph), [
    'built-ins: ws/deflate.ts imports "node:zlib"; take it when called (nodeModule in _internal/node_module.ts)',
  ]);
  assert.deepEqual(checkBuiltinImports(graph, ["ws/deflate.ts"]), [
    'built-ins: cli/args.ts imports "node:util"; take it when called (nodeModule in _internal/node_module.ts)',
    'built-ins: hub/redis.ts imports "node:buffer"; take it when called (nodeModule in _internal/node_module.ts)',
  ]);
});

Deno.test("parseCheckErrors() and parseDocLintErrors() read the tools' output", () => {
  const check = [
    "TS2304 [ERROR]: Cannot find name 'Deno'. Do you need to change your target library?",
    "  const upgrade = options.upgrade ?? Deno.upgradeWebSocket;",
    "                                     ~~~~",
    "    at file:///repo/ws/accept_web_socket.ts:332:38",
    "",
    "Found 1 error.",
  ].join("\n");
  assert.deepEqual(parseCheckErrors(check, "file:///repo/"), [{
    file: "ws/accept_web_socket.ts",
    at: "332:38",
    code: "TS2304",
    message:
      "Cannot find name 'Deno'. Do you need to change your target library?",
  }]);
  const doc = [
    "error[private-type-ref]: public type 'serveTcpPush' references private type 'Hub'",
    "   --> /repo/tcp/serve_tcp_push.ts:461:1",
    "    | ",
    "error[missing-jsdoc]: exported symbol is missing JSDoc documentation",
    " --> /repo/tcp/mod.ts:3:1",
    "error: Found 2 documentation lint errors.",
  ].join("\n");
  assert.deepEqual(parseDocLintErrors(doc, "/repo"), [
    "private-type-ref: public type 'serveTcpPush' references private type 'Hub' (tcp/serve_tcp_push.ts:461)",
    "missing-jsdoc: exported symbol is missing JSDoc documentation (tcp/mod.ts:3)",
  ]);
});

Deno.test("readImportGraph() rejects a graph with a missing file", async () => {
  const root = await writeTree({
    "mod.ts": 'import "./hub/hub.ts";\n',
    "hub/hub.ts": 'export const load = () => import("./gone.ts");\n',
  });
  try {
    await assert.rejects(
      readImportGraph(root),
      (error: Error) =>
        error.message.startsWith("Cannot read the import graph: ") &&
        error.message.includes(
          `"file://${root}/hub/gone.ts": Module not found`,
        ),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function writeTree(files: Record<string, string>): Promise<string> {
  const root = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "architecture_fixture_" }),
  );
  for (const [path, text] of Object.entries(files)) {
    const at = `${root}/${path}`;
    await Deno.mkdir(at.slice(0, at.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(at, text);
  }
  return root;
}

const BROWSER = "// This module is browser compatible.\n";

Deno.test("the checks find every kind of violation in a real tree", async () => {
  const root = await writeTree({
    "deno.json": JSON.stringify({
      exports: {
        ".": "./mod.ts",
        "./hub": "./hub/mod.ts",
        "./message": "./message/mod.ts",
      },
    }),
    "mod.ts": "/**\n * Root.\n * @module\n */\n\n/** One. */\n" +
      "export const one: number = 1;\n",
    "message/mod.ts": "/**\n * Message.\n * @module\n */\n\n" +
      "/** Loads zlib. */\nexport function load(): Promise<unknown> {\n" +
      '  return import("node:zlib");\n}\n',
    "hub/mod.ts": "/**\n * Hub.\n * @module\n */\n" +
      'import type { Options } from "./_options.ts";\n\n' +
      "/** Makes. */\nexport function make(options: Options): number {\n" +
      "  return options.n;\n}\n",
    "hub/_options.ts": "export interface Options {\n  n: number;\n}\n",
    "hub/hub.ts": BROWSER + 'import { poll } from "../polling/poll.ts";\n' +
      'import { clock } from "../_internal/clock.ts";\n' +
      "export class Hub {\n  n = poll(this) + clock();\n}\n",
    "polling/poll.ts": BROWSER + 'import type { Hub } from "../hub/hub.ts";\n' +
      "export function poll(_hub: Hub): number {\n  return 1;\n}\n",
    "_internal/clock.ts": 'import { pid } from "../tcp/net.ts";\n' +
      "export function clock(): number {\n" +
      '  void import("../tests/helper.ts");\n  return pid();\n}\n',
    "tcp/net.ts": 'import { Buffer } from "node:buffer";\n' +
      "// Deno in a comment does not count; the next line does.\n" +
      'export const pid = (): number => Deno.pid + Buffer.byteLength("");\n',
    "tests/helper.ts": "export const helper = 1;\n",
    "hub/hub_test.ts": 'import "../tcp/net.ts";\n',
    "ws/bytes.ts": 'import type { Buffer } from "node:buffer";\n' +
      "export type Bytes = Buffer;\n",
  });
  try {
    const graph = await readImportGraph(root);
    assert.deepEqual(graph.sources, [
      "_internal/clock.ts",
      "hub/_options.ts",
      "hub/hub.ts",
      "hub/mod.ts",
      "message/mod.ts",
      "mod.ts",
      "polling/poll.ts",
      "tcp/net.ts",
      "ws/bytes.ts",
    ]);
    assert.equal(graph.edges.get("polling/poll.ts")?.get("hub/hub.ts"), "type");
    assert.equal(
      graph.edges.get("_internal/clock.ts")?.get("tests/helper.ts"),
      "code",
      "a dynamic import is an edge",
    );
    assert.deepEqual(graph.external.get("tcp/net.ts"), ["node:buffer"]);
    assert.deepEqual(graph.externalCode.get("tcp/net.ts"), ["node:buffer"]);
    assert.deepEqual(graph.external.get("ws/bytes.ts"), ["node:buffer"]);
    assert.deepEqual(graph.externalCode.get("ws/bytes.ts"), [], "type only");

    const [circles, layers, browser, docLint, entries, builtins] = await Promise
      .all(ARCHITECTURE_CHECKS.map((check) => check.run(root)));
    assert.deepEqual(circles, [
      "no circles: hub/hub.ts -> polling/poll.ts -> hub/hub.ts (one of the circles among these 2 files: hub/hub.ts, polling/poll.ts)",
    ]);
    assert.deepEqual(layers, [
      `layers: hub/hub.ts imports polling/poll.ts: ${LAYER_RULES[0]!.name}`,
      `layers: polling/poll.ts imports (type only) hub/hub.ts: ${
        LAYER_RULES[1]!.name
      }`,
      `layers: _internal/clock.ts imports tcp/net.ts: ${LAYER_RULES[3]!.name}`,
      `layers: _internal/clock.ts imports tests/helper.ts: ${
        LAYER_RULES[3]!.name
      }`,
      `layers: _internal/clock.ts imports tests/helper.ts: ${
        LAYER_RULES[4]!.name
      }`,
    ]);
    const through = "through hub/hub.ts -> _internal/clock.ts -> tcp/net.ts";
    const fromPoll =
      "through polling/poll.ts -> hub/hub.ts -> _internal/clock.ts -> tcp/net.ts";
    assert.deepEqual(browser!.slice(0, 4), [
      `browser compatible: hub/hub.ts reaches tcp/net.ts, which imports "node:buffer" ${through}`,
      `browser compatible: hub/hub.ts reaches tcp/net.ts, which names Deno (tcp/net.ts:3) ${through}`,
      `browser compatible: polling/poll.ts reaches tcp/net.ts, which imports "node:buffer" ${fromPoll}`,
      `browser compatible: polling/poll.ts reaches tcp/net.ts, which names Deno (tcp/net.ts:3) ${fromPoll}`,
    ]);
    assert.ok(
      browser!.slice(4).some((line) =>
        line.startsWith(
          "browser compatible: tcp/net.ts:3:34 fails the DOM-only type-check: TS2304 Cannot find name 'Deno'.",
        ) &&
        line.endsWith(
          "(in the import graph of 2 browser-compatible files: hub/hub.ts, polling/poll.ts)",
        )
      ),
      browser!.join("\n"),
    );
    assert.deepEqual(docLint, [
      "doc lint: hub/mod.ts alone: private-type-ref: public type 'make' references private type 'Options' (hub/mod.ts:8)",
    ]);
    assert.deepEqual(entries, [
      'browser entry ./message: message/mod.ts imports "node:zlib"',
      'browser entry ./message: message/mod.ts lacks "// This module is browser compatible."',
    ]);
    const take = "take it when called (nodeModule in _internal/node_module.ts)";
    assert.deepEqual(builtins, [
      `built-ins: message/mod.ts imports "node:zlib"; ${take}`,
      `built-ins: tcp/net.ts imports "node:buffer"; ${take}`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the checks pass on a real tree that keeps the rules", async () => {
  const root = await writeTree({
    "deno.json": JSON.stringify({
      exports: {
        ".": "./mod.ts",
        "./serve": "./serve/mod.ts",
        "./message": "./message/mod.ts",
      },
    }),
    "message/mod.ts": "// Copyright.\n" + BROWSER +
      "/**\n * Message.\n * @module\n */\n" +
      'export { type Message, format } from "./message.ts";\n',
    "mod.ts": "// Copyright.\n" + BROWSER + "/**\n * Root.\n * @module\n */\n" +
      'export { type Message, format } from "./message/message.ts";\n',
    "message/message.ts": BROWSER +
      "/** A message. */\nexport interface Message {\n  /** Data. */\n" +
      "  data: string;\n}\n\n/** Formats `message`. */\n" +
      "export function format(message: Message): string {\n" +
      "  return `data: ${message.data}`;\n}\n",
    "hub/hub.ts": BROWSER +
      'import type { Message } from "../message/message.ts";\n' +
      'import { tick } from "../_internal/tick.ts";\n' +
      "export class Hub {\n  last: Message | undefined;\n  n = tick();\n}\n",
    "_internal/tick.ts": 'import { one } from "./_one.ts";\n' +
      "export const tick = (): number => one;\n",
    "_internal/_one.ts": "export const one = 1;\n",
    "serve/mod.ts": "/**\n * Serve.\n * @module\n */\n" +
      'import { Hub } from "../hub/hub.ts";\n' +
      'import { format } from "../message/message.ts";\n\n' +
      "/** Serves a hub on `port`. */\n" +
      "export function serve(port: number): Deno.HttpServer {\n" +
      "  const hub = new Hub();\n" +
      "  return Deno.serve({ port }, () => new Response(format({ data: String(hub.n) })));\n" +
      "}\n",
    "serve/mod_test.ts": 'import "../tests/helper.ts";\n',
    "tests/helper.ts": 'import "../serve/mod.ts";\n',
    "examples/demo.ts": 'import "../serve/mod.ts";\n',
  });
  try {
    for (const check of ARCHITECTURE_CHECKS) {
      assert.deepEqual(await check.run(root), [], check.name);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
