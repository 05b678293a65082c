// Copyright 2026 the serverpush authors. MIT license.
// The SSE benchmark cases, shared by bench/sse_bench.ts (`deno bench`) and
// bench/sse_report.ts (one-process table with ratios and targets).
//
// Every group lists our case first and the reference (the npm package the
// target is set against) second; a third case, when present, is a floor:
// not a codec, but the least work that produces the same result.

import { createParser } from "eventsource-parser";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { encode } from "eventsource-encoder";
import {
  chunkBytes,
  corpusMessages,
  eventsPerChunk,
  makeSseCorpus,
  type SseCorpus,
} from "./_sse_corpus.ts";
import { encodeSse, type SseMessage } from "../sse/encode.ts";
import { SseDecoderStream } from "../sse/decoder_stream.ts";
import { SseEncoderStream } from "../sse/encoder_stream.ts";
import { createSseParser, type SseEvent } from "../sse/parser.ts";

/** One way of doing a group's work; resolves to the number of events. */
export interface SseCase {
  name: string;
  run(): number | Promise<number>;
}

/** Cases that do the same work, ours first, then the reference. */
export interface SseGroup {
  name: string;
  /** What the work is measured in: the corpus' bytes or the encoded bytes. */
  bytes: number;
  /** Our time must be at most the reference's divided by this. */
  target: number;
  /** A second target, against the floor. */
  floorTarget?: number;
  cases: SseCase[];
}

const textEncoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
// Results go here, so that no work can be optimized away.
const blackhole: { value: unknown } = { value: undefined };

/** Reads `readable` to the end; returns how many chunks it gave. */
export async function drain<T>(readable: ReadableStream<T>): Promise<number> {
  let count = 0;
  const reader = readable.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return count;
    blackhole.value = value;
    count++;
  }
}

function label(size: number): string {
  return `${size / 1024} KiB chunks`;
}

