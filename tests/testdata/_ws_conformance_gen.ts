// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- says where it wrote
// Writes tests/testdata/ws_conformance.json: WebSocket conformance cases for
// the frame and message decoders, modelled on the case categories of the
// Autobahn|Testsuite (1 framing, 2 ping/pong, 3 reserved bits, 4 opcodes,
// 5 fragmentation, 6 UTF-8, 7 close, 9 large messages, 12-13 compression).
// The cases are written here; wire bytes come from the small frame builder
// below, which shares no code with the library.
//
//   deno run --allow-write tests/testdata/_ws_conformance_gen.ts
//   deno fmt tests/testdata/ws_conformance.json

type Role = "client" | "server";

/** A run of input bytes: hex, or a header followed by a repeated pattern. */
type Input = string | { head: string; fill: string; bytes: number };

type Expected =
  | { type: "text"; data: string }
  | { type: "text"; fill: string; bytes: number }
  | { type: "binary"; hex: string }
  | { type: "binary"; fill: string; bytes: number }
  | { type: "ping" | "pong"; hex: string }
  | { type: "close"; code: number; reason: string };

interface Case {
  name: string;
  role: Role;
  options?: {
    maxFrameBytes?: number;
    maxMessageBytes?: number;
    compressor?: "rle";
  };
  input: Input[];
  expect: {
    messages: Expected[];
    error?: { code: string; closeCode: number };
  };
  /**
   * What the codec engine (a connection reading the bytes as they come)
   * does instead, where it differs from the decoder streams (which see
   * whole frames only): for example failing on invalid UTF-8 inside a
   * frame whose rest never comes.
   */
  engine?: {
    messages: Expected[];
    error?: { code: string; closeCode: number };
  };
}

const enc = new TextEncoder();

function hex(bytes: Uint8Array | number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(data: string | Uint8Array | number[]): Uint8Array {
  return typeof data === "string" ? enc.encode(data) : Uint8Array.from(data);
}

/** Deterministic masking keys, different for every frame. */
let keySeed = 0x9e3779b9;
function nextKey(): number[] {
  keySeed = (Math.imul(keySeed, 1664525) + 1013904223) >>> 0;
  return [
    keySeed >>> 24,
    (keySeed >>> 16) & 255,
    (keySeed >>> 8) & 255,
    keySeed & 255,
  ];
}

interface FrameSpec {
  fin?: boolean;
  rsv?: number; // bits 4 = RSV1, 2 = RSV2, 1 = RSV3
  op: number;
  data?: string | Uint8Array | number[];
  /** Override the length field's form: "16" or "64" for non-minimal forms. */
  lengthForm?: "16" | "64";
  masked?: boolean;
}

function header(
  spec: FrameSpec,
  length: number,
  key: number[] | undefined,
): number[] {
  const fin = spec.fin ?? true;
  const b0 = (fin ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.op;
  const m = key ? 0x80 : 0;
  const out = [b0];
  if (spec.lengthForm === "64" || length > 0xffff) {
    out.push(m | 127, 0, 0, 0, 0);
    out.push(
      length >>> 24,
      (length >>> 16) & 255,
      (length >>> 8) & 255,
      length & 255,
    );
  } else if (spec.lengthForm === "16" || length > 125) {
    out.push(m | 126, length >>> 8, length & 255);
  } else {
    out.push(m | length);
  }
  if (key) out.push(...key);
  return out;
}

/** One frame as hex; masked when the receiver is a server. */
function frame(role: Role, spec: FrameSpec): string {
  const data = bytesOf(spec.data ?? []);
  const masked = spec.masked ?? role === "server";
  const key = masked ? nextKey() : undefined;
  const out = header(spec, data.length, key);
  for (let i = 0; i < data.length; i++) {
    out.push(key ? data[i]! ^ key[i & 3]! : data[i]!);
  }
  return hex(out);
}

/**
 * The first `keep` payload bytes of a frame (its header announcing all of
 * `spec.data`): a frame whose rest never comes.
 */
function truncatedFrame(role: Role, spec: FrameSpec, keep: number): string {
  const whole = frame(role, spec);
  const length = bytesOf(spec.data ?? []).length;
  return whole.slice(0, whole.length - 2 * (length - keep));
}

/** A frame whose payload is `bytes` copies of the one byte `fill`. */
function bigFrame(
  role: Role,
  spec: FrameSpec,
  fill: number,
  bytes: number,
): Input {
  const key = role === "server" ? nextKey() : undefined;
  const pattern = key ? key.map((k) => fill ^ k) : [fill];
  return { head: hex(header(spec, bytes, key)), fill: hex(pattern), bytes };
}

const TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10, CONT = 0;

function closeData(code: number, reason: string | number[] = ""): number[] {
  return [code >>> 8, code & 255, ...bytesOf(reason)];
}

function err(
  code: string,
  closeCode: number,
): { code: string; closeCode: number } {
  return { code, closeCode };
}

const P1002 = (code: string) => err(code, 1002);

const cases: Case[] = [];
function add(c: Case): void {
  cases.push(c);
}

// ---------------------------------------------------------------- 1 framing
for (const role of ["server", "client"] as const) {
  for (const [i, n] of [0, 125, 126, 127, 128, 65535, 65536].entries()) {
    add({
      name: `1.1.${i + 1} text message, payload ${n} bytes (${role} receives)`,
      role,
      input: n > 4096
        ? [bigFrame(role, { op: TEXT }, 0x2a, n)]
        : [frame(role, { op: TEXT, data: "*".repeat(n) })],
      expect: {
        messages: [
          n > 4096 ? { type: "text", fill: "2a", bytes: n } : {
            type: "text",
            data: "*".repeat(n),
          },
        ],
      },
    });
    add({
      name: `1.2.${
        i + 1
      } binary message, payload ${n} bytes (${role} receives)`,
      role,
      input: n > 4096
        ? [bigFrame(role, { op: BINARY }, 0xfe, n)]
        : [frame(role, { op: BINARY, data: new Uint8Array(n).fill(0xfe) })],
      expect: {
        messages: [
          n > 4096 ? { type: "binary", fill: "fe", bytes: n } : {
            type: "binary",
            hex: "fe".repeat(n),
          },
        ],
      },
    });
  }
}
add({
  name: "1.3.1 a 5-byte payload in the 16-bit length form is accepted",
  role: "server",
  input: [frame("server", { op: TEXT, data: "Hello", lengthForm: "16" })],
  expect: { messages: [{ type: "text", data: "Hello" }] },
});
add({
  name: "1.3.2 a 5-byte payload in the 64-bit length form is accepted",
  role: "client",
  input: [frame("client", { op: BINARY, data: "Hello", lengthForm: "64" })],
  expect: { messages: [{ type: "binary", hex: hex(enc.encode("Hello")) }] },
});
add({
  name: "1.3.3 a 64-bit length with the most significant bit set fails",
  role: "client",
  input: ["827f8000000000000005"],
  expect: { messages: [], error: P1002("invalid-length") },
});
add({
  name: "1.3.4 a 64-bit length of 2^53 fails as too large from the header",
  role: "client",
  input: ["827f0020000000000000"],
  expect: { messages: [], error: err("frame-too-large", 1009) },
});
add({
  name: "1.3.5 an unmasked frame from a client fails",
  role: "server",
  input: [frame("server", { op: TEXT, data: "Hello", masked: false })],
  expect: { messages: [], error: P1002("unmasked-frame") },
});
add({
  name: "1.3.6 a masked frame from a server fails",
  role: "client",
  input: [frame("client", { op: TEXT, data: "Hello", masked: true })],
  expect: { messages: [], error: P1002("masked-frame") },
});
add({
  name: "1.3.7 a good message, then an unmasked frame from a client",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "first" }),
    frame("server", { op: PING, data: "x", masked: false }),
  ],
  expect: {
    messages: [{ type: "text", data: "first" }],
    error: P1002("unmasked-frame"),
  },
});
add({
  name: "1.3.8 input that ends inside a frame header",
  role: "client",
  input: ["817e00"],
  expect: { messages: [], error: err("unexpected-end", 1006) },
});
add({
  name: "1.3.9 input that ends inside a frame payload",
  role: "server",
  input: [frame("server", { op: TEXT, data: "Hello" }).slice(0, -4)],
  expect: { messages: [], error: err("unexpected-end", 1006) },
});
add({
  name: "1.3.10 three messages in a row",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "one" }),
    frame("server", { op: BINARY, data: [1, 2, 3] }),
    frame("server", { op: TEXT, data: "three" }),
  ],
  expect: {
    messages: [
      { type: "text", data: "one" },
      { type: "binary", hex: "010203" },
      { type: "text", data: "three" },
    ],
  },
});

