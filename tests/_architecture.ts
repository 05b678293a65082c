// Copyright 2026 the serverpush authors. MIT license.
// Architecture checks: they read the real import graph (`deno info --json`)
// and the real tools (`deno check`, `deno doc --lint`) and return the
// violations as readable lines, one per problem, each naming its rule and its
// files. An empty list means the rule holds.
//
// `tests/architecture_report.ts` prints them; `tests/architecture_rules_test.ts`
// checks the checks on hand-made graphs and a throwaway fixture tree. Once the
// layout has landed, `tests/architecture_test.ts` asserts that each check of
// `ARCHITECTURE_CHECKS` returns `[]` on this repository.

// ---------------------------------------------------------------------------
// The layer rules. A rule matches an import from a library file whose path
// starts with one of `from` to one of our files whose path starts with one of
// `to`, unless that file's path starts with one of `except`. `"*"` matches
// every file. A folder that does not exist matches nothing. Paths are relative
// to the repository root, with `/`.
// ---------------------------------------------------------------------------

/** One layer rule: imports from `from` to `to` are forbidden. */
export interface LayerRule {
  /** The rule as a reviewer reads it; printed with each violation. */
  readonly name: string;
  /** Path prefixes of the importing library files (`"*"`: any). */
  readonly from: readonly string[];
  /** Path prefixes of the forbidden imported files (`"*"`: any of ours). */
  readonly to: readonly string[];
  /** Path prefixes that `to` does not cover. */
  readonly except?: readonly string[];
}

const TRANSPORTS = ["sse/", "ws/", "polling/", "tcp/"] as const;

/** The layer rules, in one table. */
export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: "hub/ is the core and imports no transport",
    from: ["hub/"],
    to: [...TRANSPORTS, "serve/", "client/"],
  },
  {
    name: "polling/, tcp/ and message/ read a MessageSource, never the hub",
    from: ["polling/", "tcp/", "message/"],
    to: ["hub/", "serve/", "client/"],
  },
  {
    name: "the codecs (sse/, ws/) stand alone",
    from: ["sse/", "ws/"],
    to: ["message/", "hub/", "serve/", "client/", "polling/", "tcp/"],
  },
  {
    name: "_internal/ imports nothing of ours outside _internal/",
    from: ["_internal/"],
    to: ["*"],
    except: ["_internal/"],
  },
  {
    name: "library files never import examples/, bench/ or tests/",
    from: ["*"],
    to: ["examples/", "bench/", "tests/"],
  },
  {
    name: "auth/ stands alone: it imports nothing of ours but _internal/",
    from: ["auth/"],
    to: ["*"],
    except: ["auth/", "_internal/"],
  },
  {
    name: "cli/ is the top: nothing imports the command line",
    from: ["*"],
    to: ["cli/"],
    except: ["cli/"],
  },
];

/** Top-level folders whose files are not library source files. */
export const NON_SOURCE_DIRS: readonly string[] = [
  "tests/",
  "bench/",
  "examples/",
  "node_modules/",
  ".ci/",
  "coverage/",
  ".out/",
];

/** The header line that marks a file as browser compatible. */
export const BROWSER_HEADER = "// This module is browser compatible.";

/** Compiler options of the DOM-only check (std's browser-compat recipe). */
export const BROWSER_COMPILER_OPTIONS = {
  lib: ["dom", "dom.iterable", "esnext"],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
} as const;

/** The repository root (the parent of `tests/`). */
export const REPO_ROOT: string = new URL("..", import.meta.url).pathname
  .replace(/\/$/, "");

// ---------------------------------------------------------------------------
// The import graph
// ---------------------------------------------------------------------------

/** Whether an import is needed at run time or only for types. */
export type EdgeKind = "code" | "type";

/** The import graph of the library, paths relative to the root. */
export interface ImportGraph {
  /** Library source files (the roots of the graph), sorted. */
  readonly sources: readonly string[];
  /** Our file → our files it imports, with the strongest kind of import. */
  readonly edges: ReadonlyMap<string, ReadonlyMap<string, EdgeKind>>;
  /** Our file → external specifiers it imports (`node:`, `npm:`, …). */
  readonly external: ReadonlyMap<string, readonly string[]>;
  /** The same, but only those imported for code (not `import type`). */
  readonly externalCode: ReadonlyMap<string, readonly string[]>;
}

