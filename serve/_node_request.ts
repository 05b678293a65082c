// Copyright 2026 the serverpush authors. MIT license.
// Private: the web `Request` that `serve` on Node hands its handler, made
// lazily from Node's `IncomingMessage`. It is an instance of `Request` as
// far as anyone can tell (`instanceof`, `Object.prototype.toString`, every
// property and method), but `method`, `url`, `headers`, `signal` and a
// missing body are answered from Node's request: no `undici` request (its
// state, header list, abort controller and signal, and the listener and
// finalizer that tie that signal to ours) is built unless something else
// is used (the body, `clone()`, `new Request(request)`...). `headers` is
// built when first read, and the signal of an upgrade's request when first
// read. A WebSocket upgrade reads none of this, so a thousand handshakes
// leave a thousand small objects behind instead of a thousand `undici`
// requests: V8's young generation, whose pages stay resident, grows less.
//
// `nodeRequestsWork()` checks once that the runtime's own code takes these
// objects (`new Request(request)` reads internal slots that this file
// forwards); where it does not, `serve` builds real requests as before.

import type { NodeIncomingMessage } from "./_node_types.ts";
import { delegateToReal } from "./_lazy_web_object.ts";
import { NodeHeaders, pairs, prepareNodeHeaders } from "./_node_headers.ts";

/** Makes the signal of an upgrade's request, when first read. */
export interface SignalSource {
  /** A signal that aborts when the client goes away. */
  closeSignal(): AbortSignal;
}

/** Methods a lazy request carries; others get a real `Request` at once. */
const PLAIN_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "OPTIONS",
  "PATCH",
]);

let realOf: (request: NodeRequest) => Request;

/** See the file comment. */
export class NodeRequest {
  #method: string;
  #url: string;
  /** Node's header names and values, alternating. */
  #raw: string[];
  /** The headers, once read before the real request was made. */
  #headers: NodeHeaders | undefined;
  #signal: AbortSignal | undefined;
  #signalSource: SignalSource | undefined;
  /** The body's source, when the request has one. */
  #body: NodeIncomingMessage | undefined;
  #maxBodyBytes: number;
  #real: Request | undefined;

  /**
   * A request for `req` at `url` (see `requestUrl`): its signal is
   * `signal`, or the source's signal made when first read; its body is
   * `req`'s, bounded by `maxBodyBytes`, unless `maxBodyBytes` is
   * `undefined` (an upgrade) or the method is `GET` or `HEAD`.
   */
  constructor(
    req: NodeIncomingMessage,
    url: string,
    signal: AbortSignal | SignalSource,
    maxBodyBytes: number | undefined,
  ) {
    const method = req.method ?? "GET";
    this.#method = method;
    this.#url = url;
    this.#raw = req.rawHeaders;
    if (signal instanceof AbortSignal) this.#signal = signal;
    else this.#signalSource = signal;
    this.#body = maxBodyBytes !== undefined && method !== "GET" &&
        method !== "HEAD"
      ? req
      : undefined;
    this.#maxBodyBytes = maxBodyBytes ?? 0;
  }

