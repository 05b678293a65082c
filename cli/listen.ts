// Copyright 2026 the serverpush authors. MIT license.
// The `listen` subcommand: print every event of one or more hub topics,
// reconnecting and resuming after the last id when the connection drops.

import { backoffDelay } from "../_internal/backoff.ts";
import { sleep } from "../_internal/sleep.ts";
import {
  choiceOption,
  headerOptions,
  numberOption,
  parseCommand,
  positionals,
  stringList,
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
  paint,
} from "./_io.ts";
import {
  openTopicStream,
  RefusedError,
  STREAM_TRANSPORTS,
  type StreamTransport,
  type TopicEvent,
} from "./_topic_stream.ts";

const HELP = `Usage: serverpush listen URL [options]

Prints every event of the hub topic at URL as it arrives. On a terminal
each event is one coloured line (time, id, event, data; NO_COLOR turns
colours off); with --json, or when stdout is not a terminal, each event is
one JSON object per line:
  {"time":"...","id":"...","event":"...","data":"..."}
                                    (with "from": "..." where the hub
                                     names the publisher, except on SSE)
  {"time":"...","reset":"..."}      (messages were lost: the replay
                                     window no longer reaches the last id)
  {"time":"...","join":{"clientId":"...","info":...,"since":...}}
  {"time":"...","leave":{...}}      (with --presence: who came and went;
                                     the members present come first)
When the connection drops, listen reconnects and resumes after the last id
it printed, and says so on stderr.

Options:
  --transport T     auto (default: WebSocket, then SSE, then long polling),
                    ws, sse, longpoll or poll
  --since ID        start after this message id
  --history N       first print the last N messages the hub retains
  --topic T         listen to topic T under URL (repeatable; URL is then
                    the hub's base, for example http://127.0.0.1:8080/hub/);
                    each event then carries its "topic"
  --presence        print the topic's joins and leaves too (the topic must
                    keep presence on the server, as serve --presence does)
  --header K:V      a request header (repeatable), e.g. "Authorization: Bearer x"
  --json            one JSON object per line, even on a terminal
  --count N         stop after N messages
  --timeout S       stop after S seconds
  -h, --help        this help

Exit codes: 0 stopped (Ctrl-C, --count reached, or --timeout without
--count), 1 failed (refused, unreachable, or --timeout before --count
messages), 2 bad usage.

Example:
  serverpush listen http://127.0.0.1:8080/hub/news --history 10
`;

const TRANSPORT_CHOICES = ["auto", ...STREAM_TRANSPORTS] as const;

/** A retained message from the hub's polling route. */
interface RetainedMessage {
  id: string;
  event?: string;
  data: string;
  encoding?: "base64";
}

/**
 * The messages the hub retains for `url` after `since` (all when
 * `undefined`), read with short polling, and the cursor to resume from.
 */