/** Builds a graph from plain adjacency lists (for tests and fixtures). */
export function graphFrom(
  edges: Record<string, readonly string[]>,
  options: {
    sources?: readonly string[];
    external?: Record<string, readonly string[]>;
    /** Defaults to `external`. */
    externalCode?: Record<string, readonly string[]>;
    typeOnly?: readonly (readonly [string, string])[];
  } = {},
): ImportGraph {
  const map = new Map<string, Map<string, EdgeKind>>();
  for (const [from, tos] of Object.entries(edges)) {
    const out = new Map<string, EdgeKind>();
    for (const to of tos) out.set(to, "code");
    map.set(from, out);
  }
  for (const [from, to] of options.typeOnly ?? []) {
    map.get(from)?.set(to, "type");
  }
  return {
    sources: [...(options.sources ?? Object.keys(edges))].sort(),
    edges: map,
    external: new Map(Object.entries(options.external ?? {})),
    externalCode: new Map(
      Object.entries(options.externalCode ?? options.external ?? {}),
    ),
  };
}

/** Whether `path` (relative to the root) is a library source file. */
export function isSourcePath(path: string): boolean {
  if (!path.endsWith(".ts") || path.endsWith("_test.ts")) return false;
  if (path.split("/").some((part) => part.startsWith("."))) return false;
  return !NON_SOURCE_DIRS.some((dir) => path.startsWith(dir));
}

/** Lists the library source files under `root`, sorted. */
export async function listSourceFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = prefix + entry.name;
      if (entry.isDirectory) {
        if (entry.name.startsWith(".")) continue;
        if (NON_SOURCE_DIRS.includes(path + "/")) continue;
        await walk(`${dir}/${entry.name}`, path + "/");
      } else if (entry.isFile && isSourcePath(path)) {
        found.push(path);
      }
    }
  }
  await walk(root, "");
  return found.sort();
}

interface DenoInfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}
interface DenoInfoModule {
  specifier: string;
  error?: string;
  dependencies?: DenoInfoDependency[];
  typesDependency?: { dependency?: { specifier?: string } };
}
interface DenoInfoOutput {
  modules: DenoInfoModule[];
  redirects: Record<string, string>;
}