  /** Whether `method` can be carried by a lazy request. */
  static carries(method: string | undefined): boolean {
    return method === undefined || PLAIN_METHODS.has(method);
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    if (this.#headers === undefined && this.#real !== undefined) {
      return this.#real.headers;
    }
    return (this.#headers ??= new NodeHeaders(this.#raw)) as unknown as Headers;
  }

  get signal(): AbortSignal {
    return this.#signal ??= this.#signalSource!.closeSignal();
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#body === undefined ? null : realOf(this).body;
  }

  get bodyUsed(): boolean {
    return this.#body !== undefined && this.#real !== undefined &&
      this.#real.bodyUsed;
  }

  /** The real request, made the first time something else is used. */
  #materialize(): Request {
    if (this.#real !== undefined) return this.#real;
    const body = this.#body;
    const init: RequestInit & { duplex?: "half" } = {
      method: this.#method,
      headers: this.#headers === undefined
        ? pairs(this.#raw)
        : NodeHeaders.init(this.#headers),
      signal: this.signal,
    };
    if (body !== undefined) {
      init.body = bodyOf(body, this.#maxBodyBytes);
      init.duplex = "half";
    }
    this.#real = new Request(this.#url, init);
    return this.#real;
  }

  static {
    realOf = (request) => request.#materialize();
  }
}

/**
 * The handler's request for `req` (see {@linkcode NodeRequest} for the
 * arguments): a lazy one where this runtime takes them, a real `Request`
 * otherwise.
 *
 * @throws {TypeError} If `req` makes no valid `Request`.
 */
export function nodeRequest(
  req: NodeIncomingMessage,
  url: string,
  signal: AbortSignal | SignalSource,
  maxBodyBytes: number | undefined,
): Request {
  if (NodeRequest.carries(req.method) && nodeRequestsWork()) {
    return new NodeRequest(
      req,
      url,
      signal,
      maxBodyBytes,
    ) as unknown as Request;
  }
  const method = req.method ?? "GET";
  const own = signal instanceof AbortSignal ? signal : signal.closeSignal();
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers: pairs(req.rawHeaders),
    signal: own,
  };
  if (maxBodyBytes !== undefined && method !== "GET" && method !== "HEAD") {
    init.body = bodyOf(req, maxBodyBytes);
    init.duplex = "half";
  }
  const request = new Request(url, init);
  // The request's own signal follows `own` without holding it.
  HELD.set(request, own);
  return request;
}

/** The signal each real request follows, for as long as it lives. */
const HELD = new WeakMap<Request, AbortSignal>();

/**
 * Whether this runtime takes lazy requests wherever it takes a `Request`
 * (checked once): `instanceof`, and `new Request(request, init)`, which
 * reads internal slots of its argument.
 */
export function nodeRequestsWork(): boolean {
  return works ??= probe();
}

let works: boolean | undefined;
let prepared = false;

/** Wires the lazy request's prototype to `Request`'s, once. */
function prepare(): void {
  if (prepared) return;
  prepared = true;
  prepareNodeHeaders();
  delegateToReal(
    NodeRequest.prototype,
    Request,
    new Request("http://localhost/"),
    (self) => realOf(self),
  );
}

function probe(): boolean {
  try {
    prepare();
    const source = {
      method: "GET",
      rawHeaders: ["Host", "localhost", "X-Probe", "1"],
    } as unknown as NodeIncomingMessage;
    const signals = new AbortController();
    const request = new NodeRequest(
      source,
      "http://localhost/probe",
      signals.signal,
      undefined,
    ) as unknown as Request;
    const { headers } = request;
    const headersWork = headers instanceof Headers &&
      headers.get("X-PROBE") === "1" &&
      new Headers(headers).get("x-probe") === "1" &&
      [...headers].length === 2;
    const copy = new Request(request, { method: "POST", body: "probe" });
    const clone = request.clone();
    signals.abort();
    return headersWork && request instanceof Request &&
      copy.url === request.url && copy.headers.get("x-probe") === "1" &&
      copy.signal.aborted && clone.headers.get("x-probe") === "1" &&
      clone.method === "GET";
  } catch {
    return false;
  }
}

/** A request body as a web stream, pulled from `req` as it is read. */
function bodyOf(
  req: NodeIncomingMessage,
  maxBytes: number,
): ReadableStream<Uint8Array> {
  let received = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.pause();
      req.on("data", (chunk: Uint8Array) => {
        received += chunk.length;
        if (received > maxBytes) {
          controller.error(
            new RangeError(
              `Cannot read request body: it exceeds maxRequestBodyBytes of ${maxBytes}`,
            ),
          );
          req.destroy();
          return;
        }
        controller.enqueue(
          new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length),
        );
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.on("end", () => {
        try {
          controller.close();
        } catch {
          // Errored already (over the limit).
        }
      });
      req.on("error", (error: unknown) => {
        try {
          controller.error(error);
        } catch {
          // Closed already.
        }
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      // The handler does not want the rest: let it drain away.
      req.resume();
    },
  });
}
