// Copyright 2026 the serverpush authors. MIT license.
// The `bench` subcommand: hold N connections to a hub topic from one
// process, publish at a rate, and check every delivery by id.

import { backoffDelay } from "../_internal/backoff.ts";
import { sleep } from "../_internal/sleep.ts";
import {
  choiceOption,
  headerOptions,
  numberOption,
  parseCommand,
  positionals,
  stringOption,
  urlArgument,
} from "./_args.ts";
import {
  type CliCommand,
  CliError,
  type CliIo,
  errorText,
  EXIT_FAILURE,
  EXIT_OK,
} from "./_io.ts";
import { publishMessage } from "./publish.ts";
import {
  openTopicStream,
  STREAM_TRANSPORTS,
  type StreamTransport,
} from "./_topic_stream.ts";

const HELP = `Usage: serverpush bench URL [options]

Load-tests the hub topic at URL from this one process: opens --clients
connections, publishes --rate messages a second for --duration seconds
with POST, and checks that every connection got every message exactly
once (by id). A live progress line goes to stderr; the final table (or,
with --json, one JSON object) to stdout.

Every connection is resumed after a drop with the last id it got, and the
clients start after a marker message, so a message is lost only when the
server failed to deliver it. Latency is publish-to-delivery: from the start
of the POST to the arrival of the message at a client. When the server
has a Prometheus /metrics page (serverpush serve does), its serverpush_*
samples at the end of the run are reported too.

Options:
  --transport T   ws (default), sse, longpoll or poll
  --clients N     connections to hold (default 100)
  --duration S    seconds of publishing (default 10)
  --rate R        messages a second (default 10)
  --size B        bytes of each message's data (default 64, at least 40)
  --token T       publish with "Authorization: Bearer T"
  --header K:V    a header on every request (repeatable)
  --connect-concurrency N   connections opened at once (default 200)
  --drain S       after publishing, stop waiting for the last deliveries
                  once none arrived for S seconds (default 10)
  --json          print the result as one JSON object
  -h, --help      this help

Each connection needs a file descriptor here and one in the server: for
10,000 clients run "ulimit -n 20000" (or more) in both shells first.

Exit codes: 0 every message delivered once, 1 messages lost or duplicated,
connections failed, or publishing failed; 2 bad usage.

Example:
  serverpush bench http://127.0.0.1:8080/hub/load --clients 1000 --rate 20 --token s3cret
`;

/** One bench connection's record. */
interface BenchClient {
  /** Seqs received (one bit each), to find losses and duplicates. */
  seen: Uint8Array;
  distinct: number;
  duplicates: number;
  lastId: string | undefined;
  opened: boolean;
  failed: boolean;
}