async function run(
  args: string[],
  cwd: string,
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function configArgs(root: string): string[] {
  try {
    Deno.statSync(`${root}/deno.json`);
    return ["--config", `${root}/deno.json`];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/**
 * Reads the import graph of every library source file under `root` with one
 * `deno info --json` run on a temporary module that imports them all. Code and
 * type imports, static and dynamic, all count.
 */
export async function readImportGraph(root: string): Promise<ImportGraph> {
  const sources = await listSourceFiles(root);
  const rootUrl = new URL(`file://${root}/`);
  const tmp = await Deno.makeTempDir({ prefix: "architecture_" });
  try {
    const all = `${tmp}/all.ts`;
    await Deno.writeTextFile(
      all,
      sources.map((path) =>
        `import ${JSON.stringify(new URL(path, rootUrl).href)};\n`
      ).join(""),
    );
    const result = await run(
      ["info", "--json", ...configArgs(root), all],
      root,
    );
    if (!result.success) {
      throw new Error(`Cannot read the import graph: ${result.stderr}`);
    }
    const info = JSON.parse(result.stdout) as DenoInfoOutput;
    return graphFromDenoInfo(info, rootUrl.href, sources);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Turns `deno info --json` output into an {@linkcode ImportGraph}. */
export function graphFromDenoInfo(
  info: DenoInfoOutput,
  rootHref: string,
  sources: readonly string[],
): ImportGraph {
  const ours = (specifier: string): string | undefined => {
    if (!specifier.startsWith(rootHref)) return undefined;
    const path = decodeURIComponent(specifier.slice(rootHref.length));
    return path.startsWith("node_modules/") ? undefined : path;
  };
  const broken = info.modules.filter((module) =>
    module.error !== undefined && ours(module.specifier) !== undefined
  );
  if (broken.length > 0) {
    throw new Error(
      `Cannot read the import graph: ${
        broken.map((module) => `"${module.specifier}": ${module.error}`)
          .join("; ")
      }`,
    );
  }
  const edges = new Map<string, Map<string, EdgeKind>>();
  const external = new Map<string, string[]>();
  const externalCode = new Map<string, string[]>();
  for (const module of info.modules) {
    const from = ours(module.specifier);
    if (from === undefined) continue;
    const out = new Map<string, EdgeKind>();
    const ext = new Set<string>();
    const extCode = new Set<string>();
    const add = (specifier: string | undefined, kind: EdgeKind): void => {
      if (specifier === undefined) return;
      const resolved = info.redirects[specifier] ?? specifier;
      const to = ours(resolved);
      if (to === undefined) {
        if (resolved.startsWith("file:")) return;
        ext.add(resolved);
        if (kind === "code") extCode.add(resolved);
      } else if (out.get(to) !== "code") {
        out.set(to, kind);
      }
    };
    for (const dependency of module.dependencies ?? []) {
      add(dependency.code?.specifier, "code");
      add(dependency.type?.specifier, "type");
    }
    add(module.typesDependency?.dependency?.specifier, "type");
    edges.set(from, out);
    external.set(from, [...ext].sort());
    externalCode.set(from, [...extCode].sort());
  }
  return { sources: [...sources].sort(), edges, external, externalCode };
}

const graphs = new Map<string, Promise<ImportGraph>>();

/** {@linkcode readImportGraph}, read once per root per process. */
export function importGraph(root: string): Promise<ImportGraph> {
  let graph = graphs.get(root);
  if (graph === undefined) {
    graph = readImportGraph(root);
    graphs.set(root, graph);
  }
  return graph;
}

function sortedTargets(graph: ImportGraph, from: string): string[] {
  return [...(graph.edges.get(from)?.keys() ?? [])].sort();
}

// ---------------------------------------------------------------------------
// Rule 1: no circles
// ---------------------------------------------------------------------------

/**
 * Strongly connected components of the graph restricted to the library source
 * files, keeping only those that hold a circle (two or more files, or a file
 * that imports itself). Each component is sorted; the list is sorted.
 */
export function findCircularGroups(graph: ImportGraph): string[][] {
  const nodes = new Set(graph.sources);
  const next = (node: string): string[] =>
    sortedTargets(graph, node).filter((to) => nodes.has(to));
  // Tarjan's algorithm, iterative so that deep graphs cannot overflow.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  for (const start of graph.sources) {
    if (index.has(start)) continue;
    const work: { node: string; targets: string[]; i: number }[] = [];
    const open = (node: string): void => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, targets: next(node), i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.targets.length) {
        const to = frame.targets[frame.i++]!;
        if (!index.has(to)) {
          open(to);
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(
          parent.node,
          Math.min(low.get(parent.node)!, low.get(frame.node)!),
        );
      }
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== frame.node);
      if (group.length > 1 || next(frame.node).includes(frame.node)) {
        groups.push(group.sort());
      }
    }
  }
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest circle through `start` inside `group`, closed on `start`. */
function shortestCircle(
  graph: ImportGraph,
  group: ReadonlySet<string>,
  start: string,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const to of sortedTargets(graph, node)) {
      if (!group.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) {
          path.splice(1, 0, at);
        }
        path.push(start);
        return path;
      }
      if (previous.has(to)) continue;
      previous.set(to, node);
      queue.push(to);
    }
  }
  return [start, start];
}

/**
 * The circles of one group of files that import each other, as paths
 * `a.ts -> b.ts -> a.ts`: the shortest circle through each of its files,
 * without repeats, so that each file of the group is on a printed circle.
 */
export function circlesOf(
  graph: ImportGraph,
  group: readonly string[],
): string[][] {
  const members = new Set(group);
  const seen = new Set<string>();
  const circles: string[][] = [];
  for (const start of group) {
    const body = shortestCircle(graph, members, start).slice(0, -1);
    // Write the circle from its smallest file, to spot repeats.
    const first = body.indexOf([...body].sort()[0]!);
    const rotated = [...body.slice(first), ...body.slice(0, first)];
    const key = rotated.join(" -> ");
    if (seen.has(key)) continue;
    seen.add(key);
    circles.push([...rotated, rotated[0]!]);
  }
  return circles;
}

/** Every circle of the graph, group by group (see {@linkcode circlesOf}). */
export function findCircles(graph: ImportGraph): string[][] {
  return findCircularGroups(graph).flatMap((group) => circlesOf(graph, group));
}

/** Rule 1: violations, one line per circle. */
export function checkCircles(graph: ImportGraph): string[] {
  return findCircularGroups(graph).flatMap((group) =>
    circlesOf(graph, group).map((circle) =>
      `no circles: ${
        circle.join(" -> ")
      } (one of the circles among these ${group.length} files: ${
        group.join(", ")
      })`
    )
  );
}