// ------------------------------------------------------------- 2 ping/pong
add({
  name: "2.1 ping without payload",
  role: "server",
  input: [frame("server", { op: PING })],
  expect: { messages: [{ type: "ping", hex: "" }] },
});
add({
  name: "2.2 ping with a small text payload",
  role: "server",
  input: [frame("server", { op: PING, data: "Hello, world!" })],
  expect: {
    messages: [{ type: "ping", hex: hex(enc.encode("Hello, world!")) }],
  },
});
add({
  name: "2.3 ping with a small binary payload",
  role: "server",
  input: [
    frame("server", {
      op: PING,
      data: [0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff],
    }),
  ],
  expect: { messages: [{ type: "ping", hex: "00fffefdfcfb00ff" }] },
});
add({
  name: "2.4 ping with a 125-byte payload",
  role: "server",
  input: [frame("server", { op: PING, data: new Uint8Array(125).fill(0xfe) })],
  expect: { messages: [{ type: "ping", hex: "fe".repeat(125) }] },
});
add({
  name: "2.5 ping with a 126-byte payload fails",
  role: "server",
  input: [frame("server", { op: PING, data: new Uint8Array(126).fill(0xfe) })],
  expect: { messages: [], error: P1002("control-frame-too-long") },
});
add({
  name: "2.7 unsolicited pong without payload",
  role: "server",
  input: [frame("server", { op: PONG })],
  expect: { messages: [{ type: "pong", hex: "" }] },
});
add({
  name: "2.8 unsolicited pong with payload",
  role: "client",
  input: [frame("client", { op: PONG, data: "unsolicited pong payload" })],
  expect: {
    messages: [{
      type: "pong",
      hex: hex(enc.encode("unsolicited pong payload")),
    }],
  },
});
add({
  name: "2.9 unsolicited pong, then ping",
  role: "server",
  input: [
    frame("server", { op: PONG, data: "unsolicited pong payload" }),
    frame("server", { op: PING, data: "ping payload" }),
  ],
  expect: {
    messages: [
      { type: "pong", hex: hex(enc.encode("unsolicited pong payload")) },
      { type: "ping", hex: hex(enc.encode("ping payload")) },
    ],
  },
});
add({
  name: "2.10 ten pings in a row",
  role: "server",
  input: Array.from(
    { length: 10 },
    (_, i) => frame("server", { op: PING, data: `payload-${i}` }),
  ),
  expect: {
    messages: Array.from({ length: 10 }, (_, i) => ({
      type: "ping" as const,
      hex: hex(enc.encode(`payload-${i}`)),
    })),
  },
});

