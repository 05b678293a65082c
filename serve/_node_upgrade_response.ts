// Copyright 2026 the serverpush authors. MIT license.
// Private: the response `acceptWebSocket` returns for an accepted upgrade
// under `serve` on Node, which the handler hands back and `serve` answers
// with a `101`. Node's `Response` cannot carry status 101, so it says 200
// with the handshake's headers, as a real `Response` made for it did
// before; but it is made without `undici` (no response state, no copy of
// the headers) unless something beyond its status and headers is used.
// Its `headers` are the handshake's own, so what a handler adds to them
// (CORS headers, say) goes out with the `101`; they are built only when
// read, and otherwise the `101` is written from the handshake's values.

import type { UpgradeAcceptance } from "../ws/server_handshake.ts";
import { headerLinesOf, ProvidedAcceptance } from "../ws/_check_upgrade.ts";
import { delegateToReal } from "./_lazy_web_object.ts";

let realOf: (response: NodeUpgradeResponse) => Response;
let headerLinesOfLazy: (response: NodeUpgradeResponse) => string;

/** See the file comment. */
export class NodeUpgradeResponse {
  #acceptance: UpgradeAcceptance;
  #real: Response | undefined;

  constructor(acceptance: UpgradeAcceptance) {
    this.#acceptance = acceptance;
  }

  get status(): number {
    return 200;
  }

  get statusText(): string {
    return "";
  }

  get ok(): boolean {
    return true;
  }

  get headers(): Headers {
    return this.#acceptance.headers;
  }

  get body(): null {
    return null;
  }

  get bodyUsed(): boolean {
    return false;
  }

  get type(): ResponseType {
    return "default";
  }

  get url(): string {
    return "";
  }

  get redirected(): boolean {
    return false;
  }

  static {
    realOf = (response) =>
      response.#real ??= new Response(null, { headers: response.headers });
    headerLinesOfLazy = (response) => {
      const acceptance = response.#acceptance;
      return acceptance instanceof ProvidedAcceptance
        ? acceptance.headerLines()
        : headerLinesOf(acceptance.headers);
    };
  }
}

/**
 * The response for an upgrade accepted with `acceptance`: a lazy one
 * where this runtime takes them, a real `Response` otherwise.
 */
export function upgradeResponse(acceptance: UpgradeAcceptance): Response {
  return nodeUpgradeResponsesWork()
    ? new NodeUpgradeResponse(acceptance) as unknown as Response
    : new Response(null, { headers: acceptance.headers });
}

/**
 * The header lines (`name: value` and CRLF each) of the `101` answering
 * `response`, one that {@linkcode upgradeResponse} made.
 */
export function upgradeHeaderLines(response: Response): string {
  return response instanceof NodeUpgradeResponse
    ? headerLinesOfLazy(response)
    : headerLinesOf(response.headers);
}

let works: boolean | undefined;

/**
 * Whether this runtime takes these responses as `Response`s (checked
 * once); where it does not, `serve` makes real ones as before.
 */
export function nodeUpgradeResponsesWork(): boolean {
  if (works !== undefined) return works;
  try {
    delegateToReal(
      NodeUpgradeResponse.prototype,
      Response,
      new Response(null),
      (self) => realOf(self),
    );
    const response = new NodeUpgradeResponse(
      { headers: new Headers({ upgrade: "websocket" }) } as UpgradeAcceptance,
    ) as unknown as Response;
    const clone = response.clone();
    works = response instanceof Response && clone.status === 200 &&
      clone.headers.get("upgrade") === "websocket";
  } catch {
    works = false;
  }
  return works;
}
