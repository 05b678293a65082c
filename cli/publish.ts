// Copyright 2026 the serverpush authors. MIT license.
// The `publish` subcommand: one POST to a hub topic, printing the new id.

import {
  headerOptions,
  parseCommand,
  positionals,
  stringOption,
  urlArgument,
} from "./_args.ts";
import { type CliCommand, CliError, type CliIo, EXIT_OK } from "./_io.ts";

const HELP = `Usage: serverpush publish URL DATA [options]

Publishes DATA to the hub topic at URL with one POST and prints the id the
hub gave it. DATA "-" reads the payload from stdin.

Options:
  --event E             event type of the message (sent as ?event=E)
  --token T             sends "Authorization: Bearer T"
  --idempotency-key K   sends "Idempotency-Key: K": a retry with the same K
                        gets the first id back and publishes nothing
  --header K:V          an extra request header (repeatable)
  --content-type T      content type of DATA (default text/plain)
  -h, --help            this help

Exit codes: 0 published, 1 refused or failed, 2 bad usage.

Example:
  serverpush publish http://127.0.0.1:8080/hub/news "hello" --token s3cret
`;

/** What {@linkcode publishMessage} sends. */
export interface PublishRequest {
  url: URL;
  data: string | Uint8Array<ArrayBuffer>;
  event?: string | undefined;
  token?: string | undefined;
  idempotencyKey?: string | undefined;
  headers?: Headers;
  contentType?: string | undefined;
  signal?: AbortSignal;
}

/**
 * POSTs one message to a hub topic and resolves to its id; rejects with a
 * CliError that says what the server answered.
 */
export async function publishMessage(request: PublishRequest): Promise<string> {
  const url = new URL(request.url);
  if (request.event !== undefined) url.searchParams.set("event", request.event);
  const headers = new Headers(request.headers);
  if (!headers.has("content-type")) {
    headers.set(
      "content-type",
      request.contentType ??
        (typeof request.data === "string"
          ? "text/plain; charset=utf-8"
          : "application/octet-stream"),
    );
  }
  if (request.token !== undefined) {
    headers.set("authorization", `Bearer ${request.token}`);
  }
  if (request.idempotencyKey !== undefined) {
    headers.set("idempotency-key", request.idempotencyKey);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: request.data,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  } catch (error) {
    throw new CliError(
      `Cannot publish to ${url.origin}: ${
        error instanceof Error ? error.message : String(error)
      } (is the server running?)`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403
      ? " (pass --token with the server's --publish-token)"
      : "";
    throw new CliError(
      `Cannot publish: the server answered ${response.status} (${
        text.trim().slice(0, 200)
      })${hint}`,
    );
  }
  try {
    const { id } = JSON.parse(text) as { id?: unknown };
    if (typeof id === "string") return id;
  } catch {
    // Reported below.
  }
  throw new CliError(
    `Cannot publish: the server answered ${response.status} without {"id":...} (is URL a serverpush hub topic?)`,
  );
}

function readStdin(): Promise<string> {
  return new Response(Deno.stdin.readable).text();
}

/** `serverpush publish`. */
export const publishCommand: CliCommand = {
  name: "publish",
  summary: "publish one message to a hub topic (POST) and print its id",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommand("publish", args, {
      event: { type: "string" },
      token: { type: "string" },
      "idempotency-key": { type: "string" },
      header: { type: "string", multiple: true },
      "content-type": { type: "string" },
    });
    const [urlText, dataText] = positionals("publish", parsed, ["url", "data"]);
    const url = urlArgument(urlText!, ["http:", "https:"]);
    const data = dataText === "-" ? await readStdin() : dataText!;
    const id = await publishMessage({
      url,
      data,
      event: stringOption(parsed, "event"),
      token: stringOption(parsed, "token"),
      idempotencyKey: stringOption(parsed, "idempotency-key"),
      headers: headerOptions(parsed),
      contentType: stringOption(parsed, "content-type"),
      signal: io.signal,
    });
    await io.out(`${id}\n`);
    return EXIT_OK;
  },
};