// --------------------------------------------------------- 3 reserved bits
add({
  name: "3.1 text frame with RSV3 set",
  role: "server",
  input: [frame("server", { op: TEXT, rsv: 1, data: "Hello, world!" })],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "3.2 text, then text with RSV2 set, then ping",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "Hello, world!" }),
    frame("server", { op: TEXT, rsv: 2, data: "Hello, world!" }),
    frame("server", { op: PING }),
  ],
  expect: {
    messages: [{ type: "text", data: "Hello, world!" }],
    error: P1002("reserved-bits"),
  },
});
add({
  name: "3.3 text, then text with RSV2 and RSV3 set, then ping",
  role: "client",
  input: [
    frame("client", { op: TEXT, data: "Hello, world!" }),
    frame("client", { op: TEXT, rsv: 3, data: "Hello, world!" }),
    frame("client", { op: PING }),
  ],
  expect: {
    messages: [{ type: "text", data: "Hello, world!" }],
    error: P1002("reserved-bits"),
  },
});
add({
  name: "3.4 text, then text with RSV1 set (no extension), then ping",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "Hello, world!" }),
    frame("server", { op: TEXT, rsv: 4, data: "Hello, world!" }),
    frame("server", { op: PING }),
  ],
  expect: {
    messages: [{ type: "text", data: "Hello, world!" }],
    error: P1002("reserved-bits"),
  },
});
add({
  name: "3.5 binary frame with RSV1 and RSV3 set",
  role: "server",
  input: [frame("server", { op: BINARY, rsv: 5, data: [0xff, 0xfe] })],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "3.6 ping with RSV1 and RSV2 set",
  role: "server",
  input: [frame("server", { op: PING, rsv: 6, data: "Hello, world!" })],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "3.7 close with all reserved bits set",
  role: "server",
  input: [frame("server", { op: CLOSE, rsv: 7 })],
  expect: { messages: [], error: P1002("reserved-bits") },
});

// --------------------------------------------------------------- 4 opcodes
for (const [i, op] of [3, 4, 5, 6, 7].entries()) {
  add({
    name: `4.1.${i + 1} reserved data opcode ${op}, after a text message`,
    role: "server",
    input: [
      frame("server", { op: TEXT, data: "Hello" }),
      frame("server", { op, data: i % 2 ? "payload" : [] }),
      frame("server", { op: PING }),
    ],
    expect: {
      messages: [{ type: "text", data: "Hello" }],
      error: P1002("reserved-opcode"),
    },
  });
}
for (const [i, op] of [11, 12, 13, 14, 15].entries()) {
  add({
    name: `4.2.${i + 1} reserved control opcode ${op}`,
    role: "client",
    input: [
      frame("client", { op, data: i % 2 ? "payload" : [] }),
      frame("client", { op: PING }),
    ],
    expect: { messages: [], error: P1002("reserved-opcode") },
  });
}

// --------------------------------------------------------- 5 fragmentation
add({
  name: "5.1 ping in two fragments fails",
  role: "server",
  input: [
    frame("server", { op: PING, fin: false, data: "frag1" }),
    frame("server", { op: CONT, data: "frag2" }),
  ],
  expect: { messages: [], error: P1002("fragmented-control-frame") },
});
add({
  name: "5.2 pong in two fragments fails",
  role: "server",
  input: [
    frame("server", { op: PONG, fin: false, data: "frag1" }),
    frame("server", { op: CONT, data: "frag2" }),
  ],
  expect: { messages: [], error: P1002("fragmented-control-frame") },
});
add({
  name: "5.3 text message in two fragments",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: CONT, data: "fragment2" }),
  ],
  expect: { messages: [{ type: "text", data: "fragment1fragment2" }] },
});
add({
  name: "5.6 text message in two fragments with a ping in between",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: PING, data: "pongme!" }),
    frame("server", { op: CONT, data: "fragment2" }),
  ],
  expect: {
    messages: [
      { type: "ping", hex: hex(enc.encode("pongme!")) },
      { type: "text", data: "fragment1fragment2" },
    ],
  },
});
add({
  name: "5.9 continuation (FIN set) with no message in progress",
  role: "server",
  input: [
    frame("server", { op: CONT, data: "non-continuation payload" }),
    frame("server", { op: TEXT, data: "Hello, world!" }),
  ],
  expect: { messages: [], error: P1002("unexpected-continuation") },
});
add({
  name: "5.10 continuation (FIN clear) with no message in progress",
  role: "client",
  input: [
    frame("client", { op: CONT, fin: false, data: "non-continuation payload" }),
    frame("client", { op: TEXT, data: "Hello, world!" }),
  ],
  expect: { messages: [], error: P1002("unexpected-continuation") },
});
add({
  name: "5.12 message that starts with a continuation",
  role: "server",
  input: [
    frame("server", { op: CONT, fin: false, data: "fragment1" }),
    frame("server", { op: CONT, data: "fragment2" }),
  ],
  expect: { messages: [], error: P1002("unexpected-continuation") },
});
add({
  name: "5.15 two fragments, then an extra continuation",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: CONT, data: "fragment2" }),
    frame("server", { op: CONT, fin: false, data: "fragment3" }),
    frame("server", { op: TEXT, data: "fragment4" }),
  ],
  expect: {
    messages: [{ type: "text", data: "fragment1fragment2" }],
    error: P1002("unexpected-continuation"),
  },
});
add({
  name: "5.18 a new text frame while a fragmented message is open",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: TEXT, data: "fragment2" }),
  ],
  expect: { messages: [], error: P1002("expected-continuation") },
});
add({
  name: "5.18b a new binary frame while a fragmented text message is open",
  role: "client",
  input: [
    frame("client", { op: TEXT, fin: false, data: "fragment1" }),
    frame("client", { op: PING }),
    frame("client", { op: BINARY, data: [1] }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "" }],
    error: P1002("expected-continuation"),
  },
});
add({
  name: "5.19 text message in five fragments with pings in between",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: CONT, fin: false, data: "fragment2" }),
    frame("server", { op: PING, data: "pongme 1!" }),
    frame("server", { op: CONT, fin: false, data: "fragment3" }),
    frame("server", { op: CONT, fin: false, data: "fragment4" }),
    frame("server", { op: PING, data: "pongme 2!" }),
    frame("server", { op: CONT, data: "fragment5" }),
  ],
  expect: {
    messages: [
      { type: "ping", hex: hex(enc.encode("pongme 1!")) },
      { type: "ping", hex: hex(enc.encode("pongme 2!")) },
      { type: "text", data: "fragment1fragment2fragment3fragment4fragment5" },
    ],
  },
});
add({
  name: "5.20 binary message in three fragments",
  role: "client",
  input: [
    frame("client", { op: BINARY, fin: false, data: [1, 2] }),
    frame("client", { op: CONT, fin: false, data: [3] }),
    frame("client", { op: CONT, data: [4, 5, 6] }),
  ],
  expect: { messages: [{ type: "binary", hex: "010203040506" }] },
});
add({
  name: "5.21 input that ends inside a fragmented message",
  role: "server",
  input: [frame("server", { op: BINARY, fin: false, data: [1, 2] })],
  expect: { messages: [], error: err("unexpected-end", 1006) },
});

