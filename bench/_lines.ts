// Copyright 2026 the serverpush authors. MIT license.
// Reading a child process's output line by line, for the bench programs
// that drive servers and clients in processes of their own.

/** The lines of `stream` (UTF-8), without their line ends. */
export async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== "") yield rest;
}
