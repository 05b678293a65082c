// Copyright 2026 the serverpush authors. MIT license.
// Private: the few parts of Node's `node:http` / `node:https` / `node:net`
// that `serve` uses, described here so that no file of ours imports a
// `node:` module (the modules come from `process.getBuiltinModule` at run
// time, on Node only, with `nodeModule()` of `_internal/node_module.ts`).

/** A listener of a Node event. */
// deno-lint-ignore no-explicit-any
export type NodeListener = (...args: any[]) => void;

/** `net.Socket`, as far as used. */
export interface NodeSocket {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly destroyed: boolean;
  /** Bytes written and not yet handed to the kernel. */
  readonly writableLength: number;
  on(event: string, listener: NodeListener): this;
  once(event: string, listener: NodeListener): this;
  off(event: string, listener: NodeListener): this;
  pause(): this;
  resume(): this;
  write(data: Uint8Array | string, callback?: (error?: Error) => void): boolean;
  end(callback?: () => void): this;
  destroy(): this;
  setNoDelay(noDelay: boolean): this;
  setTimeout(ms: number): this;
}

/** `http.IncomingMessage`, as far as used. */
export interface NodeIncomingMessage {
  readonly method?: string;
  readonly url?: string;
  readonly rawHeaders: string[];
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket: NodeSocket;
  on(event: string, listener: NodeListener): this;
  pause(): this;
  resume(): this;
  destroy(error?: Error): this;
}

/** `http.ServerResponse`, as far as used. */
export interface NodeServerResponse {
  readonly writableFinished: boolean;
  readonly writableNeedDrain: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  on(event: string, listener: NodeListener): this;
  once(event: string, listener: NodeListener): this;
  off(event: string, listener: NodeListener): this;
  writeHead(
    status: number,
    statusText: string,
    headers: Record<string, string | string[]>,
  ): this;
  flushHeaders(): void;
  write(chunk: Uint8Array): boolean;
  end(callback?: () => void): this;
  destroy(): this;
}

/** `http.Server` / `https.Server`, as far as used. */
export interface NodeHttpServer {
  on(event: string, listener: NodeListener): this;
  once(event: string, listener: NodeListener): this;
  listen(port: number, hostname: string, callback: () => void): this;
  address(): { address: string; port: number } | string | null;
  close(callback?: (error?: Error) => void): this;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** `node:http` / `node:https`'s `createServer`, as far as used. */
export interface NodeHttpModule {
  createServer(
    options: Record<string, unknown>,
    listener: (
      request: NodeIncomingMessage,
      response: NodeServerResponse,
    ) => void,
  ): NodeHttpServer;
}
