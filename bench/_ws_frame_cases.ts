// Copyright 2026 the serverpush authors. MIT license.
// The candidates the frame codec benchmarks run, and the like-for-like
// comparisons between ours and npm:ws that the report prints, shared by
// bench/ws_bench.ts (deno bench) and bench/ws_report.ts (side by side).
//
// Every candidate processes one whole batch per call and returns the bytes
// it produced, which the report checks before timing: a decoder returns the
// payload bytes it delivered (so every frame's payload reached the callback
// or the reader), an encoder the wire bytes it produced (equal to the
// batch's own wire bytes, so both sides wrote the same header forms).
//
// What makes each comparison fair is written next to it below; the report's
// header comment says which ones the README quotes.

import { Buffer } from "node:buffer";
import {
  createFrameEncoder,
  createFrameParser,
  encodeFrame,
  type WsFrame,
  WsFrameDecoderStream,
  WsFrameEncoderStream,
} from "../ws/mod.ts";
import type { FrameBatch } from "./_ws_frame_fixtures.ts";
import {
  bufferOf,
  type WsFrameOptions,
  type WsPeer,
  type WsPeers,
} from "./_ws_peers.ts";

/** One way of decoding or encoding a batch. */
export interface Candidate {
  name: string;
  /** Processes the batch once; returns the bytes it produced. */
  run(): number | Promise<number>;
}

/** Ours against ws doing the same work; the report prints the ratio. */
export interface Comparison {
  /** Short label: a column of the report's summary. */
  label: string;
  /** Whether the README quotes this comparison for its direction. */
  primary: boolean;
  ours: Candidate;
  /** ws on its pure-JS path: the reference of the targets. */
  ws: Candidate;
  /** ws with bufferutil's native masking, when it loaded. */
  wsNative: Candidate | undefined;
}

/** Everything measured for one batch and direction. */
export interface Cases {
  /** Every candidate once (comparisons share some), floors last. */
  candidates: Candidate[];
  comparisons: Comparison[];
  /** What `run()` must return. */
  expectedBytes: number;
}

async function drainFrames(stream: ReadableStream<WsFrame>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.payload.length;
  }
}

async function drainBytes(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.length;
  }
}

/** ws's chunks: views of a private copy, since ws unmasks in place. */
function wsChunks(batch: FrameBatch): Buffer[] {
  const copy = batch.bytes.slice();
  let at = 0;
  return batch.chunks.map((chunk) => {
    const view = bufferOf(copy.subarray(at, at + chunk.length));
    at += chunk.length;
    return view;
  });
}

/** A long-lived ws Receiver (one per connection) fed the batch's chunks. */
function wsReceiverWrite(peer: WsPeer, batch: FrameBatch): Candidate {
  const chunks = wsChunks(batch);
  let bytes = 0;
  const receiver = new peer.Receiver({ isServer: batch.masked });
  receiver.on("message", (data) => {
    bytes += data.length;
  });
  receiver.on("error", (error) => {
    throw error;
  });
  return {
    name: `ws: Receiver.write, one receiver (${peer.variant})`,
    run(): number {
      bytes = 0;
      for (const chunk of chunks) receiver.write(chunk);
      return bytes;
    },
  };
}

/** A new ws Receiver per batch, as per connection setup. */
function wsNewReceiver(peer: WsPeer, batch: FrameBatch): Candidate {
  const chunks = wsChunks(batch);
  return {
    name: `ws: new Receiver per batch + write (${peer.variant})`,
    run(): number {
      let bytes = 0;
      const receiver = new peer.Receiver({ isServer: batch.masked });
      receiver.on("message", (data) => {
        bytes += data.length;
      });
      receiver.on("error", (error) => {
        throw error;
      });
      for (const chunk of chunks) receiver.write(chunk);
      return bytes;
    },
  };
}

/**
 * Decoding cases for a batch. Both sides get the same chunks (the batch cut
 * into 64 KiB socket reads, so large frames arrive split) and hand every
 * frame's payload to the caller: ws through its "message" event (binary
 * frames of one fragment, so no concatenation), ours through the parser's
 * callback or the stream's reader. ws unmasks in place in the chunk; ours
 * never modifies a chunk, so it unmasks into new memory (more work).
 */