// ------------------------------------------------------------------ 6 UTF-8
add({
  name: "6.1.1 empty text message",
  role: "server",
  input: [frame("server", { op: TEXT })],
  expect: { messages: [{ type: "text", data: "" }] },
});
add({
  name: "6.1.2 text message in three empty fragments",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false }),
    frame("server", { op: CONT, fin: false }),
    frame("server", { op: CONT }),
  ],
  expect: { messages: [{ type: "text", data: "" }] },
});
add({
  name: "6.1.3 text message: empty, non-empty, empty fragment",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false }),
    frame("server", { op: CONT, fin: false, data: "middle frame payload" }),
    frame("server", { op: CONT }),
  ],
  expect: { messages: [{ type: "text", data: "middle frame payload" }] },
});
const HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!";
add({
  name: "6.2.1 valid UTF-8 in one frame",
  role: "server",
  input: [frame("server", { op: TEXT, data: HELLO_UTF8 })],
  expect: { messages: [{ type: "text", data: HELLO_UTF8 }] },
});
{
  const bytes = enc.encode(HELLO_UTF8);
  const at = bytes.indexOf(0xc2) + 1; // inside "µ"
  add({
    name: "6.2.2 valid UTF-8 in two fragments, split inside a code point",
    role: "server",
    input: [
      frame("server", { op: TEXT, fin: false, data: bytes.subarray(0, at) }),
      frame("server", { op: CONT, data: bytes.subarray(at) }),
    ],
    expect: { messages: [{ type: "text", data: HELLO_UTF8 }] },
  });
  add({
    name: "6.2.3 valid UTF-8, one byte per fragment",
    role: "client",
    input: Array.from(bytes, (b, i) =>
      frame("client", {
        op: i === 0 ? TEXT : CONT,
        fin: i === bytes.length - 1,
        data: [b],
      })),
    expect: { messages: [{ type: "text", data: HELLO_UTF8 }] },
  });
}
{
  const kosme = enc.encode("κόσμε");
  add({
    name: "6.2.4 valid UTF-8 (κόσμε), one byte per fragment",
    role: "server",
    input: Array.from(kosme, (b, i) =>
      frame("server", {
        op: i === 0 ? TEXT : CONT,
        fin: i === kosme.length - 1,
        data: [b],
      })),
    expect: { messages: [{ type: "text", data: "κόσμε" }] },
  });
}
const KOSME = [
  0xce,
  0xba,
  0xe1,
  0xbd,
  0xb9,
  0xcf,
  0x83,
  0xce,
  0xbc,
  0xce,
  0xb5,
];
const EDITED = [...enc.encode("edited")];
add({
  name: "6.3.1 invalid UTF-8 (a surrogate) inside one frame",
  role: "server",
  input: [
    frame("server", {
      op: TEXT,
      data: [...KOSME, 0xed, 0xa0, 0x80, ...EDITED],
    }),
  ],
  expect: { messages: [], error: err("invalid-utf8", 1007) },
});
{
  const bytes = [...KOSME, 0xed, 0xa0, 0x80, ...EDITED];
  const bad = KOSME.length + 1; // 0xa0 after 0xed is where it becomes invalid
  const input: string[] = [];
  bytes.forEach((b, i) => {
    input.push(
      frame("server", {
        op: i === 0 ? TEXT : CONT,
        fin: i === bytes.length - 1,
        data: [b],
      }),
    );
    input.push(frame("server", { op: PING, data: [i] }));
  });
  add({
    name:
      "6.3.2 invalid UTF-8, one byte per fragment, fails at the first bad fragment",
    role: "server",
    input,
    expect: {
      messages: Array.from(
        { length: bad },
        (_, i) => ({ type: "ping" as const, hex: hex([i]) }),
      ),
      error: err("invalid-utf8", 1007),
    },
  });
}
add({
  name:
    "6.4.1 fail fast: a 4-byte sequence above U+10FFFF in the middle fragment",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: KOSME }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, fin: false, data: [0xf4, 0x90, 0x80, 0x80] }),
    frame("server", { op: PING, data: "2" }),
    frame("server", { op: CONT, data: EDITED }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("invalid-utf8", 1007),
  },
});
add({
  name:
    "6.4.2 fail fast: the byte that makes the sequence invalid is a fragment of its own",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: [...KOSME, 0xf4] }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, fin: false, data: [0x90] }),
    frame("server", { op: PING, data: "2" }),
    frame("server", { op: CONT, data: [0x80, 0x80, ...EDITED] }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("invalid-utf8", 1007),
  },
});
add({
  name: "6.4.3 a fragment that ends inside a code point is fine until the end",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: [...KOSME, 0xce] }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, data: [0xba] }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }, {
      type: "text",
      data: new TextDecoder().decode(new Uint8Array([...KOSME, 0xce, 0xba])),
    }],
  },
});
add({
  name: "6.4.4 a message that ends inside a code point fails",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: [...KOSME, 0xce] }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, data: [] }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("invalid-utf8", 1007),
  },
});
const invalidSequences: [string, number[]][] = [
  ["lone continuation byte 0x80", [0x80]],
  ["byte 0xfe", [0xfe]],
  ["byte 0xff", [0xff]],
  ["overlong '/' in 2 bytes", [0xc0, 0xaf]],
  ["overlong '/' in 3 bytes", [0xe0, 0x80, 0xaf]],
  ["overlong '/' in 4 bytes", [0xf0, 0x80, 0x80, 0xaf]],
  ["overlong U+07FF in 3 bytes", [0xe0, 0x9f, 0xbf]],
  ["high surrogate U+D800", [0xed, 0xa0, 0x80]],
  ["low surrogate U+DFFF", [0xed, 0xbf, 0xbf]],
  ["surrogate pair U+D800 U+DC00", [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]],
  ["U+110000", [0xf4, 0x90, 0x80, 0x80]],
  ["5-byte sequence", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ["truncated 3-byte sequence at the end", [0x41, 0xe2, 0x82]],
  ["2-byte start followed by ASCII", [0xc2, 0x41]],
];
invalidSequences.forEach(([what, bytes], i) => {
  add({
    name: `6.5.${i + 1} invalid UTF-8: ${what}`,
    role: "server",
    input: [frame("server", { op: TEXT, data: bytes })],
    expect: { messages: [], error: err("invalid-utf8", 1007) },
  });
});
const validSequences: [string, number[], string][] = [
  ["U+0000", [0x00], "\u0000"],
  ["U+007F", [0x7f], "\u007f"],
  ["U+0080", [0xc2, 0x80], "\u0080"],
  ["U+07FF", [0xdf, 0xbf], "\u07ff"],
  ["U+0800", [0xe0, 0xa0, 0x80], "\u0800"],
  ["U+D7FF", [0xed, 0x9f, 0xbf], "\ud7ff"],
  ["U+E000", [0xee, 0x80, 0x80], "\ue000"],
  ["U+FFFD", [0xef, 0xbf, 0xbd], "\ufffd"],
  ["noncharacter U+FFFE", [0xef, 0xbf, 0xbe], "\ufffe"],
  ["U+FFFF", [0xef, 0xbf, 0xbf], "\uffff"],
  ["U+10000", [0xf0, 0x90, 0x80, 0x80], "\u{10000}"],
  ["U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], "\u{10ffff}"],
  ["a leading byte order mark is kept", [0xef, 0xbb, 0xbf, 0x41], "\ufeffA"],
];
validSequences.forEach(([what, bytes, text], i) => {
  add({
    name: `6.6.${i + 1} valid UTF-8: ${what}`,
    role: "client",
    input: [frame("client", { op: TEXT, data: bytes })],
    expect: { messages: [{ type: "text", data: text }] },
  });
});

// ------------------------------------------------------------------ 7 close
add({
  name: "7.1.1 text message, then close",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "Hello World!" }),
    frame("server", { op: CLOSE, data: closeData(1000) }),
  ],
  expect: {
    messages: [
      { type: "text", data: "Hello World!" },
      { type: "close", code: 1000, reason: "" },
    ],
  },
});
add({
  name: "7.1.2 a second close frame is ignored",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000) }),
    frame("server", { op: CLOSE, data: closeData(1001) }),
  ],
  expect: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.1.3 a ping after close is ignored",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000) }),
    frame("server", { op: PING, data: "Hello World!" }),
  ],
  expect: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.1.4 a text message after close is ignored",
  role: "client",
  input: [
    frame("client", { op: CLOSE, data: closeData(1000) }),
    frame("client", { op: TEXT, data: "Hello World!" }),
  ],
  expect: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.1.5 fragment, close, continuation: the message is dropped",
  role: "server",
  input: [
    frame("server", { op: TEXT, fin: false, data: "fragment1" }),
    frame("server", { op: CLOSE, data: closeData(1000) }),
    frame("server", { op: CONT, data: "fragment2" }),
  ],
  expect: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.1.6 a reserved opcode after close still fails the frame layer",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000) }),
    frame("server", { op: 5 }),
  ],
  expect: {
    messages: [{ type: "close", code: 1000, reason: "" }],
    error: P1002("reserved-opcode"),
  },
  // The engine stops reading at the close: the handshake is complete.
  engine: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.3.1 close without payload reads as 1005",
  role: "server",
  input: [frame("server", { op: CLOSE })],
  expect: { messages: [{ type: "close", code: 1005, reason: "" }] },
});
add({
  name: "7.3.2 close with a 1-byte payload fails",
  role: "server",
  input: [frame("server", { op: CLOSE, data: [0x03] })],
  expect: { messages: [], error: P1002("invalid-close-payload") },
});
add({
  name: "7.3.3 close with code 1000 and no reason",
  role: "client",
  input: [frame("client", { op: CLOSE, data: closeData(1000) })],
  expect: { messages: [{ type: "close", code: 1000, reason: "" }] },
});
add({
  name: "7.3.4 close with code and reason",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000, "Hello World!") }),
  ],
  expect: { messages: [{ type: "close", code: 1000, reason: "Hello World!" }] },
});
add({
  name: "7.3.5 close with a 123-byte reason",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000, "*".repeat(123)) }),
  ],
  expect: {
    messages: [{ type: "close", code: 1000, reason: "*".repeat(123) }],
  },
});
add({
  name: "7.3.6 close with a 124-byte reason fails (payload over 125 bytes)",
  role: "server",
  input: [
    frame("server", { op: CLOSE, data: closeData(1000, "*".repeat(124)) }),
  ],
  expect: { messages: [], error: P1002("control-frame-too-long") },
});
add({
  name: "7.3.7 close with FIN clear fails",
  role: "client",
  input: [frame("client", { op: CLOSE, fin: false, data: closeData(1000) })],
  expect: { messages: [], error: P1002("fragmented-control-frame") },
});
add({
  name: "7.5.1 close with an invalid UTF-8 reason fails",
  role: "server",
  input: [
    frame("server", {
      op: CLOSE,
      data: closeData(1000, [...KOSME, 0xed, 0xa0, 0x80, ...EDITED]),
    }),
  ],
  expect: { messages: [], error: err("invalid-close-reason", 1007) },
});
add({
  name: "7.5.2 close with a multi-byte UTF-8 reason",
  role: "server",
  input: [frame("server", { op: CLOSE, data: closeData(1001, "κόσμε") })],
  expect: { messages: [{ type: "close", code: 1001, reason: "κόσμε" }] },
});
[
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  3000,
  3999,
  4000,
  4999,
]
  .forEach((code, i) => {
    add({
      name: `7.7.${i + 1} valid close code ${code}`,
      role: "server",
      input: [frame("server", { op: CLOSE, data: closeData(code) })],
      expect: { messages: [{ type: "close", code, reason: "" }] },
    });
  });
