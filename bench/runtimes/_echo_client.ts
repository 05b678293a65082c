// Copyright 2026 the serverpush authors. MIT license.
// The echo clients of bench/runtimes.ts: WebSockets on raw TCP with Nagle's
// algorithm off, as every server of the bench has it. Deno's own WebSocket
// client turns it on (it sets TCP_NODELAY to 0): the last bytes of a 64 KiB
// message then wait for the acknowledgement of the first segment, which
// made the 64 KiB cells swing by 20-40% between two turns of one server.
// Each client sends one masked binary message, reads its echo whole, and
// sends the next; it costs less CPU than a `WebSocket`, so more of the
// machine goes to the server being measured.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether echo loops go on, and how many round trips they made. */
export interface EchoState {
  running: boolean;
  trips: number;
}

/** One client connection on `/echo`. */
export class EchoClient {
  #conn: Deno.TcpConn;
  #frame: Uint8Array;
  #buffer = new Uint8Array(256 * 1024);
  /** Bytes in #buffer not parsed yet: from #start to #end. */
  #start = 0;
  #end = 0;

  private constructor(conn: Deno.TcpConn, frame: Uint8Array) {
    this.#conn = conn;
    this.#frame = frame;
  }

  /**
   * Opens a client on `ws://127.0.0.1:<port>/echo` that sends `size` bytes
   * per message (no extension offered).
   */
  static async open(port: number, size: number): Promise<EchoClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    const client = new EchoClient(conn, maskedFrame(size));
    try {
      await client.#writeAll(encoder.encode(
        `GET /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      ));
      for (;;) {
        const head = decoder.decode(
          client.#buffer.subarray(0, client.#end),
        );
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) {
          if (!head.startsWith("HTTP/1.1 101")) {
            throw new Error(`Cannot open echo: ${head.split("\r\n")[0]}`);
          }
          // Only ASCII before the blank line: characters are bytes.
          client.#start = end + 4;
          return client;
        }
        if (!await client.#fill()) {
          throw new Error("Cannot open echo: the server closed");
        }
      }
    } catch (error) {
      conn.close();
      throw error;
    }
  }

  /** Sends a message, reads its echo, again, while `state.running`. */
  async run(state: EchoState): Promise<void> {
    do {
      await this.#writeAll(this.#frame);
      await this.#readMessage();
      state.trips++;
    } while (state.running);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }

  /** Reads frames up to the end of one data message. */
  async #readMessage(): Promise<void> {
    for (;;) {
      const available = this.#end - this.#start;
      const b = this.#buffer;
      const at = this.#start;
      if (available >= 2) {
        const fin = (b[at]! & 0x80) !== 0;
        const opcode = b[at]! & 0x0f;
        let length = b[at + 1]! & 0x7f;
        let header = 2;
        if (length === 126) {
          header = 4;
          length = available >= 4 ? (b[at + 2]! << 8) | b[at + 3]! : -1;
        } else if (length === 127) {
          header = 10;
          length = available >= 10
            ? new DataView(b.buffer, at + 2, 8).getUint32(4)
            : -1;
        }
        if (length !== -1 && available >= header + length) {
          this.#start += header + length;
          if (opcode === 0x8) throw new Error("The echo server closed");
          // Data and continuation frames; control frames (pings) skipped.
          if (opcode < 0x8 && fin) return;
          continue;
        }
      }
      if (!await this.#fill()) throw new Error("The echo server closed");
    }
  }

  /** Reads more bytes; false at the end. */
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    else if (this.#end === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = await this.#conn.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  async #writeAll(p: Uint8Array): Promise<void> {
    for (let at = 0; at < p.length;) {
      at += await this.#conn.write(p.subarray(at));
    }
  }
}

/**
 * A binary frame of `size` bytes of "x", masked as a client must; the same
 * bytes every time (the key is fixed: masking is not about secrecy here).
 */
function maskedFrame(size: number): Uint8Array {
  const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + size);
  frame[0] = 0x82;
  if (header === 2) frame[1] = 0x80 | size;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame[2] = size >>> 8;
    frame[3] = size & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setUint32(6, size);
  }
  const key = [0x12, 0x34, 0x56, 0x78];
  frame.set(key, header);
  for (let i = 0; i < size; i++) {
    frame[header + 4 + i] = 120 ^ key[i & 3]!;
  }
  return frame;
}