async function readRetained(
  url: URL,
  since: string | undefined,
  history: number,
  headers: Headers,
  signal: AbortSignal,
): Promise<{ messages: RetainedMessage[]; cursor: string | undefined }> {
  const messages: RetainedMessage[] = [];
  let cursor = since;
  for (let page = 0; page < 10_000; page++) {
    const target = new URL(url);
    target.searchParams.set("transport", "poll");
    if (cursor !== undefined) target.searchParams.set("cursor", cursor);
    else target.searchParams.set("history", String(history));
    let response: Response;
    try {
      response = await fetch(target, { headers, signal });
    } catch (error) {
      throw new CliError(
        `Cannot read the history of ${url.href}: ${
          errorText(error)
        } (is the server running?)`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new CliError(
        `Cannot read the history of ${url.href}: the server answered ${response.status} ${
          text.trim().slice(0, 200)
        }`,
      );
    }
    const envelope = JSON.parse(text) as {
      cursor: string | null;
      messages: RetainedMessage[];
      more?: boolean;
    };
    messages.push(...envelope.messages);
    cursor = envelope.cursor ?? cursor;
    if (envelope.more !== true || envelope.messages.length === 0) break;
  }
  return { messages, cursor };
}

/** Where events go: stdout, as JSON lines or coloured text. */
interface Printer {
  print(topic: string | undefined, event: TopicEvent): Promise<void>;
}

function time(): string {
  return new Date().toISOString();
}

function createPrinter(io: CliIo, json: boolean): Printer {
  const colors = paint(io.color && io.stdoutIsTerminal);
  return {
    print(topic, event): Promise<void> {
      if (json) {
        const line = event.kind === "join" || event.kind === "leave"
          ? {
            time: time(),
            ...(topic === undefined ? {} : { topic }),
            [event.kind]: event.member,
          }
          : event.kind === "reset"
          ? {
            time: time(),
            ...(topic === undefined ? {} : { topic }),
            reset: event.reason,
          }
          : {
            time: time(),
            ...(topic === undefined ? {} : { topic }),
            id: event.id,
            ...(event.event === undefined ? {} : { event: event.event }),
            data: event.data,
            ...(event.encoding === undefined
              ? {}
              : { encoding: event.encoding }),
            ...(event.from === undefined ? {} : { from: event.from }),
          };
        return io.out(`${JSON.stringify(line)}\n`);
      }
      const head = `${colors.dim(time().slice(11, 23))} ${
        topic === undefined ? "" : `${colors.green(topic)} `
      }`;
      if (event.kind === "reset") {
        return io.out(
          `${head}${colors.red("reset")} ${event.reason} ${
            colors.dim("(messages were lost)")
          }\n`,
        );
      }
      if (event.kind === "join" || event.kind === "leave") {
        const { clientId, info } = event.member;
        return io.out(
          `${head}${
            event.kind === "join" ? colors.green("join") : colors.red("leave")
          } ${clientId}${info === null ? "" : ` ${JSON.stringify(info)}`}\n`,
        );
      }
      const data = event.data.replace(/\r?\n/g, "\n    ");
      return io.out(
        `${head}${colors.cyan(event.id)} ${
          colors.yellow(event.event ?? "message")
        }${event.encoding === undefined ? "" : colors.dim(" base64")}${
          event.from === undefined ? "" : colors.dim(` from ${event.from}`)
        } ${data}\n`,
      );
    },
  };
}

/** The shared state of one `listen` run. */
interface ListenRun {
  io: CliIo;
  printer: Printer;
  transports: readonly StreamTransport[];
  presence: boolean;
  headers: Headers;
  stop: AbortController;
  count: number | undefined;
  delivered: number;
  notice(text: string): Promise<void>;
}

async function emit(
  run: ListenRun,
  topic: string | undefined,
  event: TopicEvent,
): Promise<void> {
  if (run.stop.signal.aborted) return;
  await run.printer.print(topic, event);
  if (event.kind !== "message") return;
  run.delivered++;
  if (run.count !== undefined && run.delivered >= run.count) run.stop.abort();
}

/** Follows one topic until the run stops; throws a CliError when it cannot. */
async function followTopic(
  run: ListenRun,
  url: URL,
  topic: string | undefined,
  initialSince: string | undefined,
): Promise<void> {
  const { signal } = run.stop;
  let since = initialSince;
  let index = 0;
  let everOpened = false;
  let failures = 0;
  const resumeText = (): string =>
    since === undefined ? "from new messages" : `resuming after id ${since}`;
  while (!signal.aborted) {
    const transport = run.transports[index]!;
    let opened = false;
    try {
      const events = openTopicStream(url, transport, {
        since,
        presence: run.presence,
        headers: run.headers,
        signal,
        onOpen(): void {
          opened = true;
          if (everOpened) {
            void run.notice(
              `reconnected to ${url.href} over ${transport}, ${resumeText()}`,
            );
          }
          everOpened = true;
          failures = 0;
        },
        onPollingRecovered(): void {
          void run.notice(
            `reconnected to ${url.href} over ${transport}, ${resumeText()}`,
          );
        },
      });
      for await (const event of events) {
        if (event.kind === "message") since = event.id;
        await emit(run, topic, event);
        if (signal.aborted) break;
      }
      if (signal.aborted) return;
      await run.notice(`connection to ${url.href} ended; reconnecting`);
    } catch (error) {
      if (signal.aborted) return;
      const next = run.transports[index + 1];
      if (!everOpened && next !== undefined) {
        await run.notice(
          `${transport} did not work (${errorText(error)}); trying ${next}`,
        );
        index++;
        continue;
      }
      if (error instanceof RefusedError || !everOpened) {
        throw new CliError(
          `Cannot listen to ${url.href}: ${errorText(error)}${
            error instanceof RefusedError ? "" : " (is the server running?)"
          }`,
        );
      }
      if (opened) {
        await run.notice(
          `connection to ${url.href} lost (${errorText(error)}); reconnecting`,
        );
      }
    }
    await sleep(backoffDelay(failures++, 500, 5000), signal);
  }
}

/** `serverpush listen`. */
export const listenCommand: CliCommand = {
  name: "listen",
  summary:
    "print the events of hub topics as they arrive, resuming after drops",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommand("listen", args, {
      transport: { type: "string" },
      since: { type: "string" },
      history: { type: "string" },
      topic: { type: "string", multiple: true },
      header: { type: "string", multiple: true },
      presence: { type: "boolean" },
      json: { type: "boolean" },
      count: { type: "string" },
      timeout: { type: "string" },
    });
    const [urlText] = positionals("listen", parsed, ["url"]);
    const url = urlArgument(urlText!, ["http:", "https:"]);
    const transport = choiceOption(
      parsed,
      "transport",
      TRANSPORT_CHOICES,
      "auto",
    );
    const history = numberOption(parsed, "history", { min: 0, integer: true });
    const count = numberOption(parsed, "count", { min: 1, integer: true });
    const timeout = numberOption(parsed, "timeout", { min: 0, max: 2_147_483 });
    const headers = headerOptions(parsed);
    const topics = stringList(parsed, "topic");
    const base = new URL(url);
    if (topics.length > 0 && !base.pathname.endsWith("/")) base.pathname += "/";
    const targets = topics.length === 0
      ? [{ url, topic: undefined }]
      : topics.map((topic) => ({ url: new URL(topic, base), topic }));

    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    io.signal.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = timeout === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, timeout * 1000);
    const run: ListenRun = {
      io,
      printer: createPrinter(
        io,
        parsed.values.json === true || !io.stdoutIsTerminal,
      ),
      transports: transport === "auto"
        ? ["ws", "sse", "longpoll"]
        : [transport],
      presence: parsed.values.presence === true,
      headers,
      stop,
      count,
      delivered: 0,
      notice: (text) => io.err(`serverpush listen: ${text}\n`),
    };
    try {
      await Promise.all(
        targets.map(async (target) => {
          let since = stringOption(parsed, "since");
          if (history !== undefined) {
            const retained = await readRetained(
              target.url,
              since,
              history,
              headers,
              stop.signal,
            );
            // Without --since the server sent the newest N (and whatever
            // came after them while paging); with it, what followed it.
            const shown = history === 0
              ? []
              : since === undefined
              ? retained.messages
              : retained.messages.slice(-history);
            for (const message of shown) {
              await emit(run, target.topic, { kind: "message", ...message });
            }
            since = retained.cursor;
          }
          await followTopic(run, target.url, target.topic, since);
        }).map((follow) =>
          follow.catch((error) => {
            stop.abort();
            throw error;
          })
        ),
      );
    } finally {
      clearTimeout(timer);
      io.signal.removeEventListener("abort", onAbort);
    }
    if (timedOut && count !== undefined && run.delivered < count) {
      await io.err(
        `serverpush listen: stopped after --timeout ${timeout}: ${run.delivered} of --count ${count} messages arrived\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