[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].forEach(
  (code, i) => {
    add({
      name: `7.9.${i + 1} invalid close code ${code}`,
      role: "server",
      input: [frame("server", { op: CLOSE, data: closeData(code) })],
      expect: { messages: [], error: P1002("invalid-close-code") },
    });
  },
);

// ------------------------------------------------------- 9 large messages
const KIB = 1024, MIB = 1024 * 1024;
[64 * KIB, 256 * KIB, MIB].forEach((n, i) => {
  add({
    name: `9.1.${i + 1} text message of ${n / KIB} KiB`,
    role: "server",
    input: [bigFrame("server", { op: TEXT }, 0x2a, n)],
    expect: { messages: [{ type: "text", fill: "2a", bytes: n }] },
  });
  add({
    name: `9.2.${i + 1} binary message of ${n / KIB} KiB`,
    role: "client",
    input: [bigFrame("client", { op: BINARY }, 0xfe, n)],
    expect: { messages: [{ type: "binary", fill: "fe", bytes: n }] },
  });
});
for (
  const [i, [fragment, total]] of ([[64, 64 * KIB], [1024, MIB], [
    64 * KIB,
    MIB,
  ]] as [number, number][]).entries()
) {
  const input: Input[] = [];
  for (let off = 0; off < total; off += fragment) {
    const spec = {
      op: off === 0 ? BINARY : CONT,
      fin: off + fragment >= total,
    };
    input.push(bigFrame("server", spec, 0xfe, Math.min(fragment, total - off)));
  }
  add({
    name: `9.4.${i + 1} binary message of ${
      total / KIB
    } KiB in fragments of ${fragment} bytes`,
    role: "server",
    input,
    expect: { messages: [{ type: "binary", fill: "fe", bytes: total }] },
  });
}
{
  const input: Input[] = [];
  for (let off = 0; off < 256 * KIB; off += 4 * KIB) {
    input.push(
      bigFrame(
        "client",
        { op: off === 0 ? TEXT : CONT, fin: off + 4 * KIB >= 256 * KIB },
        0x2a,
        4 * KIB,
      ),
    );
  }
  add({
    name: "9.3.1 text message of 256 KiB in fragments of 4 KiB",
    role: "client",
    input,
    expect: { messages: [{ type: "text", fill: "2a", bytes: 256 * KIB }] },
  });
}
add({
  name: "9.5.1 frame over maxFrameBytes fails from its header alone",
  role: "server",
  options: { maxFrameBytes: 1024 },
  input: [
    frame("server", { op: BINARY, data: new Uint8Array(1025) }).slice(
      0,
      8 * 2 + 20,
    ),
  ],
  expect: { messages: [], error: err("frame-too-large", 1009) },
});
add({
  name: "9.5.2 frame of exactly maxFrameBytes is accepted",
  role: "server",
  options: { maxFrameBytes: 1024 },
  input: [frame("server", { op: BINARY, data: new Uint8Array(1024).fill(7) })],
  expect: { messages: [{ type: "binary", hex: "07".repeat(1024) }] },
});
add({
  name: "9.5.3 a header announcing 17 MiB fails with the default maxFrameBytes",
  role: "client",
  input: ["827f0000000001100000"],
  expect: { messages: [], error: err("frame-too-large", 1009) },
});
add({
  name:
    "9.6.1 message over maxMessageBytes fails at the fragment that crosses it",
  role: "server",
  options: { maxMessageBytes: 1000 },
  input: [
    frame("server", { op: BINARY, fin: false, data: new Uint8Array(600) }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, fin: false, data: new Uint8Array(600) }),
    frame("server", { op: PING, data: "2" }),
    frame("server", { op: CONT, data: new Uint8Array(10) }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("message-too-large", 1009),
  },
});
add({
  name: "9.6.2 message of exactly maxMessageBytes across fragments",
  role: "client",
  options: { maxMessageBytes: 1000 },
  input: [
    frame("client", { op: TEXT, fin: false, data: "a".repeat(500) }),
    frame("client", { op: CONT, data: "b".repeat(500) }),
  ],
  expect: {
    messages: [{ type: "text", data: "a".repeat(500) + "b".repeat(500) }],
  },
});
add({
  name: "9.6.3 one-frame text message over maxMessageBytes",
  role: "client",
  options: { maxMessageBytes: 1000 },
  input: [frame("client", { op: TEXT, data: "a".repeat(1001) })],
  expect: { messages: [], error: err("message-too-large", 1009) },
});

