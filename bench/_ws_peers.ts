// Copyright 2026 the serverpush authors. MIT license.
// Loads npm:ws twice in one process: once on its pure-JS path
// (WS_NO_BUFFER_UTIL=1, read when ws's buffer-util module loads) and once
// with npm:bufferutil's native masking, by clearing ws from the CommonJS
// module cache and loading it again without the variable.

import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import process from "node:process";
// Pinned here so ws can resolve it as its optional peer dependency.
import "npm:bufferutil@4.1.0";

/** The part of ws's Receiver the benchmarks use. */
export interface WsReceiver {
  on(
    event: "message",
    listener: (data: Buffer, isBinary: boolean) => void,
  ): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: Buffer): boolean;
}

/** The part of ws's Sender.frame options the benchmarks use. */
export interface WsFrameOptions {
  fin: boolean;
  /** Writes the masking key into `mask`; without it ws draws a fresh one. */
  generateMask: ((mask: Uint8Array) => void) | undefined;
  mask: boolean;
  /** Where generateMask writes the key. */
  maskBuffer: Buffer | undefined;
  opcode: number;
  readOnly: boolean;
  rsv1: boolean;
}

/** One loaded copy of ws. */
export interface WsPeer {
  /** "pure JS" or "bufferutil". */
  variant: string;
  Receiver: new (options: { isServer: boolean }) => WsReceiver;
  frame(data: Buffer, options: WsFrameOptions): Buffer[];
}

/** Both copies; `bufferutil` is undefined when its native addon did not load. */
export interface WsPeers {
  pure: WsPeer;
  bufferutil: WsPeer | undefined;
  /** Why there is no bufferutil copy, if there is none. */
  note: string;
}

interface WsModule {
  Receiver: WsPeer["Receiver"];
  Sender: { frame: WsPeer["frame"] };
}

function peer(variant: string, ws: WsModule): WsPeer {
  return { variant, Receiver: ws.Receiver, frame: ws.Sender.frame };
}

/**
 * Loads the two copies of ws from `main`, its main file (see
 * `npmPackageMain`). Call once, before anything else loads ws.
 */
export function loadWsPeers(main: string): WsPeers {
  const require = createRequire(import.meta.url);
  const dir = main.slice(0, main.lastIndexOf("/") + 1);

  process.env.WS_NO_BUFFER_UTIL = "1";
  const pure = require(main) as WsModule;
  const pureUtil = require(`${dir}lib/buffer-util.js`) as { unmask: unknown };
  if (String(pureUtil.unmask).includes("bufferUtil")) {
    throw new Error("Cannot load ws on its pure-JS path: it was loaded before");
  }
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(dir)) delete require.cache[key];
  }
  delete process.env.WS_NO_BUFFER_UTIL;

  let note = "";
  let native: WsPeer | undefined;
  try {
    const bufferutil = require("bufferutil") as { mask: unknown };
    const ws = require(main) as WsModule;
    const util = require(`${dir}lib/buffer-util.js`) as { unmask: unknown };
    if (!String(bufferutil.mask).includes("[native code]")) {
      note = "bufferutil loaded its JS fallback, not the native addon";
    } else if (!String(util.unmask).includes("bufferUtil")) {
      note = "ws did not pick up bufferutil";
    } else {
      native = peer("bufferutil", ws);
    }
  } catch (error) {
    note = `bufferutil did not load: ${error}`;
  }
  return { pure: peer("pure JS", pure), bufferutil: native, note };
}

/** A Buffer view of `bytes` (no copy). */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
