// Copyright 2026 the serverpush authors. MIT license.
// Measures the SSE codec against eventsource-parser and eventsource-encoder
// in one process and prints a table of throughputs and ratios, with the
// project's targets. Run: deno run -A bench/sse_report.ts [rounds]
//
// Each case runs `rounds` times (default 9) after 2 warm-up rounds, the
// cases of a group interleaved round by round so that drift in machine load
// hits them alike; the table shows medians. MB/s counts the corpus bytes
// (decoders) or the encoded bytes (encoders), 1 MB = 10^6 bytes.

import { createParser } from "eventsource-parser";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { encode } from "eventsource-encoder";
import {
  chunkBytes,
  corpusMessages,
  eventsPerChunk,
  makeSseCorpus,
} from "./_sse_corpus.ts";
import { encodeSse } from "../sse/encode.ts";
import { SseDecoderStream } from "../sse/decoder_stream.ts";
import { SseEncoderStream } from "../sse/encoder_stream.ts";
import { createSseParser, type SseEvent } from "../sse/parser.ts";

const rounds = Number(Deno.args[0] ?? 9);
const corpus = makeSseCorpus();
const messages = corpusMessages(corpus);
const encodedTexts = messages.map(encodeSse);
const encodedBytes = encodedTexts.reduce((n, text) => n + text.length, 0);
const textEncoder = new TextEncoder();
let sink: unknown;

async function drain<T>(readable: ReadableStream<T>): Promise<number> {
  let count = 0;
  const reader = readable.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return count;
    sink = value;
    count++;
  }
}

interface Case {
  name: string;
  run(): number | Promise<number>;
}

function decoderCases(size: number): { core: Case[]; stream: Case[] } {
  const chunks = chunkBytes(corpus.bytes, size);
  const counts = eventsPerChunk(corpus, size);
  const label = size >= 1024 * 64 ? "64 KiB" : `${size / 1024} KiB`;
  const core: Case[] = [
    {
      name: `createSseParser, ${label} chunks`,
      run() {
        let n = 0;
        const parser = createSseParser({
          onEvent(event) {
            sink = event;
            n++;
          },
        });
        for (const chunk of chunks) parser.feed(chunk);
        parser.end();
        return n;
      },
    },
    {
      name: `eventsource-parser + TextDecoder, ${label} chunks`,
      run() {
        let n = 0;
        const decoder = new TextDecoder();
        const parser = createParser({
          onEvent(event) {
            sink = event;
            n++;
          },
        });
        for (const chunk of chunks) {
          parser.feed(decoder.decode(chunk, { stream: true }));
        }
        return n;
      },
    },
    {
      // Not a parser: the least any line-based parser must do. Decodes,
      // finds every LF with indexOf and hands out one prebuilt event per
      // blank line; reads no field and makes no string. (Comment blocks
      // end in blank lines too; they are not counted as events.)
      name: `line-scan floor, ${label} chunks`,
      run() {
        let n = 0;
        const events = corpus.events;
        const decoder = new TextDecoder();
        let carry = "";
        for (const chunk of chunks) {
          let text = decoder.decode(chunk, { stream: true });
          if (carry !== "") text = carry + text;
          let pos = 0;
          let lf = text.indexOf("\n");
          while (lf !== -1) {
            if (lf === pos) sink = events[n++ % events.length];
            pos = lf + 1;
            lf = text.indexOf("\n", pos);
          }
          carry = pos < text.length ? text.slice(pos) : "";
        }
        return n - corpus.blocks.comment;
      },
    },
  ];
  const stream: Case[] = [
    {
      name: `SseDecoderStream, ${label} chunks`,
      run: () =>
        drain(ReadableStream.from(chunks).pipeThrough(new SseDecoderStream())),
    },
    {
      name: `TextDecoderStream + EventSourceParserStream, ${label} chunks`,
      run: () =>
        drain(
          ReadableStream.from(chunks).pipeThrough(new TextDecoderStream())
            .pipeThrough(new EventSourceParserStream()),
        ),
    },
    {
      name: `floor: TextDecoderStream + prebuilt events, ${label} chunks`,
      run() {
        let chunk = 0;
        let event = 0;
        return drain(
          ReadableStream.from(chunks).pipeThrough(new TextDecoderStream())
            .pipeThrough(
              new TransformStream<string, SseEvent>({
                transform(_text, controller) {
                  const end = event + counts[chunk++]!;
                  while (event < end) {
                    controller.enqueue(corpus.events[event++]!);
                  }
                },
              }),
            ),
        );
      },
    },
  ];
  return { core, stream };
}

const encoderCases: Case[] = [
  {
    name: "encodeSse + TextEncoder, per message",
    run() {
      for (const message of messages) {
        sink = textEncoder.encode(encodeSse(message));
      }
      return messages.length;
    },
  },
  {
    name: "eventsource-encoder + TextEncoder, per message",
    run() {
      for (const message of messages) {
        sink = textEncoder.encode(encode(message as { data: string }));
      }
      return messages.length;
    },
  },
  {
    name: "floor: TextEncoder on prebuilt text, per message",
    run() {
      for (const text of encodedTexts) sink = textEncoder.encode(text);
      return messages.length;
    },
  },
];