// ---------------------------------------- 12-13 compression (fake RLE codec)
// The "rle" compressor encodes runs as (count, byte) pairs; see
// tests/ws/_fake_compressor.ts. RSV1 marks a compressed message.
function rle(text: string): number[] {
  const data = enc.encode(text);
  const out: number[] = [];
  for (let i = 0; i < data.length;) {
    let run = 1;
    while (run < 255 && data[i + run] === data[i]) run++;
    out.push(run, data[i]!);
    i += run;
  }
  return out;
}
const RLE = { compressor: "rle" as const };
add({
  name: "12.1.1 compressed text message in one frame",
  role: "server",
  options: RLE,
  input: [frame("server", { op: TEXT, rsv: 4, data: rle("aaaaaaaaaabbbbbc") })],
  expect: { messages: [{ type: "text", data: "aaaaaaaaaabbbbbc" }] },
});
add({
  name:
    "12.1.2 compressed binary message in three fragments, a pair split across them",
  role: "client",
  options: RLE,
  input: [
    frame("client", { op: BINARY, rsv: 4, fin: false, data: [3, 0x01, 2] }),
    frame("client", { op: CONT, fin: false, data: [0x02, 1] }),
    frame("client", { op: CONT, data: [0x03] }),
  ],
  expect: { messages: [{ type: "binary", hex: "0101010202" + "03" }] },
});
add({
  name: "12.1.3 compressed text in fragments with a ping in between",
  role: "server",
  options: RLE,
  input: [
    frame("server", { op: TEXT, rsv: 4, fin: false, data: rle("xxxx") }),
    frame("server", { op: PING, data: "p" }),
    frame("server", { op: CONT, data: rle("yyyyyyyy") }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "70" }, {
      type: "text",
      data: "xxxxyyyyyyyy",
    }],
  },
});
add({
  name: "12.1.4 uncompressed message on a connection with compression",
  role: "server",
  options: RLE,
  input: [frame("server", { op: TEXT, data: "plain" })],
  expect: { messages: [{ type: "text", data: "plain" }] },
});
add({
  name: "12.1.5 compressed, plain, then compressed message",
  role: "server",
  options: RLE,
  input: [
    frame("server", { op: TEXT, rsv: 4, data: rle("zzz") }),
    frame("server", { op: BINARY, data: [9] }),
    frame("server", { op: TEXT, rsv: 4, data: rle("qq") }),
  ],
  expect: {
    messages: [
      { type: "text", data: "zzz" },
      { type: "binary", hex: "09" },
      { type: "text", data: "qq" },
    ],
  },
});
add({
  name: "13.1.1 RSV1 on a continuation frame fails",
  role: "server",
  options: RLE,
  input: [
    frame("server", { op: TEXT, rsv: 4, fin: false, data: rle("xx") }),
    frame("server", { op: CONT, rsv: 4, data: rle("yy") }),
  ],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "13.1.2 RSV1 on a ping fails",
  role: "server",
  options: RLE,
  input: [frame("server", { op: PING, rsv: 4, data: rle("xx") })],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "13.1.3 RSV2 still fails with compression",
  role: "client",
  options: RLE,
  input: [frame("client", { op: TEXT, rsv: 6, data: rle("xx") })],
  expect: { messages: [], error: P1002("reserved-bits") },
});
add({
  name: "13.2.1 a message that decompresses past maxMessageBytes fails",
  role: "server",
  options: { ...RLE, maxMessageBytes: 1000 },
  input: [
    frame("server", {
      op: BINARY,
      rsv: 4,
      data: [255, 1, 255, 1, 255, 1, 255, 1, 255, 1],
    }),
  ],
  expect: { messages: [], error: err("message-too-large", 1009) },
});
add({
  name: "13.2.2 decompressed size counts across fragments",
  role: "server",
  options: { ...RLE, maxMessageBytes: 1000 },
  input: [
    frame("server", {
      op: BINARY,
      rsv: 4,
      fin: false,
      data: [255, 1, 255, 1, 255, 1],
    }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, fin: false, data: [255, 1] }),
    frame("server", { op: PING, data: "2" }),
    frame("server", { op: CONT, data: [1, 1] }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("message-too-large", 1009),
  },
});
add({
  name: "13.3.1 invalid compressed data fails with 1007",
  role: "server",
  options: RLE,
  input: [frame("server", { op: TEXT, rsv: 4, data: [2, 0x41, 0, 0x41] })],
  expect: { messages: [], error: err("invalid-compressed-data", 1007) },
});
add({
  name: "13.3.2 compressed data that ends inside a pair fails with 1007",
  role: "server",
  options: RLE,
  input: [frame("server", { op: BINARY, rsv: 4, data: [2, 0x41, 3] })],
  expect: { messages: [], error: err("invalid-compressed-data", 1007) },
});
add({
  name:
    "13.4.1 compressed text that decompresses to invalid UTF-8 fails at that fragment",
  role: "server",
  options: RLE,
  input: [
    frame("server", { op: TEXT, rsv: 4, fin: false, data: rle("ok") }),
    frame("server", { op: PING, data: "1" }),
    frame("server", { op: CONT, fin: false, data: [1, 0xc0, 1, 0xaf] }),
    frame("server", { op: PING, data: "2" }),
    frame("server", { op: CONT, data: rle("end") }),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("invalid-utf8", 1007),
  },
});
add({
  name: "13.5.1 RSV1 without negotiated compression fails",
  role: "server",
  input: [frame("server", { op: TEXT, rsv: 4, data: rle("aa") })],
  expect: { messages: [], error: P1002("reserved-bits") },
});