export function decodeCases(batch: FrameBatch, peers: WsPeers): Cases {
  const role = batch.masked ? "server" : "client";
  const { bytes, chunks, payloadOffsets, keys, size, count } = batch;

  // One parser, like one per connection.
  let parsed = 0;
  const parser = createFrameParser((frame) => {
    parsed += frame.payload.length;
  }, { role });
  const core: Candidate = {
    name: "ours: createFrameParser push, one parser (core)",
    run(): number {
      parsed = 0;
      for (const chunk of chunks) parser.push(chunk);
      return parsed;
    },
  };

  // One stream, like one per connection: write the chunks, read the frames.
  const stream = new WsFrameDecoderStream({ role });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const longLived: Candidate = {
    name: "ours: WsFrameDecoderStream write + read, one stream",
    async run(): Promise<number> {
      let last: Promise<void> | undefined;
      for (const chunk of chunks) last = writer.write(chunk);
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        bytes += (await reader.read()).value!.payload.length;
      }
      await last;
      return bytes;
    },
  };

  const perBatch: Candidate = {
    name: "ours: new WsFrameDecoderStream per batch + pipeThrough",
    run(): Promise<number> {
      return drainFrames(
        ReadableStream.from(chunks).pipeThrough(
          new WsFrameDecoderStream({ role }),
        ),
      );
    },
  };

  const wsWrite = wsReceiverWrite(peers.pure, batch);
  const wsWriteNative = peers.bufferutil &&
    wsReceiverWrite(peers.bufferutil, batch);
  const wsNew = wsNewReceiver(peers.pure, batch);
  const wsNewNative = peers.bufferutil &&
    wsNewReceiver(peers.bufferutil, batch);

  const comparisons: Comparison[] = [
    {
      label: "core",
      primary: true,
      ours: core,
      ws: wsWrite,
      wsNative: wsWriteNative,
    },
    {
      label: "stream",
      primary: false,
      ours: longLived,
      ws: wsWrite,
      wsNative: wsWriteNative,
    },
    {
      label: "stream, new per batch",
      primary: false,
      ours: perBatch,
      ws: wsNew,
      wsNative: wsNewNative,
    },
  ];

  let floor: Candidate;
  if (batch.masked) {
    const scratch = bytes.slice();
    floor = {
      name: "floor: XOR byte loop in place, one buffer",
      run(): number {
        for (let f = 0; f < count; f++) {
          const start = payloadOffsets[f]!;
          const key = keys[f]!;
          for (let i = 0; i < size; i++) scratch[start + i]! ^= key[i & 3]!;
        }
        return count * size;
      },
    };
  } else {
    floor = {
      name: "floor: walk headers, payload views, one buffer",
      run(): number {
        let total = 0;
        let pos = 0;
        while (pos < bytes.length) {
          let length = bytes[pos + 1]! & 0x7f;
          let start = pos + 2;
          if (length === 126) {
            length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
            start += 2;
          } else if (length === 127) {
            length = ((bytes[pos + 6]! << 24) | (bytes[pos + 7]! << 16) |
              (bytes[pos + 8]! << 8) |
              bytes[pos + 9]!) >>> 0;
            start += 8;
          }
          total += new Uint8Array(
            bytes.buffer,
            bytes.byteOffset + start,
            length,
          ).length;
          pos = start + length;
        }
        return total;
      },
    };
  }

  const candidates = [core, longLived, perBatch, wsWrite, wsNew];
  if (wsWriteNative) candidates.push(wsWriteNative);
  if (wsNewNative) candidates.push(wsNewNative);
  candidates.push(floor);
  return { candidates, comparisons, expectedBytes: count * size };
}

/**
 * Options for ws's Sender.frame, in the shape ws's own Sender builds them
 * (so ws's frame() sees one object shape, as it does in ws): binary, final,
 * not compressed, payload read-only.
 */
