// Copyright 2026 the serverpush authors. MIT license.
// The client process of bench/hub_fanout.ts: opens N subscribers to
// http://127.0.0.1:PORT/hub/bench over raw TCP (SSE requests, or WebSocket
// upgrades answered with pongs), then records when each one receives each
// broadcast "b<K>@<time>". It prints JSON lines on stdout:
//
//   {"type":"ready","connected":N}
//   {"type":"done","k":K,"last":ms,"deliveries":[...]} once all N have K
//
// where `last` is the time from publish to the last subscriber's receipt
// and `deliveries` the per-subscriber latencies in ms (the server's clock
// and ours are both performance.timeOrigin + performance.now()).
// By hand: deno run -A bench/_hub_fanout_client.ts PORT N sse|ws

const [portText, countText, transport = "sse"] = Deno.args;
const port = Number(portText);
const count = Number(countText);
if (!(port > 0) || !(count > 0) || !["sse", "ws"].includes(transport)) {
  throw new TypeError(
    "Cannot start bench client: expected PORT N sse|ws",
  );
}

/** Connections opened at once while connecting. */
const CONCURRENCY = 200;
const MESSAGE_REGEXP = /b(\d+)@(\d+(?:\.\d+)?)[\n"]/g;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function now(): number {
  return performance.timeOrigin + performance.now();
}

function emit(value: unknown): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(value));
}

/** Receipts per broadcast: how many, the latest, every latency. */
const received = new Map<number, { n: number; last: number; all: number[] }>();

function record(k: number, sent: number, at: number): void {
  let entry = received.get(k);
  if (entry === undefined) {
    entry = { n: 0, last: 0, all: [] };
    received.set(k, entry);
  }
  const latency = at - sent;
  entry.n++;
  entry.all.push(latency);
  if (latency > entry.last) entry.last = latency;
  if (entry.n === count) {
    emit({ type: "done", k, last: entry.last, deliveries: entry.all });
    received.delete(k);
  }
}

/** Finds every complete "b<K>@<time>" in `text`; returns the unparsed tail. */
function scan(text: string, at: number): string {
  MESSAGE_REGEXP.lastIndex = 0;
  let end = 0;
  for (const match of text.matchAll(MESSAGE_REGEXP)) {
    record(Number(match[1]), Number(match[2]), at);
    end = match.index + match[0].length;
  }
  const tail = text.slice(end);
  return tail.length > 256 ? tail.slice(-256) : tail;
}

const SSE_REQUEST = encoder.encode(
  `GET /hub/bench HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    "Accept: text/event-stream\r\n\r\n",
);
const WS_REQUEST = encoder.encode(
  `GET /hub/bench HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n\r\n",
);

/** Reads until the end of the response head; returns the bytes after it. */
async function readHead(
  conn: Deno.TcpConn,
  buffer: Uint8Array,
): Promise<Uint8Array> {
  let head = new Uint8Array(0);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("Cannot read response: connection closed");
    const joined = new Uint8Array(head.length + n);
    joined.set(head);
    joined.set(buffer.subarray(0, n), head.length);
    head = joined;
    const text = decoder.decode(head);
    const end = text.indexOf("\r\n\r\n");
    if (end === -1) continue;
    const status = text.slice(9, 12);
    const expected = transport === "ws" ? "101" : "200";
    if (status !== expected) {
      throw new Error(
        `Cannot subscribe: status ${status}, expected ${expected}`,
      );
    }
    return head.subarray(encoder.encode(text.slice(0, end + 4)).length);
  }
}

/** SSE: the body is chunked text; scan it as it comes. */
async function readSse(
  conn: Deno.TcpConn,
  buffer: Uint8Array,
  first: Uint8Array,
): Promise<void> {
  let tail = scan(decoder.decode(first), now());
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    tail = scan(tail + decoder.decode(buffer.subarray(0, n)), now());
  }
}

/** WebSocket: unmasked server frames; text payloads scanned, pings answered. */
async function readWs(
  conn: Deno.TcpConn,
  buffer: Uint8Array,
  first: Uint8Array,
): Promise<void> {
  let pending = first;
  for (;;) {
    // Parse every complete frame in `pending`.
    let offset = 0;
    const at = now();
    for (;;) {
      if (pending.length - offset < 2) break;
      const opcode = pending[offset]! & 0x0f;
      let length = pending[offset + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (pending.length - offset < 4) break;
        length = (pending[offset + 2]! << 8) | pending[offset + 3]!;
        header = 4;
      } else if (length === 127) {
        throw new Error("Cannot read frame: 64-bit lengths are not expected");
      }
      if (pending.length - offset < header + length) break;
      const payload = pending.subarray(
        offset + header,
        offset + header + length,
      );
      if (opcode === 0x1) {
        scan(decoder.decode(payload) + "\n", at);
      } else if (opcode === 0x9) {
        // Pong with a zero mask: the payload goes out as is.
        const pong = new Uint8Array(6 + payload.length);
        pong[0] = 0x8a;
        pong[1] = 0x80 | payload.length;
        pong.set(payload, 6);
        await conn.write(pong);
      } else if (opcode === 0x8) {
        return;
      }
      offset += header + length;
    }
    pending = pending.slice(offset);
    const n = await conn.read(buffer);
    if (n === null) return;
    const joined = new Uint8Array(pending.length + n);
    joined.set(pending);
    joined.set(buffer.subarray(0, n), pending.length);
    pending = joined;
  }
}

const reading: Promise<void>[] = [];

async function open(): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(transport === "ws" ? WS_REQUEST : SSE_REQUEST);
  const buffer = new Uint8Array(2048);
  const first = await readHead(conn, buffer);
  reading.push(
    (transport === "ws" ? readWs : readSse)(conn, buffer, first).catch(
      (error) => emit({ type: "error", message: String(error) }),
    ),
  );
}

let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    next++;
    await open();
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
emit({ type: "ready", connected: count });
await Promise.all(reading);