/** Latency samples in milliseconds, kept up to a cap. */
class Samples {
  #values = new Float64Array(1024);
  #length = 0;
  #cap: number;
  dropped = 0;
  constructor(cap: number) {
    this.#cap = cap;
  }
  add(value: number): void {
    if (this.#length === this.#cap) {
      this.dropped++;
      return;
    }
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(
        Math.min(this.#values.length * 2, this.#cap),
      );
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }
  percentiles(ps: readonly number[]): number[] {
    const sorted = this.#values.slice(0, this.#length).sort();
    return ps.map((p) =>
      sorted.length === 0
        ? NaN
        : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
    );
  }
  get length(): number {
    return this.#length;
  }
}

/** The outcome of a bench run, as `--json` prints it. */
export interface BenchResult {
  transport: StreamTransport;
  clients: number;
  connectionsOpened: number;
  connectionsFailed: number;
  reconnections: number;
  published: number;
  publishFailed: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  idMismatches: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bytesPerSecond: number;
  messagesPerSecond: number;
  seconds: number;
  server: Record<string, number> | null;
}

function payload(seq: number, size: number): string {
  const head = JSON.stringify({ s: seq, t: performance.now() });
  return head.length >= size
    ? head
    : `${head}${" ".repeat(size - head.length)}`;
}

/** The server's `serverpush_*` samples from `/metrics`, or `null`. */
async function readMetrics(
  url: URL,
  headers: Headers,
): Promise<Record<string, number> | null> {
  try {
    const response = await fetch(new URL("/metrics", url), {
      headers,
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    if (!response.ok) return null;
    const samples: Record<string, number> = {};
    for (const line of text.split("\n")) {
      const match = /^(serverpush_[^\s]+)\s+(\S+)/.exec(line);
      if (match !== null && !match[1]!.includes("_bucket")) {
        samples[match[1]!] = Number(match[2]);
      }
    }
    return Object.keys(samples).length === 0 ? null : samples;
  } catch {
    return null;
  }
}

function formatMs(value: number): string {
  return Number.isNaN(value) ? "-" : `${value.toFixed(1)} ms`;
}

function formatBytes(value: number): string {
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(2)} MiB/s`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB/s`;
  return `${value.toFixed(0)} B/s`;
}

function table(result: BenchResult): string {
  const rows: [string, string][] = [
    ["transport", result.transport],
    ["connections opened", `${result.connectionsOpened} of ${result.clients}`],
    ["connections failed", String(result.connectionsFailed)],
    ["reconnections", String(result.reconnections)],
    [
      "messages published",
      `${result.published} (${result.publishFailed} failed)`,
    ],
    [
      "messages delivered",
      `${result.delivered} of ${result.expectedDeliveries}`,
    ],
    ["messages lost", String(result.lost)],
    ["messages duplicated", String(result.duplicated)],
    ["latency p50", formatMs(result.latencyMs.p50)],
    ["latency p90", formatMs(result.latencyMs.p90)],
    ["latency p99", formatMs(result.latencyMs.p99)],
    ["latency max", formatMs(result.latencyMs.max)],
    [
      "delivered",
      `${result.messagesPerSecond.toFixed(0)} msg/s, ${
        formatBytes(result.bytesPerSecond)
      }`,
    ],
  ];
  if (result.idMismatches > 0) {
    rows.push(["id mismatches", String(result.idMismatches)]);
  }
  if (result.server === null) {
    rows.push(["server /metrics", "not available"]);
  } else {
    // The table leaves out samples that are zero; --json has them all.
    rows.push(["server /metrics", "its non-zero serverpush_* samples:"]);
    for (const [name, value] of Object.entries(result.server)) {
      if (value !== 0) rows.push([name, String(value)]);
    }
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}\n`).join(
    "",
  );
}

/** `serverpush bench`. */
export const benchCommand: CliCommand = {
  name: "bench",
  summary: "hold N connections, publish at a rate, report losses and latency",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommand("bench", args, {
      transport: { type: "string" },
      clients: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      size: { type: "string" },
      token: { type: "string" },
      header: { type: "string", multiple: true },
      "connect-concurrency": { type: "string" },
      drain: { type: "string" },
      json: { type: "boolean" },
    });
    const [urlText] = positionals("bench", parsed, ["url"]);
    const url = urlArgument(urlText!, ["http:", "https:"]);
    const transport = choiceOption(
      parsed,
      "transport",
      STREAM_TRANSPORTS,
      "ws",
    );
    const clients = numberOption(parsed, "clients", {
      min: 1,
      max: 100_000,
      integer: true,
    }, 100);
    const duration = numberOption(
      parsed,
      "duration",
      { min: 0.1, max: 86_400 },
      10,
    );
    const rate = numberOption(parsed, "rate", { min: 0.1, max: 100_000 }, 10);
    const size = numberOption(parsed, "size", {
      min: 40,
      max: 16 * 1024 * 1024,
      integer: true,
    }, 64);
    const concurrency = numberOption(parsed, "connect-concurrency", {
      min: 1,
      max: 100_000,
      integer: true,
    }, 200);
    const drain = numberOption(parsed, "drain", { min: 0, max: 3600 }, 10);
    const headers = headerOptions(parsed);
    const token = stringOption(parsed, "token");
    const total = Math.max(1, Math.round(duration * rate));

    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    io.signal.addEventListener("abort", onAbort, { once: true });
    const { signal } = stop;

    // The marker: clients start after it, so none can miss an early message.
    let marker: string;
    try {
      marker = await publishMessage({
        url,
        data: "bench start",
        token,
        headers,
        signal,
      });
    } catch (error) {
      throw new CliError(`Cannot start the bench: ${errorText(error)}`);
    }

    const ids: (string | undefined)[] = new Array(total);
    const samples = new Samples(8_000_000);
    let delivered = 0;
    let deliveredBytes = 0;
    let reconnections = 0;
    let idMismatches = 0;
    let published = 0;
    let publishFailed = 0;
    let firstPublishError = "";
    const records: BenchClient[] = [];

    function deliver(client: BenchClient, id: string, data: string): void {
      let seq: number;
      let sent: number;
      try {
        const value = JSON.parse(data) as { s: number; t: number };
        seq = value.s;
        sent = value.t;
      } catch {
        return; // Not one of ours (the marker, or another publisher).
      }
      if (!Number.isInteger(seq) || seq < 0 || seq >= total) return;
      client.lastId = id;
      const byte = seq >> 3;
      const bit = 1 << (seq & 7);
      if ((client.seen[byte]! & bit) !== 0) {
        client.duplicates++;
        return;
      }
      client.seen[byte]! |= bit;
      client.distinct++;
      delivered++;
      deliveredBytes += data.length;
      samples.add(performance.now() - sent);
      const expected = ids[seq];
      if (expected !== undefined && expected !== id) idMismatches++;
    }

    async function hold(client: BenchClient, ready: () => void): Promise<void> {
      let failures = 0;
      let first = true;
      if (transport === "longpoll" || transport === "poll") {
        // A held long poll answers only when a message comes; the marker
        // cursor already makes sure that none is missed.
        first = false;
        client.opened = true;
        ready();
      }
      while (!signal.aborted) {
        try {
          const events = openTopicStream(url, transport, {
            since: client.lastId ?? marker,
            headers,
            signal,
            onOpen(): void {
              if (first) {
                first = false;
                client.opened = true;
                ready();
              } else {
                reconnections++;
              }
              failures = 0;
            },
          });
          for await (const event of events) {
            if (event.kind === "message") deliver(client, event.id, event.data);
          }
        } catch {
          if (first) {
            client.failed = true;
            ready();
            return;
          }
        }
        if (signal.aborted) return;
        await sleep(backoffDelay(failures++, 200, 2000), signal);
      }
    }

    const started = performance.now();
    const elapsed = (): string =>
      ((performance.now() - started) / 1000).toFixed(1);
    const progress = (phase: string): Promise<void> => {
      const opened = records.filter((c) => c.opened).length;
      const failed = records.filter((c) => c.failed).length;
      const line =
        `[${elapsed()}s] ${phase}: ${opened}/${clients} connected, ${failed} failed, ${published}/${total} published, ${delivered} delivered`;
      return io.err(io.stderrIsTerminal ? `\r\x1b[2K${line}` : `${line}\n`);
    };
    let phase = "connecting";
    const ticker = setInterval(() => void progress(phase), 1000);

    // Connect, at most `concurrency` handshakes at a time.
    const holding: Promise<void>[] = [];
    let next = 0;
    async function opener(): Promise<void> {
      while (next < clients && !signal.aborted) {
        next++;
        const client: BenchClient = {
          seen: new Uint8Array(Math.ceil(total / 8)),
          distinct: 0,
          duplicates: 0,
          lastId: undefined,
          opened: false,
          failed: false,
        };
        records.push(client);
        await new Promise<void>((ready) => holding.push(hold(client, ready)));
      }
    }
    await Promise.all(
      Array.from({ length: Math.min(concurrency, clients) }, opener),
    );

    // Publish at the rate, with at most 64 requests in flight.
    phase = "publishing";
    const publishStart = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let seq = 0; seq < total && !signal.aborted; seq++) {
      const due = publishStart + (seq * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, signal);
      while (inFlight.size >= 64) await Promise.race(inFlight);
      const request = publishMessage({
        url,
        data: payload(seq, size),
        token,
        headers,
        signal,
      }).then(
        (id) => {
          ids[seq] = id;
          published++;
        },
        (error) => {
          publishFailed++;
          if (firstPublishError === "") firstPublishError = errorText(error);
        },
      ).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Promise.all(inFlight);

    // Wait for the last deliveries.
    phase = "draining";
    const opened = records.filter((c) => c.opened);
    // Until everything arrived, or nothing more arrived for `drain` seconds.
    let lastCount = delivered;
    let lastChange = performance.now();
    while (
      !signal.aborted && performance.now() - lastChange < drain * 1000 &&
      opened.some((c) => c.distinct < published)
    ) {
      await sleep(50, signal);
      if (delivered !== lastCount) {
        lastCount = delivered;
        lastChange = performance.now();
      }
    }
    const seconds = (performance.now() - publishStart) / 1000;
    clearInterval(ticker);
    stop.abort();
    // Connections end on the abort; do not wait for a stuck one for ever.
    await Promise.race([Promise.all(holding), sleep(5000)]);
    io.signal.removeEventListener("abort", onAbort);
    if (io.stderrIsTerminal) await io.err("\r\x1b[2K");

    const [p50, p90, p99, max] = samples.percentiles([0.5, 0.9, 0.99, 1]);
    const result: BenchResult = {
      transport,
      clients,
      connectionsOpened: opened.length,
      connectionsFailed: records.filter((c) => c.failed).length,
      reconnections,
      published,
      publishFailed,
      expectedDeliveries: opened.length * published,
      delivered,
      lost: opened.reduce(
        (sum, c) => sum + Math.max(0, published - c.distinct),
        0,
      ),
      duplicated: opened.reduce((sum, c) => sum + c.duplicates, 0),
      idMismatches,
      latencyMs: { p50: p50!, p90: p90!, p99: p99!, max: max! },
      bytesPerSecond: deliveredBytes / seconds,
      messagesPerSecond: delivered / seconds,
      seconds,
      server: await readMetrics(url, headers),
    };
    await io.out(
      parsed.values.json === true
        ? `${JSON.stringify(result)}\n`
        : table(result),
    );
    if (publishFailed > 0) {
      await io.err(
        `serverpush bench: ${publishFailed} publishes failed, the first with: ${firstPublishError}\n`,
      );
    }
    const clean = result.lost === 0 && result.duplicated === 0 &&
      result.connectionsFailed === 0 &&
      publishFailed === 0 && idMismatches === 0;
    return clean ? EXIT_OK : EXIT_FAILURE;
  },
};