function wsOptions(
  mask: boolean,
  generateMask: ((mask: Uint8Array) => void) | undefined,
): WsFrameOptions {
  return {
    fin: true,
    generateMask,
    mask,
    maskBuffer: generateMask === undefined ? undefined : Buffer.alloc(4),
    opcode: 2,
    readOnly: true,
    rsv1: false,
  };
}

/** ws's Sender.frame over the batch; returns the wire bytes of the lists. */
function wsFrame(
  peer: WsPeer,
  batch: FrameBatch,
  name: string,
  options: WsFrameOptions,
): Candidate {
  const payloads = batch.frames.map((f) => bufferOf(f.payload));
  const frame = peer.frame;
  return {
    name: `ws: ${name} (${peer.variant})`,
    run(): number {
      let bytes = 0;
      for (const payload of payloads) {
        const list = frame(payload, options);
        bytes += list[0]!.length + (list.length > 1 ? list[1]!.length : 0);
      }
      return bytes;
    },
  };
}

/**
 * ws's Sender.frame copied into one buffer, the cheapest way a caller
 * could: one Buffer.allocUnsafe (from Node's pool when small) and two
 * copies. (Buffer.concat does the same with more checks, and is slower.)
 */
function wsFrameJoined(peer: WsPeer, batch: FrameBatch): Candidate {
  const payloads = batch.frames.map((f) => bufferOf(f.payload));
  const frame = peer.frame;
  const options = wsOptions(false, undefined);
  return {
    name: `ws: Sender.frame + copy into one buffer (${peer.variant})`,
    run(): number {
      let bytes = 0;
      for (const payload of payloads) {
        const header = frame(payload, options)[0]!;
        const out = Buffer.allocUnsafe(header.length + payload.length);
        out.set(header);
        out.set(payload, header.length);
        bytes += out.length;
      }
      return bytes;
    },
  };
}

/**
 * Encoding cases for a batch. Both sides encode the same payloads as final
 * binary frames and never modify them (ws's `readOnly: true`).
 *
 * Masked (client role): ws's Sender.frame masks into one new buffer holding
 * header and payload, with a fresh key from a pool of random bytes; so does
 * our encoder. With a given key, ws gets it through `generateMask`.
 *
 * Unmasked (server role): ws's Sender.frame returns `[header, payload]`,
 * the payload not copied, and its caller writes both; our zero-copy path is
 * `encodeHeader` (the caller writes the header, then the payload). For one
 * contiguous buffer on both sides, ws's list is copied into one Buffer.
 */
