// Copyright 2026 the serverpush authors. MIT license.
// serveTcpPush's options, checked and with their defaults.

import {
  checkDuration,
  checkOneOf,
  checkPositiveInteger,
} from "../_internal/check.ts";
import { checkFraming, type Framing } from "./_framing.ts";
import { checkPolicy } from "./_policy_file.ts";
import type {
  ServeTcpPushOptions,
  TcpPushFormat,
} from "./serve_tcp_push_options.ts";

/** What errors name as the failed action. */
export const ACTION = "serve TCP push";
const FORMATS: readonly TcpPushFormat[] = ["data", "json"];

/** {@linkcode ServeTcpPushOptions} checked, every default filled in. */
export interface RelaySettings {
  port: number;
  hostname: string;
  framing: Framing;
  format: TcpPushFormat;
  maxCommandBytes: number;
  maxQueuedBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxSubscriptions: number;
  idleTimeout: number;
  policy: string | false | undefined;
  policyDomains: readonly string[];
  policyWait: number;
  authorize: (request: Request) => boolean | Promise<boolean>;
  onError: ((error: unknown) => void) | undefined;
  listen: (options: Deno.TcpListenOptions) => Deno.TcpListener;
}

function denyAll(): boolean {
  return false;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws {TypeError} If `mode` or `format` is unknown, `policy` contains
 * NUL or a policy domain is not one.
 * @throws {RangeError} If a limit is out of range.
 */
export function resolveRelayOptions(
  options: ServeTcpPushOptions,
): RelaySettings {
  const framing = checkFraming(ACTION, options);
  const {
    port = 0,
    hostname = "127.0.0.1",
    format = "data",
    maxCommandBytes = 1024,
    maxQueuedBytes = 4_194_304,
    maxConnections = 512,
    maxConnectionsPerAddress = 32,
    maxSubscriptions = 64,
    idleTimeout = 300_000,
    policy,
    policyWait = 100,
    authorize = denyAll,
    policyDomains = [],
    onError,
    listen = Deno.listen,
  } = options;
  checkOneOf(ACTION, "format", format, FORMATS);
  checkPositiveInteger(ACTION, "maxCommandBytes", maxCommandBytes);
  checkPositiveInteger(ACTION, "maxQueuedBytes", maxQueuedBytes);
  checkPositiveInteger(ACTION, "maxConnections", maxConnections);
  checkPositiveInteger(
    ACTION,
    "maxConnectionsPerAddress",
    maxConnectionsPerAddress,
  );
  checkPositiveInteger(ACTION, "maxSubscriptions", maxSubscriptions);
  if (maxQueuedBytes <= framing.maxMessageBytes) {
    throw new RangeError(
      `Cannot ${ACTION}: maxQueuedBytes is ${maxQueuedBytes}, expected more than maxMessageBytes of ${framing.maxMessageBytes}`,
    );
  }
  checkDuration(ACTION, "idleTimeout", idleTimeout);
  checkDuration(ACTION, "policyWait", policyWait);
  checkPolicy(ACTION, policy, policyDomains);
  return {
    port,
    hostname,
    framing,
    format,
    maxCommandBytes,
    maxQueuedBytes,
    maxConnections,
    maxConnectionsPerAddress,
    maxSubscriptions,
    idleTimeout,
    policy,
    policyDomains,
    policyWait,
    authorize,
    onError,
    listen,
  };
}
