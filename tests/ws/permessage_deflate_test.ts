// Copyright 2026 the serverpush authors. MIT license.
import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { constants, deflateRawSync } from "node:zlib";
import {
  createPermessageDeflate,
  type PermessageDeflate,
  type PermessageDeflateOptions,
} from "../../ws/permessage_deflate.ts";
import type { DeflateParams } from "../../ws/deflate_negotiation.ts";
import {
  createDeflateLimiter,
  type DeflateLimiter,
} from "../../ws/deflate_limiter.ts";
import { chunkings } from "../_chunks.ts";
import {
  makeChatMessages,
  makeRandomBytes,
} from "../../bench/_ws_deflate_fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MiB = 1024 * 1024;

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.split(" "), (byte) => parseInt(byte, 16));
}

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

/** A server and a client engine for the same agreement; closed by `using`. */
function pair(
  agreed: DeflateParams = params(),
  options: Omit<PermessageDeflateOptions, "role"> = {},
): { server: PermessageDeflate; client: PermessageDeflate } & Disposable {
  const server = createPermessageDeflate(agreed, {
    ...options,
    role: "server",
  });
  const client = createPermessageDeflate(agreed, {
    ...options,
    role: "client",
  });
  return {
    server,
    client,
    [Symbol.dispose](): void {
      server.close();
      client.close();
    },
  };
}

/** A compressed payload as a peer would send it: trailer removed. */
function peerCompress(payload: Uint8Array): Uint8Array {
  const out = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
  deepStrictEqual([...out.subarray(-4)], [0, 0, 0xff, 0xff]);
  return new Uint8Array(out.subarray(0, -4));
}

Deno.test('createPermessageDeflate compresses "Hello" as in RFC 7692 section 7.2.3.1', async () => {
  using engines = pair();
  const wire = await engines.server.compress(encoder.encode("Hello"));
  deepStrictEqual(wire, hex("f2 48 cd c9 c9 07 00"));
  strictEqual(
    decoder.decode(await engines.client.decompress(wire, true, 100)),
    "Hello",
  );
});

Deno.test("createPermessageDeflate decompresses the RFC 7692 section 7.2.3 examples", async (t) => {
  const cases: [string, string[]][] = [
    ["7.2.3.1 one frame", ["f2 48 cd c9 c9 07 00"]],
    ["7.2.3.1 two fragments", ["f2 48 cd", "c9 c9 07 00"]],
    ["7.2.3.3 no compression", ["00 05 00 fa ff 48 65 6c 6c 6f 00"]],
    ["7.2.3.4 BFINAL set", ["f3 48 cd c9 c9 07 00 00"]],
    ["7.2.3.5 two blocks", ["f2 48 05 00 00 00 ff ff ca c9 c9 07 00"]],
  ];
  for (const [name, fragments] of cases) {
    await t.step(name, async () => {
      using engines = pair();
      const parts: string[] = [];
      for (const [i, fragment] of fragments.entries()) {
        const fin = i === fragments.length - 1;
        parts.push(
          decoder.decode(
            await engines.client.decompress(hex(fragment), fin, 100),
          ),
        );
      }
      strictEqual(parts.join(""), "Hello");
    });
  }
});

Deno.test("createPermessageDeflate shares the window between messages as in RFC 7692 section 7.2.3.2", async () => {
  using engines = pair();
  const hello = encoder.encode("Hello");
  const first = await engines.server.compress(hello);
  const second = await engines.server.compress(hello);
  deepStrictEqual(first, hex("f2 48 cd c9 c9 07 00"));
  deepStrictEqual(second, hex("f2 00 11 00 00"));
  deepStrictEqual(await engines.client.decompress(first, true, 100), hello);
  deepStrictEqual(await engines.client.decompress(second, true, 100), hello);
});

Deno.test("createPermessageDeflate starts afresh after a message that ended with BFINAL", async () => {
  using engines = pair();
  const hello = encoder.encode("Hello");
  deepStrictEqual(
    await engines.client.decompress(hex("f3 48 cd c9 c9 07 00 00"), true, 100),
    hello,
  );
  deepStrictEqual(
    await engines.client.decompress(hex("f2 48 cd c9 c9 07 00"), true, 100),
    hello,
  );
});