// ------------------------------------- fail fast and in order (codec engine)
// Added last, so that the masking keys of the cases above stay as they were.
const BROKEN_TEXT = [...KOSME, 0xf4, 0x90, 0x80, 0x80, ...EDITED, ...KOSME];
add({
  name:
    "6.4.3 fail fast inside a frame: the middle of a text frame is invalid and its rest never comes",
  role: "server",
  input: [
    truncatedFrame("server", { op: TEXT, data: BROKEN_TEXT }, KOSME.length + 4),
  ],
  expect: { messages: [], error: err("unexpected-end", 1006) },
  engine: { messages: [], error: err("invalid-utf8", 1007) },
});
add({
  name:
    "6.4.4 fail fast inside a frame: the last byte received is the one that breaks the text",
  role: "server",
  input: [
    truncatedFrame("server", { op: TEXT, data: BROKEN_TEXT }, KOSME.length + 2),
  ],
  expect: { messages: [], error: err("unexpected-end", 1006) },
  engine: { messages: [], error: err("invalid-utf8", 1007) },
});
add({
  name: "6.4.4 fail fast inside a continuation frame whose rest never comes",
  role: "client",
  input: [
    frame("client", { op: TEXT, fin: false, data: [...KOSME, 0xf4] }),
    frame("client", { op: PING, data: "1" }),
    truncatedFrame(
      "client",
      { op: CONT, data: [0x90, 0x80, 0x80, ...EDITED] },
      1,
    ),
  ],
  expect: {
    messages: [{ type: "ping", hex: "31" }],
    error: err("unexpected-end", 1006),
  },
  engine: { messages: [], error: err("invalid-utf8", 1007) },
});
add({
  name:
    "4.2.5 in order: text, then reserved control opcode 15 with a payload, then ping",
  role: "server",
  input: [
    frame("server", { op: TEXT, data: "Hello, world!" }),
    frame("server", { op: 15, data: "payload" }),
    frame("server", { op: PING }),
  ],
  expect: {
    messages: [{ type: "text", data: "Hello, world!" }],
    error: P1002("reserved-opcode"),
  },
});