const encoderStreamCases: Case[] = [
  {
    name: "SseEncoderStream",
    run: async () => {
      await drain(
        ReadableStream.from(messages).pipeThrough(new SseEncoderStream()),
      );
      return messages.length;
    },
  },
  {
    name: "eventsource-encoder in a TransformStream",
    run: async () => {
      await drain(
        ReadableStream.from(messages).pipeThrough(
          new TransformStream({
            transform(message, controller) {
              controller.enqueue(
                textEncoder.encode(encode(message as { data: string })),
              );
            },
          }),
        ),
      );
      return messages.length;
    },
  },
  {
    name: "floor: TextEncoder on prebuilt text in a TransformStream",
    run: async () => {
      await drain(
        ReadableStream.from(encodedTexts).pipeThrough(
          new TransformStream<string, Uint8Array>({
            transform(text, controller) {
              controller.enqueue(textEncoder.encode(text));
            },
          }),
        ),
      );
      return messages.length;
    },
  },
];

/** Median milliseconds of each case, interleaved round by round. */
async function measure(cases: Case[]): Promise<number[]> {
  const times: number[][] = cases.map(() => []);
  for (let round = -2; round < rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const start = performance.now();
      const events = await c.run();
      const elapsed = performance.now() - start;
      if (events !== corpus.events.length) {
        throw new Error(`${c.name} gave ${events} events`);
      }
      if (round >= 0) times[i]!.push(elapsed);
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)]!;
  });
}

interface Row {
  name: string;
  ms: number;
  bytes: number;
  ratio?: string;
}

const rows: Row[] = [];
const targets: string[][] = [];

function ratio(a: number, b: number): string {
  return `${(b / a).toFixed(2)}x`;
}

function target(
  what: string,
  ours: number,
  other: number,
  goal: number,
): void {
  const value = other / ours;
  targets.push([
    what,
    `${value.toFixed(2)}x`,
    `>= ${goal}x`,
    value >= goal ? "met" : "not met",
  ]);
}

for (const size of [65_536, 1024]) {
  const { core, stream } = decoderCases(size);
  const [ours, esp, floor] = await measure(core);
  rows.push(
    { name: core[0]!.name, ms: ours!, bytes: corpus.bytes.length },
    { name: core[1]!.name, ms: esp!, bytes: corpus.bytes.length },
    { name: core[2]!.name, ms: floor!, bytes: corpus.bytes.length },
  );
  const label = size === 65_536 ? "64 KiB" : "1 KiB";
  target(`core vs eventsource-parser, ${label}`, ours!, esp!, 3);
  targets.push([
    `(line-scan floor vs eventsource-parser, ${label})`,
    ratio(floor!, esp!),
    "",
    "bound",
  ]);
  const [streamOurs, streamEsp, streamFloor] = await measure(stream);
  rows.push(
    { name: stream[0]!.name, ms: streamOurs!, bytes: corpus.bytes.length },
    { name: stream[1]!.name, ms: streamEsp!, bytes: corpus.bytes.length },
    { name: stream[2]!.name, ms: streamFloor!, bytes: corpus.bytes.length },
  );
  target(
    `stream vs EventSourceParserStream, ${label}`,
    streamOurs!,
    streamEsp!,
    1.5,
  );
  target(`stream vs floor, ${label}`, streamOurs!, streamFloor!, 0.8);
}

{
  const [ours, theirs, floor] = await measure(encoderCases);
  rows.push(
    { name: encoderCases[0]!.name, ms: ours!, bytes: encodedBytes },
    { name: encoderCases[1]!.name, ms: theirs!, bytes: encodedBytes },
    { name: encoderCases[2]!.name, ms: floor!, bytes: encodedBytes },
  );
  target("encodeSse vs eventsource-encoder", ours!, theirs!, 2);
  const [stream, theirStream, streamFloor] = await measure(encoderStreamCases);
  rows.push(
    { name: encoderStreamCases[0]!.name, ms: stream!, bytes: encodedBytes },
    {
      name: encoderStreamCases[1]!.name,
      ms: theirStream!,
      bytes: encodedBytes,
    },
    {
      name: encoderStreamCases[2]!.name,
      ms: streamFloor!,
      bytes: encodedBytes,
    },
  );
  target(
    "SseEncoderStream vs eventsource-encoder stream",
    stream!,
    theirStream!,
    2,
  );
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((row) => row[i]!.length))
  );
  const line = (cells: string[]): string =>
    `| ${
      cells.map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
      ).join(" | ")
    } |`;
  return [
    line(head),
    `|${
      widths.map((w, i) =>
        i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`
      ).join("|")
    }|`,
    ...body.map(line),
  ].join("\n");
}

const out: string[] = [];
out.push(
  `SSE codec, ${rounds} rounds, medians. Corpus: ${
    (corpus.bytes.length / 2 ** 20).toFixed(1)
  } MiB, ${corpus.events.length} events (${corpus.blocks.small} small JSON, ${corpus.blocks.multiLine} multi-line, ${corpus.blocks.long} long lines, ${corpus.blocks.comment} comments); encoders: ${messages.length} messages, ${
    (encodedBytes / 2 ** 20).toFixed(1)
  } MiB out. Deno ${Deno.version.deno}, V8 ${Deno.version.v8}.`,
  "",
  table(
    ["case", "ms", "MB/s", "events/s"],
    rows.map((row) => [
      row.name,
      row.ms.toFixed(1),
      (row.bytes / row.ms / 1000).toFixed(0),
      `${(corpus.events.length / row.ms / 1000).toFixed(2)} M`,
    ]),
  ),
  "",
  table(
    ["ratio (reference time / our time)", "measured", "target", ""],
    targets,
  ),
);
// deno-lint-ignore no-console
console.log(out.join("\n"));