Deno.test("createPermessageDeflate decompresses a message however it is fragmented", async () => {
  const [payload] = makeChatMessages({ count: 1, bytes: 300, seed: 7 });
  using engines = pair();
  const wire = await engines.server.compress(payload!);
  for (const { name, chunks } of chunkings(wire)) {
    const parts: Uint8Array[] = [];
    for (const [i, chunk] of chunks.entries()) {
      parts.push(
        await engines.client.decompress(chunk, i === chunks.length - 1, 1000),
      );
    }
    strictEqual(
      parts.map((part) => decoder.decode(part, { stream: true })).join(""),
      decoder.decode(payload),
      name,
    );
  }
});

Deno.test("createPermessageDeflate round-trips with and without context takeover", async (t) => {
  const messages = [
    ...makeChatMessages({ count: 20, bytes: 2000, seed: 1 }),
    new Uint8Array(0),
    makeRandomBytes(70_000, 2),
    ...makeChatMessages({ count: 3, bytes: 200_000, seed: 3 }),
  ];
  const agreements: [string, DeflateParams][] = [
    ["context takeover", params()],
    [
      "no context takeover",
      params({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
    ],
    ["server resets only", params({ serverNoContextTakeover: true })],
    [
      "windows 8 and 9",
      params({ serverMaxWindowBits: 8, clientMaxWindowBits: 9 }),
    ],
    [
      "windows 10 and 12",
      params({ serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
    ],
  ];
  for (const [name, agreed] of agreements) {
    await t.step(name, async () => {
      using engines = pair(agreed, { level: 9, memLevel: 9 });
      for (
        const [from, to] of [
          [engines.server, engines.client],
          [engines.client, engines.server],
        ] as const
      ) {
        for (const message of messages) {
          const wire = await from.compress(message);
          deepStrictEqual(await to.decompress(wire, true, MiB), message);
        }
      }
    });
  }
});

Deno.test("createPermessageDeflate makes a repeated message smaller only with context takeover", async () => {
  const [message] = makeChatMessages({ count: 1, bytes: 2000, seed: 4 });
  {
    using engines = pair();
    const first = await engines.server.compress(message!);
    const second = await engines.server.compress(message!);
    ok(
      second.length * 10 < first.length,
      `second ${second.length} bytes, first ${first.length}`,
    );
    deepStrictEqual(await engines.client.decompress(first, true, MiB), message);
    deepStrictEqual(
      await engines.client.decompress(second, true, MiB),
      message,
    );
  }
  {
    using engines = pair(params({ serverNoContextTakeover: true }));
    const first = await engines.server.compress(message!);
    const second = await engines.server.compress(message!);
    deepStrictEqual(second, first);
    // The client did not reset and still decodes both.
    deepStrictEqual(await engines.client.decompress(first, true, MiB), message);
    deepStrictEqual(
      await engines.client.decompress(second, true, MiB),
      message,
    );
  }
});

Deno.test("createPermessageDeflate keeps the order of calls made without waiting", async () => {
  using engines = pair();
  const messages = makeChatMessages({ count: 50, bytes: 500, seed: 5 });
  const wires = await Promise.all(
    messages.map((m) => engines.server.compress(m)),
  );
  const decoded = await Promise.all(
    wires.map((wire) => engines.client.decompress(wire, true, MiB)),
  );
  deepStrictEqual(decoded, messages);
});

Deno.test("createPermessageDeflate stops a zip bomb at maxBytes with a RangeError", async () => {
  const bomb = peerCompress(new Uint8Array(10 * MiB));
  ok(bomb.length < 20_000, `bomb is ${bomb.length} bytes`);
  using engines = pair();
  const error = await engines.server.decompress(bomb, true, MiB).then(
    () => undefined,
    (error: unknown) => error,
  );
  ok(error instanceof RangeError, String(error));
  const inflated = Number(/inflated (\d+) bytes/.exec(error.message)?.[1]);
  ok(
    inflated > MiB && inflated < 2 * MiB,
    `stopped after ${inflated} of ${10 * MiB} bytes`,
  );
  // The decompressing side stays failed; compressing still works.
  await rejects(
    engines.server.decompress(hex("f2 48 cd c9 c9 07 00"), true, 100),
    RangeError,
  );
  strictEqual(
    (await engines.server.compress(encoder.encode("ok"))).length > 0,
    true,
  );
});

Deno.test("createPermessageDeflate counts maxBytes over the whole message", async (t) => {
  const payload = new Uint8Array(65_536).fill(0x61);
  const wire = peerCompress(payload);
  const half = Math.floor(wire.length / 2);
  await t.step("exactly maxBytes passes", async () => {
    using engines = pair();
    deepStrictEqual(
      await engines.client.decompress(wire, true, 65_536),
      payload,
    );
  });
  await t.step("one byte over fails", async () => {
    using engines = pair();
    await rejects(engines.client.decompress(wire, true, 65_535), RangeError);
  });
  await t.step("over across fragments fails", async () => {
    using engines = pair();
    const first = await engines.client.decompress(
      wire.subarray(0, half),
      false,
      65_535,
    );
    ok(first.length <= 65_535);
    await rejects(
      engines.client.decompress(wire.subarray(half), true, 65_535),
      RangeError,
    );
  });
  await t.step("the count restarts with each message", async () => {
    using engines = pair();
    for (let i = 0; i < 3; i++) {
      const again = await engines.server.compress(payload);
      deepStrictEqual(
        await engines.client.decompress(again, true, 65_536),
        payload,
      );
    }
  });
});

Deno.test("createPermessageDeflate rejects invalid deflate data with a SyntaxError", async () => {
  using engines = pair();
  await rejects(
    engines.client.decompress(hex("01 02 03 04 05 06 07"), true, 100),
    SyntaxError,
  );
  await rejects(
    engines.client.decompress(hex("f2 48 cd c9 c9 07 00"), true, 100),
    SyntaxError,
  );
});

Deno.test("createPermessageDeflate rejects calls after close with a TypeError", async () => {
  let started = 0;
  const engines = pair(params(), {
    limiter: {
      active: 0,
      pending: 0,
      run<T>(task: () => Promise<T>): Promise<T> {
        started++;
        return task();
      },
    },
  });
  const pending = engines.client.decompress(
    peerCompress(new Uint8Array(1000)),
    true,
    MiB,
  );
  const queued = engines.client.decompress(
    hex("f2 48 cd c9 c9 07 00"),
    true,
    100,
  );
  const compressing = engines.server.compress(new Uint8Array(100_000));
  // Let the first operations start; zlib answers only after microtasks.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  strictEqual(started, 2, "one operation per direction is in progress");
  engines[Symbol.dispose]();
  engines.client.close();
  await rejects(pending, TypeError);
  await rejects(queued, TypeError);
  await rejects(compressing, TypeError);
  await rejects(engines.server.compress(encoder.encode("x")), TypeError);
  await rejects(
    engines.client.decompress(new Uint8Array(1), true, 10),
    TypeError,
  );
});

Deno.test("createPermessageDeflate sends every operation through the limiter", async () => {
  const shared = createDeflateLimiter(1);
  let runs = 0;
  let peak = 0;
  const counting: DeflateLimiter = {
    get active(): number {
      return shared.active;
    },
    get pending(): number {
      return shared.pending;
    },
    run<T>(task: () => Promise<T>): Promise<T> {
      runs++;
      return shared.run(() => {
        peak = Math.max(peak, shared.active);
        return task();
      });
    },
  };
  using a = pair(params(), { limiter: counting });
  using b = pair(params(), { limiter: counting });
  const messages = makeChatMessages({ count: 10, bytes: 3000, seed: 6 });
  const results = await Promise.all(messages.map(async (message, i) => {
    const { server, client } = i % 2 === 0 ? a : b;
    return await client.decompress(await server.compress(message), true, MiB);
  }));
  deepStrictEqual(results, messages);
  strictEqual(runs, 20);
  strictEqual(peak, 1);
  strictEqual(shared.active, 0);
});

Deno.test("createPermessageDeflate exposes threshold and checks its options", () => {
  {
    using engines = pair();
    strictEqual(engines.server.threshold, 1024);
  }
  {
    using engines = pair(params(), { threshold: 0 });
    strictEqual(engines.client.threshold, 0);
  }
  const bad: [Partial<PermessageDeflateOptions>, Partial<DeflateParams>][] = [
    [{ threshold: -1 }, {}],
    [{ level: 10 }, {}],
    [{ memLevel: 0 }, {}],
    [{}, { serverMaxWindowBits: 7 }],
    [{}, { clientMaxWindowBits: 16 }],
  ];
  for (const [options, agreed] of bad) {
    throws(
      () =>
        createPermessageDeflate(params(agreed), { role: "server", ...options }),
      RangeError,
    );
  }
  throws(
    // @ts-expect-error: role must be "server" or "client"
    () => createPermessageDeflate(params(), { role: "peer" }),
    TypeError,
  );
});

Deno.test("createPermessageDeflate rejects a maxBytes that is not a number", async () => {
  using engines = pair();
  await rejects(
    engines.client.decompress(new Uint8Array(1), true, NaN),
    RangeError,
  );
  await rejects(
    engines.client.decompress(new Uint8Array(1), true, -1),
    RangeError,
  );
});