const out = new URL("./ws_conformance.json", import.meta.url);
// One case per block, one input run per line, so a diff stays readable.
const text = cases.map((c) => {
  const lines = [
    `  {`,
    `    "name": ${JSON.stringify(c.name)},`,
    `    "role": ${JSON.stringify(c.role)},`,
  ];
  if (c.options) lines.push(`    "options": ${JSON.stringify(c.options)},`);
  lines.push(`    "input": [`);
  lines.push(c.input.map((x) => `      ${JSON.stringify(x)}`).join(",\n"));
  lines.push(`    ],`);
  lines.push(`    "expect": {`);
  lines.push(`      "messages": [`);
  if (c.expect.messages.length > 0) {
    lines.push(
      c.expect.messages.map((m) => `        ${JSON.stringify(m)}`).join(",\n"),
    );
  }
  lines.push(c.expect.error ? `      ],` : `      ]`);
  if (c.expect.error) {
    lines.push(`      "error": ${JSON.stringify(c.expect.error)}`);
  }
  lines.push(c.engine ? `    },` : `    }`);
  if (c.engine) lines.push(`    "engine": ${JSON.stringify(c.engine)}`);
  lines.push(`  }`);
  return lines.join("\n");
}).join(",\n");
await Deno.writeTextFile(out, `[\n${text}\n]\n`);
console.log(`wrote ${cases.length} cases to ${out.pathname}`);
