// Copyright 2026 the serverpush authors. MIT license.
// The candidates the frame codec benchmarks compare, shared by
// bench/ws_bench.ts (deno bench) and bench/ws_report.ts (side by side).
// Each candidate processes one whole batch per call and returns the number
// of frames it handled, so a report can check that it did the work.

import {
  createFrameEncoder,
  createFrameParser,
  encodeFrame,
  type WsFrame,
  WsFrameDecoderStream,
  WsFrameEncoderStream,
} from "../ws/mod.ts";
import type { FrameBatch } from "./_ws_frame_fixtures.ts";
import { bufferOf, type WsPeer, type WsPeers } from "./_ws_peers.ts";

/** One way of decoding or encoding a batch. */
export interface Candidate {
  name: string;
  /** The reference that ratios are computed against. */
  baseline?: boolean;
  /** Processes the batch once; returns the frames handled. */
  run(): number | Promise<number>;
}

async function drain<T>(stream: ReadableStream<T>): Promise<number> {
  let count = 0;
  const reader = stream.getReader();
  while (!(await reader.read()).done) count++;
  return count;
}

function wsReceive(peer: WsPeer, batch: FrameBatch): Candidate {
  // ws unmasks in place, so it gets its own copy of the bytes.
  const input = bufferOf(batch.bytes.slice());
  // One receiver per candidate, like one per connection.
  let count = 0;
  const receiver = new peer.Receiver({ isServer: batch.masked });
  receiver.on("message", () => {
    count++;
  });
  receiver.on("error", (error) => {
    throw error;
  });
  return {
    name: `ws Receiver (${peer.variant})`,
    ...(peer.variant === "pure JS" ? { baseline: true } : {}),
    run(): number {
      count = 0;
      receiver.write(input);
      return count;
    },
  };
}

/** Decoding candidates for a batch. */
export function decodeCandidates(
  batch: FrameBatch,
  peers: WsPeers,
): Candidate[] {
  const role = batch.masked ? "server" : "client";
  const { bytes, payloadOffsets, keys, size, count } = batch;
  // One parser per candidate, like one per connection.
  let frames = 0;
  const parser = createFrameParser(() => {
    frames++;
  }, { role });
  const candidates: Candidate[] = [
    {
      name: "ours: createFrameParser (core)",
      run(): number {
        frames = 0;
        parser.push(bytes);
        return frames;
      },
    },
    {
      name: "ours: WsFrameDecoderStream",
      run(): Promise<number> {
        return drain(
          ReadableStream.from([bytes]).pipeThrough(
            new WsFrameDecoderStream({ role }),
          ),
        );
      },
    },
    wsReceive(peers.pure, batch),
  ];
  if (peers.bufferutil) candidates.push(wsReceive(peers.bufferutil, batch));
  if (batch.masked) {
    const scratch = bytes.slice();
    candidates.push({
      name: "floor: XOR byte loop, in place",
      run(): number {
        for (let f = 0; f < count; f++) {
          const start = payloadOffsets[f]!;
          const key = keys[f]!;
          for (let i = 0; i < size; i++) scratch[start + i]! ^= key[i & 3]!;
        }
        return count;
      },
    });
  } else {
    candidates.push({
      name: "floor: walk headers, payload views",
      run(): number {
        let frames = 0;
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
          if (bytes.subarray(start, start + length).length === length) frames++;
          pos = start + length;
        }
        return frames;
      },
    });
  }
  return candidates;
}

function wsFrame(peer: WsPeer, batch: FrameBatch): Candidate {
  const payloads = batch.frames.map((f) => bufferOf(f.payload));
  const options = {
    fin: true,
    rsv1: false,
    opcode: 2,
    mask: batch.masked,
    readOnly: true,
  };
  return {
    name: `ws Sender.frame (${peer.variant})`,
    ...(peer.variant === "pure JS" ? { baseline: true } : {}),
    run(): number {
      let n = 0;
      for (const payload of payloads) {
        n += peer.frame(payload, options).length > 0 ? 1 : 0;
      }
      return n;
    },
  };
}

/** Encoding candidates for a batch. */
export function encodeCandidates(
  batch: FrameBatch,
  peers: WsPeers,
): Candidate[] {
  const frames: WsFrame[] = batch.frames;
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  const candidates: Candidate[] = [];
  const role = batch.masked ? "client" : "server";
  // One encoder per candidate, like one per connection.
  const encoder = createFrameEncoder({ role });
  candidates.push({
    name: batch.masked
      ? "ours: createFrameEncoder (core, fresh keys)"
      : "ours: createFrameEncoder (core, one buffer)",
    run(): number {
      let n = 0;
      for (const frame of frames) n += encoder.encode(frame).length > 0 ? 1 : 0;
      return n;
    },
  });
  if (batch.masked) {
    candidates.push({
      name: "ours: encodeFrame, given key",
      run(): number {
        let n = 0;
        for (const frame of frames) {
          n += encodeFrame(frame, { mask: key }).length > 0 ? 1 : 0;
        }
        return n;
      },
    });
  } else {
    candidates.push(
      {
        name: "ours: encoder.encodeHeader + payload view",
        run(): number {
          let n = 0;
          for (const frame of frames) {
            const list = [encoder.encodeHeader(frame), frame.payload];
            n += list.length > 0 ? 1 : 0;
          }
          return n;
        },
      },
      {
        name: "ours: encodeFrame",
        run(): number {
          let n = 0;
          for (const frame of frames) {
            n += encodeFrame(frame, { mask: false }).length > 0 ? 1 : 0;
          }
          return n;
        },
      },
    );
  }
  candidates.push({
    name: "ours: WsFrameEncoderStream",
    run(): Promise<number> {
      return drain(
        ReadableStream.from(frames).pipeThrough(
          new WsFrameEncoderStream({
            role: batch.masked ? "client" : "server",
          }),
        ),
      );
    },
  });
  candidates.push(wsFrame(peers.pure, batch));
  if (peers.bufferutil) candidates.push(wsFrame(peers.bufferutil, batch));
  if (batch.masked) {
    candidates.push({
      name: "floor: copy + XOR byte loop",
      run(): number {
        for (const frame of frames) {
          const payload = frame.payload;
          const out = new Uint8Array(payload.length + 6);
          for (let i = 0; i < payload.length; i++) {
            out[6 + i] = payload[i]! ^ key[i & 3]!;
          }
        }
        return frames.length;
      },
    });
  } else {
    candidates.push({
      name: "floor: copy",
      run(): number {
        for (const frame of frames) {
          const out = new Uint8Array(frame.payload.length + 10);
          out.set(frame.payload, 10);
        }
        return frames.length;
      },
    });
  }
  return candidates;
}