// ---------------------------------------------------------------------------
// Rule 2: layers
// ---------------------------------------------------------------------------

function matches(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => prefix === "*" || path.startsWith(prefix));
}

/** Whether `rule` forbids an import from `from` to `to`. */
export function ruleForbids(
  rule: LayerRule,
  from: string,
  to: string,
): boolean {
  return matches(from, rule.from) && matches(to, rule.to) &&
    !matches(to, rule.except ?? []);
}

/** Rule 2: violations, one line per forbidden import per rule. */
export function checkLayers(
  graph: ImportGraph,
  rules: readonly LayerRule[] = LAYER_RULES,
): string[] {
  const violations: string[] = [];
  for (const rule of rules) {
    for (const from of graph.sources) {
      for (const [to, kind] of [...(graph.edges.get(from) ?? [])].sort()) {
        if (!ruleForbids(rule, from, to)) continue;
        const how = kind === "type" ? "imports (type only)" : "imports";
        violations.push(`layers: ${from} ${how} ${to}: ${rule.name}`);
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------
// Rule 3: browser-compatible files
// ---------------------------------------------------------------------------

/** Whether the leading comment lines of `source` hold the browser header. */
export function hasBrowserHeader(source: string): boolean {
  for (const line of source.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === BROWSER_HEADER) return true;
    if (trimmed !== "" && !trimmed.startsWith("//")) return false;
  }
  return false;
}

const REGEX_AFTER_WORD = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/**
 * Blanks out comments and the text of string, template and regular expression
 * literals (the code inside `${…}` stays), keeping line breaks so that line
 * numbers still hold.
 */
export function stripCommentsAndStrings(source: string): string {
  let out = "";
  let i = 0;
  // For each open template literal, how many `{` its current `${` has open.
  const templates: number[] = [];
  let lastSignificant = "";
  let lastWord = "";
  const blank = (text: string): string => text.replace(/[^\n]/g, " ");
  const skipTemplateText = (): void => {
    // At the character after "`" or after the "}" that closes a "${".
    const start = i;
    while (i < source.length) {
      const c = source[i]!;
      if (c === "\\") {
        i += 2;
      } else if (c === "`") {
        out += blank(source.slice(start, i)) + "`";
        i++;
        templates.pop();
        lastSignificant = "`";
        lastWord = "";
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        out += blank(source.slice(start, i)) + "${";
        i += 2;
        templates[templates.length - 1] = 1;
        lastSignificant = "{";
        lastWord = "";
        return;
      } else {
        i++;
      }
    }
    out += blank(source.slice(start));
  };
  while (i < source.length) {
    const c = source[i]!;
    const d = source[i + 1];
    if (c === "/" && d === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === "/" && d === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== "\n") {
        j += source[j] === "\\" ? 2 : 1;
      }
      out += c + blank(source.slice(i + 1, j)) + c;
      i = j + 1;
      lastSignificant = c;
      lastWord = "";
    } else if (c === "`") {
      out += "`";
      i++;
      templates.push(0);
      skipTemplateText();
    } else if (
      c === "/" &&
      (lastSignificant === "" || "(,=:[!&|?{};+-*%<>~^".includes(
        lastSignificant,
      ) ||
        REGEX_AFTER_WORD.has(lastWord))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n") {
        const r = source[j]!;
        if (r === "\\") {
          j += 2;
          continue;
        }
        if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        j++;
      }
      out += "/" + blank(source.slice(i + 1, j)) + "/";
      i = j + 1;
      lastSignificant = "/";
      lastWord = "";
    } else if (templates.length > 0 && templates.at(-1)! > 0 && c === "}") {
      const depth = templates.at(-1)! - 1;
      templates[templates.length - 1] = depth;
      if (depth === 0) {
        out += "}";
        i++;
        skipTemplateText();
      } else {
        out += c;
        i++;
        lastSignificant = c;
        lastWord = "";
      }
    } else {
      if (templates.length > 0 && templates.at(-1)! > 0 && c === "{") {
        templates[templates.length - 1] = templates.at(-1)! + 1;
      }
      const word = /^[\w$]+/.exec(source.slice(i, i + 64));
      if (word !== null) {
        out += word[0];
        i += word[0].length;
        lastSignificant = "a";
        lastWord = word[0];
        continue;
      }
      out += c;
      i++;
      if (!/\s/.test(c)) {
        lastSignificant = c === ")" || c === "]" ? "a" : c;
        lastWord = "";
      }
    }
  }
  return out;
}

/** The 1-based lines of `source` that name `Deno` in code. */
export function linesNamingDeno(source: string): number[] {
  const lines: number[] = [];
  stripCommentsAndStrings(source).split("\n").forEach((line, i) => {
    if (/(?<![\w$])Deno(?![\w$])/.test(line)) lines.push(i + 1);
  });
  return lines;
}

/**
 * Shortest import path from `start` to each file it reaches (itself
 * included), following code and type imports between our files.
 */
export function reachable(
  graph: ImportGraph,
  start: string,
): Map<string, string[]> {
  const paths = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const to of sortedTargets(graph, node)) {
      if (paths.has(to)) continue;
      paths.set(to, [...paths.get(node)!, to]);
      queue.push(to);
    }
  }
  return paths;
}