export function encodeCases(batch: FrameBatch, peers: WsPeers): Cases {
  const frames: WsFrame[] = batch.frames;
  const role = batch.masked ? "client" : "server";
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  const comparisons: Comparison[] = [];
  const candidates: Candidate[] = [];
  // One encoder per candidate, like one per connection.
  const encoder = createFrameEncoder({ role });
  const native = peers.bufferutil;

  const stream: Candidate = {
    name: "ours: new WsFrameEncoderStream per batch + pipeThrough",
    run(): Promise<number> {
      return drainBytes(
        ReadableStream.from(frames).pipeThrough(
          new WsFrameEncoderStream({ role }),
        ),
      );
    },
  };

  if (batch.masked) {
    const fresh = wsOptions(true, undefined);
    const given = wsOptions(true, (mask) => {
      mask[0] = key[0]!;
      mask[1] = key[1]!;
      mask[2] = key[2]!;
      mask[3] = key[3]!;
    });
    const wsFresh = wsFrame(
      peers.pure,
      batch,
      "Sender.frame, fresh keys, one buffer",
      fresh,
    );
    const wsFreshNative = native &&
      wsFrame(native, batch, "Sender.frame, fresh keys, one buffer", fresh);
    const wsGiven = wsFrame(
      peers.pure,
      batch,
      "Sender.frame, given key, one buffer",
      given,
    );
    const wsGivenNative = native &&
      wsFrame(native, batch, "Sender.frame, given key, one buffer", given);
    const core: Candidate = {
      name: "ours: createFrameEncoder encode, fresh keys, one buffer (core)",
      run(): number {
        let bytes = 0;
        for (const frame of frames) bytes += encoder.encode(frame).length;
        return bytes;
      },
    };
    const givenKey: Candidate = {
      name: "ours: encodeFrame, given key, one buffer",
      run(): number {
        let bytes = 0;
        for (const frame of frames) {
          bytes += encodeFrame(frame, { mask: key }).length;
        }
        return bytes;
      },
    };
    comparisons.push(
      {
        label: "fresh keys",
        primary: true,
        ours: core,
        ws: wsFresh,
        wsNative: wsFreshNative,
      },
      {
        label: "given key",
        primary: false,
        ours: givenKey,
        ws: wsGiven,
        wsNative: wsGivenNative,
      },
      {
        label: "stream",
        primary: false,
        ours: stream,
        ws: wsFresh,
        wsNative: wsFreshNative,
      },
    );
    candidates.push(core, givenKey, stream, wsFresh, wsGiven);
    if (wsFreshNative) candidates.push(wsFreshNative);
    if (wsGivenNative) candidates.push(wsGivenNative);
    // No allocation: just the bytes every encoder must write.
    const scratch = new Uint8Array(batch.size);
    candidates.push({
      name: "floor: XOR byte loop into one reused buffer",
      run(): number {
        let bytes = 0;
        for (const frame of frames) {
          const payload = frame.payload;
          for (let i = 0; i < payload.length; i++) {
            scratch[i] = payload[i]! ^ key[i & 3]!;
          }
          bytes += payload.length;
        }
        return bytes;
      },
    });
  } else {
    const options = wsOptions(false, undefined);
    const wsList = wsFrame(
      peers.pure,
      batch,
      "Sender.frame, [header, payload]",
      options,
    );
    const wsListNative = native &&
      wsFrame(native, batch, "Sender.frame, [header, payload]", options);
    const wsJoined = wsFrameJoined(peers.pure, batch);
    const wsJoinedNative = native && wsFrameJoined(native, batch);
    const header: Candidate = {
      name: "ours: createFrameEncoder encodeHeader + payload (core)",
      run(): number {
        let bytes = 0;
        for (const frame of frames) {
          bytes += encoder.encodeHeader(frame).length + frame.payload.length;
        }
        return bytes;
      },
    };
    const joined: Candidate = {
      name: "ours: createFrameEncoder encode, one buffer",
      run(): number {
        let bytes = 0;
        for (const frame of frames) bytes += encoder.encode(frame).length;
        return bytes;
      },
    };
    const encodeFrameJoined: Candidate = {
      name: "ours: encodeFrame, one buffer",
      run(): number {
        let bytes = 0;
        for (const frame of frames) {
          bytes += encodeFrame(frame, { mask: false }).length;
        }
        return bytes;
      },
    };
    comparisons.push(
      {
        label: "header + payload",
        primary: true,
        ours: header,
        ws: wsList,
        wsNative: wsListNative,
      },
      {
        label: "one buffer",
        primary: false,
        ours: joined,
        ws: wsJoined,
        wsNative: wsJoinedNative,
      },
      {
        label: "encodeFrame, one buffer",
        primary: false,
        ours: encodeFrameJoined,
        ws: wsJoined,
        wsNative: wsJoinedNative,
      },
      {
        label: "stream",
        primary: false,
        ours: stream,
        ws: wsJoined,
        wsNative: wsJoinedNative,
      },
    );
    candidates.push(
      header,
      joined,
      encodeFrameJoined,
      stream,
      wsList,
      wsJoined,
    );
    if (wsListNative) candidates.push(wsListNative);
    if (wsJoinedNative) candidates.push(wsJoinedNative);
    // No allocation: just the copy a one-buffer encoder must make.
    const scratch = new Uint8Array(batch.size);
    candidates.push({
      name: "floor: copy into one reused buffer",
      run(): number {
        let bytes = 0;
        for (const frame of frames) {
          scratch.set(frame.payload);
          bytes += frame.payload.length;
        }
        return bytes;
      },
    });
  }
  return { candidates, comparisons, expectedBytes: batch.bytes.length };
}
