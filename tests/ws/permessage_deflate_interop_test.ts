// Copyright 2026 the serverpush authors. MIT license.
// Interop with the permessage-deflate of `ws` (npm:ws@8.23.0): negotiation in
// both roles, and messages compressed by one implementation and decompressed
// by the other, with and without context takeover.
import { Buffer } from "node:buffer";
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
// Installs the pinned ws package; its lib/ files are not in its "exports",
// so they are loaded below by file path.
import "ws";
import {
  acceptDeflate,
  type DeflateOptions,
  type DeflateParams,
  offerDeflate,
  verifyDeflateResponse,
} from "../../ws/deflate_negotiation.ts";
import { createPermessageDeflate } from "../../ws/permessage_deflate.ts";
import {
  makeChatMessages,
  makeRandomBytes,
} from "../../bench/_ws_deflate_fixtures.ts";

/** The part of ws's PerMessageDeflate these tests use. */
interface WsDeflate {
  params: Record<string, unknown> | null;
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): Record<string, unknown>;
  compress(
    data: Uint8Array,
    fin: boolean,
    callback: (error: Error | null, result?: Uint8Array) => void,
  ): void;
  decompress(
    data: Uint8Array,
    fin: boolean,
    callback: (error: Error | null, result?: Uint8Array) => void,
  ): void;
  cleanup(): void;
}

interface WsDeflateOptions {
  isServer?: boolean;
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  threshold?: number;
  maxPayload?: number;
}

const require = createRequire(import.meta.url);
const wsLib = join(dirname(require.resolve("ws")), "lib");
const WsPerMessageDeflate = require(
  join(wsLib, "permessage-deflate.js"),
) as new (
  options: WsDeflateOptions,
) => WsDeflate;
const wsExtension = require(join(wsLib, "extension.js")) as {
  parse(header: string): Record<string, unknown[]>;
  format(extensions: Record<string, unknown>): string;
};

function wsCall(
  ws: WsDeflate,
  method: "compress" | "decompress",
  data: Uint8Array,
  fin: boolean,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    ws[method](Buffer.from(data), fin, (error, result) => {
      if (error) reject(error);
      else resolve(new Uint8Array(result!));
    });
  });
}

const MESSAGES: readonly Uint8Array[] = [
  ...makeChatMessages({ count: 12, bytes: 1500, seed: 11 }),
  makeRandomBytes(20_000, 12),
  ...makeChatMessages({ count: 2, bytes: 150_000, seed: 13 }),
  ...makeChatMessages({ count: 4, bytes: 1500, seed: 11 }),
];

/** Splits `bytes` into three fragments, to decompress fragment by fragment. */
function thirds(bytes: Uint8Array): Uint8Array[] {
  const a = Math.floor(bytes.length / 3);
  const b = Math.floor((2 * bytes.length) / 3);
  return [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
}

/** Sends every message both ways between ws and our engine. */
async function exchange(
  ws: WsDeflate,
  params: DeflateParams,
  ourRole: "server" | "client",
): Promise<void> {
  const ours = createPermessageDeflate(params, { role: ourRole, threshold: 0 });
  try {
    for (const message of MESSAGES) {
      // ws compresses, we decompress in three fragments.
      const fromWs = await wsCall(ws, "compress", message, true);
      const parts: Uint8Array[] = [];
      const fragments = thirds(fromWs);
      for (const [i, fragment] of fragments.entries()) {
        parts.push(await ours.decompress(fragment, i === 2, 1 << 20));
      }
      deepStrictEqual(new Uint8Array(Buffer.concat(parts)), message);
      // We compress, ws decompresses.
      const fromUs = await ours.compress(message);
      deepStrictEqual(await wsCall(ws, "decompress", fromUs, true), message);
    }
  } finally {
    ours.close();
    ws.cleanup();
  }
}

const CONFIGURATIONS: {
  name: string;
  ws: WsDeflateOptions;
  ours: DeflateOptions;
}[] = [
  { name: "defaults", ws: {}, ours: {} },
  {
    name: "no context takeover either way",
    ws: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    ours: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  {
    name: "server resets, client keeps context",
    ws: { serverNoContextTakeover: true },
    ours: { serverNoContextTakeover: true },
  },
  {
    name: "small windows",
    ws: { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
    ours: { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
  },
  {
    name: "8-bit windows",
    ws: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    ours: { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  },
];

Deno.test("createPermessageDeflate as a client interoperates with a ws server", async (t) => {
  for (const config of CONFIGURATIONS) {
    await t.step(config.name, async () => {
      // Our offer, ws's answer, our verification.
      const offer = offerDeflate(config.ours);
      const ws = new WsPerMessageDeflate({
        ...config.ws,
        isServer: true,
        threshold: 0,
      });
      const accepted = ws.accept(
        wsExtension.parse(offer)["permessage-deflate"]!,
      );
      const response = wsExtension.format({ "permessage-deflate": accepted });
      const params = verifyDeflateResponse(response, config.ours);
      strictEqual(params === undefined, false, response);
      await exchange(ws, params!, "client");
    });
  }
});

Deno.test("createPermessageDeflate as a server interoperates with a ws client", async (t) => {
  for (const config of CONFIGURATIONS) {
    await t.step(config.name, async () => {
      // ws's offer, our answer, ws's verification.
      const ws = new WsPerMessageDeflate({ ...config.ws, threshold: 0 });
      const offer = wsExtension.format({ "permessage-deflate": ws.offer() });
      const accepted = acceptDeflate(offer, config.ours);
      strictEqual(accepted === undefined, false, offer);
      ws.accept(wsExtension.parse(accepted!.response)["permessage-deflate"]!);
      await exchange(ws, accepted!.params, "server");
    });
  }
});

Deno.test("createPermessageDeflate without context takeover sends what ws decodes after its reset", async () => {
  // ws resets its inflater after every message when we promised to reset our
  // compressor; our messages must not refer to earlier ones.
  const ws = new WsPerMessageDeflate({ isServer: true, threshold: 0 });
  const accepted = ws.accept(
    wsExtension.parse(
      offerDeflate({ clientNoContextTakeover: true }),
    )["permessage-deflate"]!,
  );
  const params = verifyDeflateResponse(
    wsExtension.format({ "permessage-deflate": accepted }),
    { clientNoContextTakeover: true },
  )!;
  strictEqual(params.clientNoContextTakeover, true);
  const ours = createPermessageDeflate(params, { role: "client" });
  try {
    const [message] = makeChatMessages({ count: 1, bytes: 3000, seed: 14 });
    const first = await ours.compress(message!);
    const second = await ours.compress(message!);
    deepStrictEqual(second, first);
    deepStrictEqual(await wsCall(ws, "decompress", first, true), message);
    deepStrictEqual(await wsCall(ws, "decompress", second, true), message);
  } finally {
    ours.close();
    ws.cleanup();
  }
});