/**
 * Rule 3, graph part: for each browser-compatible file, each file of its
 * import graph that imports a `node:` module or names `Deno`. `browser` lists
 * the browser-compatible files; `namesDeno` maps a file to the lines where it
 * names `Deno` (files absent from it name it nowhere).
 */
export function checkBrowserGraph(
  graph: ImportGraph,
  browser: readonly string[],
  namesDeno: ReadonlyMap<string, readonly number[]>,
): string[] {
  const violations: string[] = [];
  for (const file of browser) {
    for (const [reached, path] of [...reachable(graph, file)].sort()) {
      const via = path.length > 1 ? ` through ${path.join(" -> ")}` : "";
      const nodes = (graph.external.get(reached) ?? []).filter((specifier) =>
        specifier.startsWith("node:")
      );
      for (const specifier of nodes) {
        violations.push(
          `browser compatible: ${file} reaches ${reached}, which imports "${specifier}"${via}`,
        );
      }
      const lines = namesDeno.get(reached) ?? [];
      if (lines.length > 0) {
        const where = `${reached}:${lines.slice(0, 3).join(",")}${
          lines.length > 3 ? ",…" : ""
        }`;
        violations.push(
          path.length > 1
            ? `browser compatible: ${file} reaches ${reached}, which names Deno (${where})${via}`
            : `browser compatible: ${file} names Deno (${where})`,
        );
      }
    }
  }
  return violations;
}

/** One error of `deno check`. */
export interface CheckError {
  /** Path relative to the root, or the URL when outside it. */
  readonly file: string;
  /** `line:column`. */
  readonly at: string;
  /** `TS2304` and the like. */
  readonly code: string;
  /** The first line of the message. */
  readonly message: string;
}

/** Parses the errors out of `deno check` output (colours off). */
export function parseCheckErrors(
  output: string,
  rootHref: string,
): CheckError[] {
  const errors: CheckError[] = [];
  let pending: { code: string; message: string } | undefined;
  for (const line of output.split("\n")) {
    const head = /^(TS\d+) \[ERROR\]: (.*)$/.exec(line);
    if (head !== null) {
      pending = { code: head[1]!, message: head[2]! };
      continue;
    }
    const at = /^\s+at (\S+):(\d+):(\d+)\s*$/.exec(line);
    if (at !== null && pending !== undefined) {
      const url = at[1]!;
      errors.push({
        file: url.startsWith(rootHref) ? url.slice(rootHref.length) : url,
        at: `${at[2]}:${at[3]}`,
        ...pending,
      });
      pending = undefined;
    }
  }
  return errors;
}

/**
 * Rule 3: browser-compatible files import no `node:` module and name no
 * `Deno`, directly or through their imports, and type-check against a
 * DOM-only lib. One `deno check` run covers all of them.
 */
