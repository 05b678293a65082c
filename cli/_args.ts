// Copyright 2026 the serverpush authors. MIT license.
// Private: command-line parsing on `node:util` parseArgs, with the checks
// every command shares; every mistake is a UsageError (exit code 2).

import { parseArgs } from "node:util";
import { UsageError } from "./_io.ts";

/** One option of a command: a flag (boolean) or a value (string). */
export interface OptionSpec {
  type: "boolean" | "string";
  multiple?: boolean;
  short?: string;
}

/** The parsed command line of a command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Parses `args` against `options` (a `--help` flag is always added).
 * Unknown options and missing values are a UsageError that names the
 * command's `--help`.
 */
export function parseCommand(
  command: string,
  args: readonly string[],
  options: Record<string, OptionSpec>,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `${
        text.split("\n")[0]!.replace(/\.$/, "")
      } (see: serverpush ${command} --help)`,
    );
  }
}

/** The value of a string option, or `undefined`. */
export function stringOption(
  parsed: ParsedArgs,
  name: string,
): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Every value of a repeatable string option. */
export function stringList(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * A number option within `[min, max]`, or `fallback` when absent; anything
 * else is a UsageError.
 */
export function numberOption(
  parsed: ParsedArgs,
  name: string,
  limits: { min: number; max?: number; integer?: boolean },
  fallback: number,
): number;
export function numberOption(
  parsed: ParsedArgs,
  name: string,
  limits: { min: number; max?: number; integer?: boolean },
): number | undefined;
export function numberOption(
  parsed: ParsedArgs,
  name: string,
  limits: { min: number; max?: number; integer?: boolean },
  fallback?: number,
): number | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  if (
    text.trim() === "" || !Number.isFinite(value) || value < limits.min ||
    value > max || (limits.integer === true && !Number.isInteger(value))
  ) {
    const kind = limits.integer === true ? "an integer" : "a number";
    throw new UsageError(
      `Cannot read --${name}: "${text}" is not ${kind} from ${limits.min} to ${max}`,
    );
  }
  return value;
}

/** An option that must be one of `choices`. */
export function choiceOption<T extends string>(
  parsed: ParsedArgs,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(
      `Cannot read --${name}: "${text}" is not one of ${choices.join(", ")}`,
    );
  }
  return text as T;
}

/** The `--header K:V` options as Headers. */
export function headerOptions(parsed: ParsedArgs): Headers {
  const headers = new Headers();
  for (const entry of stringList(parsed, "header")) {
    const colon = entry.indexOf(":");
    const name = colon > 0 ? entry.slice(0, colon).trim() : "";
    try {
      if (name === "") throw new TypeError("no name");
      headers.append(name, entry.slice(colon + 1).trim());
    } catch {
      throw new UsageError(
        `Cannot read --header: "${entry}" is not NAME:VALUE (for example --header "Authorization: Bearer abc")`,
      );
    }
  }
  return headers;
}

/** The positional arguments, exactly `names.length` of them. */
export function positionals(
  command: string,
  parsed: ParsedArgs,
  names: readonly string[],
): string[] {
  if (parsed.positionals.length !== names.length) {
    const want = names.map((name) => name.toUpperCase()).join(" ");
    throw new UsageError(
      `Cannot run ${command}: expected ${want}, got ${parsed.positionals.length} argument${
        parsed.positionals.length === 1 ? "" : "s"
      } (see: serverpush ${command} --help)`,
    );
  }
  return parsed.positionals;
}

/** A URL argument with one of the `protocols`. */
export function urlArgument(
  text: string,
  protocols: readonly string[],
): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `Cannot read URL: "${text}" is not a URL (for example http://127.0.0.1:8080/hub/news)`,
    );
  }
  if (!protocols.includes(url.protocol)) {
    throw new UsageError(
      `Cannot read URL: "${text}" must start with ${
        protocols.map((p) => `${p}//`).join(" or ")
      }`,
    );
  }
  return url;
}