function coreGroup(corpus: SseCorpus, size: number): SseGroup {
  const chunks = chunkBytes(corpus.bytes, size);
  return {
    name: `sse decode core, ${label(size)}`,
    bytes: corpus.bytes.length,
    target: 3,
    cases: [
      {
        name: "createSseParser",
        run() {
          let n = 0;
          const parser = createSseParser({
            onEvent(event) {
              blackhole.value = event;
              n++;
            },
          });
          for (const chunk of chunks) parser.feed(chunk);
          parser.end();
          return n;
        },
      },
      {
        name: "eventsource-parser createParser + streaming TextDecoder",
        run() {
          let n = 0;
          const decoder = new TextDecoder();
          const parser = createParser({
            onEvent(event) {
              blackhole.value = event;
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
        // A lower bound for any parser that finds line ends: one plain
        // decode call per chunk (ignoring sequences cut at chunk ends),
        // every LF found with indexOf, one prebuilt event handed out per
        // blank line. No field is read and no string is made. Comment
        // blocks end in blank lines too and are not counted as events.
        name: "floor: decode + find every LF",
        run() {
          const events = corpus.events;
          let n = 0;
          let atLineStart = true;
          for (const chunk of chunks) {
            const text = utf8.decode(chunk);
            let pos = 0;
            let lf = text.indexOf("\n");
            while (lf !== -1) {
              if (lf === pos && (pos !== 0 || atLineStart)) {
                blackhole.value = events[n++ % events.length];
              }
              pos = lf + 1;
              lf = text.indexOf("\n", pos);
            }
            atLineStart = pos === text.length;
          }
          return n - corpus.blocks.comment;
        },
      },
    ],
  };
}

function streamGroup(corpus: SseCorpus, size: number): SseGroup {
  const chunks = chunkBytes(corpus.bytes, size);
  const counts = eventsPerChunk(corpus, size);
  return {
    name: `sse decode stream, ${label(size)}`,
    bytes: corpus.bytes.length,
    target: 1.5,
    floorTarget: 0.8,
    cases: [
      {
        name: "SseDecoderStream",
        run: () =>
          drain(
            ReadableStream.from(chunks).pipeThrough(new SseDecoderStream()),
          ),
      },
      {
        name: "TextDecoderStream + EventSourceParserStream",
        run: () =>
          drain(
            ReadableStream.from(chunks).pipeThrough(new TextDecoderStream())
              .pipeThrough(new EventSourceParserStream()),
          ),
      },
      {
        name:
          "floor: TextDecoderStream + one prebuilt event enqueued per event",
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
    ],
  };
}

function theirEncoderStream(): TransformStream<SseMessage, Uint8Array> {
  return new TransformStream({
    transform(message, controller) {
      controller.enqueue(
        textEncoder.encode(encode(message as { data: string })),
      );
    },
  });
}

function floorEncoderStream(): TransformStream<string, Uint8Array> {
  return new TransformStream({
    transform(text, controller) {
      controller.enqueue(textEncoder.encode(text));
    },
  });
}

/**
 * Writes each chunk to /dev/null and waits for the write, as a server
 * writes each chunk to a socket; messages that arrive meanwhile can be
 * joined by an encoder that coalesces.
 */
async function toDevNull(readable: ReadableStream<Uint8Array>): Promise<void> {
  using file = await Deno.open("/dev/null", { write: true });
  await readable.pipeTo(
    new WritableStream({
      async write(chunk) {
        let offset = 0;
        while (offset < chunk.length) {
          offset += await file.write(chunk.subarray(offset));
        }
      },
    }),
  );
}

function encoderGroups(corpus: SseCorpus): SseGroup[] {
  const messages = corpusMessages(corpus);
  const texts = messages.map(encodeSse);
  const bytes = texts.reduce((n, text) => n + text.length, 0);
  const count = messages.length;
  return [
    {
      name: "sse encode, text",
      bytes,
      target: 2,
      cases: [
        {
          name: "encodeSse",
          run() {
            for (const message of messages) {
              blackhole.value = encodeSse(message);
            }
            return count;
          },
        },
        {
          name: "eventsource-encoder encode",
          run() {
            for (const message of messages) {
              blackhole.value = encode(message as { data: string });
            }
            return count;
          },
        },
      ],
    },
    {
      name: "sse encode, bytes per message",
      bytes,
      target: 2,
      cases: [
        {
          name: "encodeSse + TextEncoder",
          run() {
            for (const message of messages) {
              blackhole.value = textEncoder.encode(encodeSse(message));
            }
            return count;
          },
        },
        {
          name: "eventsource-encoder + TextEncoder",
          run() {
            for (const message of messages) {
              blackhole.value = textEncoder.encode(
                encode(message as { data: string }),
              );
            }
            return count;
          },
        },
        {
          name: "floor: TextEncoder on the prebuilt text",
          run() {
            for (const text of texts) {
              blackhole.value = textEncoder.encode(text);
            }
            return count;
          },
        },
      ],
    },
    {
      name: "sse encoder stream, reader drains",
      bytes,
      target: 2,
      cases: [
        {
          name: "SseEncoderStream",
          run: async () => {
            await drain(
              ReadableStream.from(messages).pipeThrough(
                new SseEncoderStream(),
              ),
            );
            return count;
          },
        },
        {
          name: "eventsource-encoder in a TransformStream",
          run: async () => {
            await drain(
              ReadableStream.from(messages).pipeThrough(theirEncoderStream()),
            );
            return count;
          },
        },
        {
          name: "floor: TextEncoder on the prebuilt text in a TransformStream",
          run: async () => {
            await drain(
              ReadableStream.from(texts).pipeThrough(floorEncoderStream()),
            );
            return count;
          },
        },
      ],
    },
    {
      name: "sse encoder stream, async write per chunk",
      bytes,
      target: 2,
      cases: [
        {
          name: "SseEncoderStream",
          run: async () => {
            await toDevNull(
              ReadableStream.from(messages).pipeThrough(
                new SseEncoderStream(),
              ),
            );
            return count;
          },
        },
        {
          name: "eventsource-encoder in a TransformStream",
          run: async () => {
            await toDevNull(
              ReadableStream.from(messages).pipeThrough(theirEncoderStream()),
            );
            return count;
          },
        },
        {
          name: "floor: TextEncoder on the prebuilt text in a TransformStream",
          run: async () => {
            await toDevNull(
              ReadableStream.from(texts).pipeThrough(floorEncoderStream()),
            );
            return count;
          },
        },
      ],
    },
  ];
}

/** The corpus and every benchmark group over it. */
export function sseGroups(): { corpus: SseCorpus; groups: SseGroup[] } {
  const corpus = makeSseCorpus();
  return {
    corpus,
    groups: [
      coreGroup(corpus, 65_536),
      coreGroup(corpus, 1024),
      streamGroup(corpus, 65_536),
      streamGroup(corpus, 1024),
      ...encoderGroups(corpus),
    ],
  };
}