export async function checkBrowserCompat(root: string): Promise<string[]> {
  const graph = await importGraph(root);
  const browser: string[] = [];
  const namesDeno = new Map<string, number[]>();
  for (const file of [...graph.edges.keys()].sort()) {
    const source = await Deno.readTextFile(`${root}/${file}`);
    if (graph.sources.includes(file) && hasBrowserHeader(source)) {
      browser.push(file);
    }
    const lines = linesNamingDeno(source);
    if (lines.length > 0) namesDeno.set(file, lines);
  }
  const violations = checkBrowserGraph(graph, browser, namesDeno);
  if (browser.length === 0) return violations;
  const tmp = await Deno.makeTempDir({ prefix: "architecture_" });
  try {
    const config = `${tmp}/browser_compat.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ compilerOptions: BROWSER_COMPILER_OPTIONS }),
    );
    const result = await run(
      ["check", "--quiet", "--no-lock", "--config", config, ...browser],
      root,
    );
    if (result.success) return violations;
    const rootHref = new URL(`file://${root}/`).href;
    const errors = parseCheckErrors(result.stdout + result.stderr, rootHref);
    if (errors.length === 0) {
      violations.push(
        `browser compatible: deno check with a DOM-only lib failed: ${
          (result.stdout + result.stderr).trim().slice(0, 2000)
        }`,
      );
    }
    const roots = new Map(
      browser.map((file) => [file, reachable(graph, file)]),
    );
    for (const error of errors) {
      const affected = browser.filter((file) =>
        roots.get(file)!.has(error.file)
      );
      const shown = affected.join(", ");
      violations.push(
        `browser compatible: ${error.file}:${error.at} fails the DOM-only type-check: ${error.code} ${error.message}` +
          (affected.length > 0
            ? ` (in the import graph of ${affected.length} browser-compatible files: ${shown})`
            : ""),
      );
    }
    return violations;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

// ---------------------------------------------------------------------------
// Rule 4: every export entry passes `deno doc --lint` on its own
// ---------------------------------------------------------------------------

/** Parses `error[rule]: message` / `--> file:line:col` pairs. */
export function parseDocLintErrors(output: string, root: string): string[] {
  const errors: string[] = [];
  let pending: string | undefined;
  for (const line of output.split("\n")) {
    const head = /^error\[([\w-]+)\]: (.*)$/.exec(line);
    if (head !== null) {
      if (pending !== undefined) errors.push(pending);
      pending = `${head[1]}: ${head[2]}`;
      continue;
    }
    const at = /^\s*--> (\S+):(\d+):(\d+)\s*$/.exec(line);
    if (at !== null && pending !== undefined) {
      const file = at[1]!.startsWith(`${root}/`)
        ? at[1]!.slice(root.length + 1)
        : at[1]!;
      errors.push(`${pending} (${file}:${at[2]})`);
      pending = undefined;
    }
  }
  if (pending !== undefined) errors.push(pending);
  return errors;
}

/** The entry files of `deno.json` `exports`, relative to the root. */
export async function exportEntries(root: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
    exports?: string | Record<string, string>;
  };
  const exports = config.exports ?? {};
  const entries = typeof exports === "string"
    ? [exports]
    : Object.values(exports);
  return [...new Set(entries.map((entry) => entry.replace(/^\.\//, "")))];
}

/**
 * Rule 4: each entry of `deno.json` `exports` passes `deno doc --lint` run on
 * it alone (two at a time).
 */
export async function checkDocLint(root: string): Promise<string[]> {
  const entries = await exportEntries(root);
  const results = new Map<string, string[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const entry = entries[next++]!;
      const result = await run(["doc", "--lint", entry], root);
      if (result.success) {
        results.set(entry, []);
        continue;
      }
      const errors = parseDocLintErrors(result.stderr + result.stdout, root);
      results.set(
        entry,
        errors.length > 0
          ? errors
          : [`failed: ${result.stderr.trim().slice(0, 2000)}`],
      );
    }
  };
  await Promise.all([worker(), worker()]);
  return entries.flatMap((entry) =>
    results.get(entry)!.map((error) => `doc lint: ${entry} alone: ${error}`)
  );
}

// ---------------------------------------------------------------------------
// Rule 5: browser entries load in a browser
// ---------------------------------------------------------------------------

/** An entry of `deno.json` `exports` that must load in a browser. */
export interface BrowserEntry {
  /** The subpath, as in `deno.json` `exports`. */
  readonly entry: string;
  /**
   * Whether every file of its import graph must carry the browser header
   * (and so pass the DOM-only type-check); otherwise only `node:` imports
   * are refused (`./ws` holds servers that name `Deno` inside functions,
   * never at import time).
   */
  readonly everyFileMarked: boolean;
}

/** The entries that load in a browser (the Chromium tests load them). */
export const BROWSER_ENTRIES: readonly BrowserEntry[] = [
  { entry: "./client", everyFileMarked: true },
  { entry: "./sse", everyFileMarked: true },
  { entry: "./message", everyFileMarked: true },
  { entry: "./ws", everyFileMarked: false },
];

/**
 * Rule 5, graph part: each file an entry reaches (itself included) that
 * imports a `node:` module, statically or through `import()`, or, for an
 * entry whose files must all be marked, lacks the browser header. `entries`
 * gives each entry's file; `marked` lists the files with the header.
 */
export function checkBrowserEntries(
  graph: ImportGraph,
  entries: readonly (BrowserEntry & { readonly file: string })[],
  marked: ReadonlySet<string>,
): string[] {
  const violations: string[] = [];
  for (const { entry, file, everyFileMarked } of entries) {
    for (const [reached, path] of [...reachable(graph, file)].sort()) {
      const via = path.length > 1 ? ` (through ${path.join(" -> ")})` : "";
      for (const specifier of graph.external.get(reached) ?? []) {
        if (specifier.startsWith("node:")) {
          violations.push(
            `browser entry ${entry}: ${reached} imports "${specifier}"${via}`,
          );
        }
      }
      if (everyFileMarked && !marked.has(reached)) {
        violations.push(
          `browser entry ${entry}: ${reached} lacks "${BROWSER_HEADER}"${via}`,
        );
      }
    }
  }
  return violations;
}

/**
 * Rule 5: the {@linkcode BROWSER_ENTRIES} that `deno.json` exports load in
 * a browser, on the import graph `deno info --json` reads.
 */
export async function checkBrowserEntriesIn(root: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
    exports?: Record<string, string>;
  };
  const exports = typeof config.exports === "object" ? config.exports : {};
  const entries = BROWSER_ENTRIES.flatMap((browserEntry) => {
    const target = exports[browserEntry.entry];
    return target === undefined
      ? []
      : [{ ...browserEntry, file: target.replace(/^\.\//, "") }];
  });
  if (entries.length === 0) return [];
  const graph = await importGraph(root);
  const marked = new Set<string>();
  for (const file of graph.edges.keys()) {
    if (hasBrowserHeader(await Deno.readTextFile(`${root}/${file}`))) {
      marked.add(file);
    }
  }
  return checkBrowserEntries(graph, entries, marked);
}

// ---------------------------------------------------------------------------
// All checks
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Rule 6: built-in modules are taken when called, not imported
// ---------------------------------------------------------------------------

/**
 * Files that may import a `node:` built-in for code: the Redis backend
 * (its client library speaks `Buffer`) and the command line.
 */
export const BUILTIN_IMPORTERS: readonly string[] = [
  "hub/redis.ts",
  "hub/_redis_",
  "cli/",
];

/**
 * Rule 6: a library file takes a `node:` module from
 * `process.getBuiltinModule` when it needs it (`_internal/node_module.ts`),
 * so that importing an entry loads nothing of the platform that it does
 * not use (on Bun, `node:zlib` alone is half a megabyte of heap). Type-only
 * imports are free and allowed.
 */
export function checkBuiltinImports(
  graph: ImportGraph,
  allowed: readonly string[] = BUILTIN_IMPORTERS,
): string[] {
  const violations: string[] = [];
  for (const from of graph.sources) {
    if (matches(from, allowed)) continue;
    for (const specifier of graph.externalCode.get(from) ?? []) {
      if (!specifier.startsWith("node:")) continue;
      violations.push(
        `built-ins: ${from} imports "${specifier}"; take it when called (nodeModule in _internal/node_module.ts)`,
      );
    }
  }
  return violations;
}

/** One architecture check. */
export interface ArchitectureCheck {
  /** The rule, as a test name. */
  readonly name: string;
  /** The violations of the rule in the tree at `root`; `[]` if it holds. */
  run(root: string): Promise<string[]>;
}

/** The six checks, in order. */
export const ARCHITECTURE_CHECKS: readonly ArchitectureCheck[] = [
  {
    name: "no circular imports between library files",
    run: async (root) => checkCircles(await importGraph(root)),
  },
  {
    name: "layer rules",
    run: async (root) => checkLayers(await importGraph(root)),
  },
  {
    name: "browser-compatible files stay browser compatible",
    run: checkBrowserCompat,
  },
  {
    name: "each exports entry passes deno doc --lint alone",
    run: checkDocLint,
  },
  {
    name: "browser entries load in a browser",
    run: checkBrowserEntriesIn,
  },
  {
    name: "node: built-ins are taken when called, not imported",
    run: async (root) => checkBuiltinImports(await importGraph(root)),
  },
];
