// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: how a codec connection keeps its state small. A server holds
// thousands of idle connections, and on V8 every field of an object takes
// 8 bytes (Node has no pointer compression) whether it is used or not:
// the yes/no state is bits of one number, and what an idle connection
// never uses lives in an object of its own, made on first use. The
// classes of `_inbox.ts`, `_codec_sender.ts`, `_codec_receiver.ts` and
// `_codec_connection.ts` read and write both through small accessors
// named as the fields were.

import type { Resolvers } from "../_internal/resolvers.ts";
import type { Queue } from "../_internal/queue.ts";
import type { WsFrame } from "./frame.ts";
import type { WsMessage } from "./message.ts";
import type { WsCloseInfo } from "./connection.ts";
import type {
  DirectIterator,
  EachReader,
  MessageResult,
} from "./_direct_iterator.ts";

// Bits of a connection's `_flags`.
// The inbox (`_inbox.ts`):
/** A reader got messages and has not asked for the next one since. */
export const UNANSWERED = 1 << 0;
/** Messages are still accepted (not cancelled, not torn down). */
export const READABLE_OPEN = 1 << 1;
/** No message will come anymore (once the queue is read). */
export const INBOX_ENDED = 1 << 2;
// The sending half (`_codec_sender.ts`):
/** This end is a client (it masks its frames). */
export const IS_CLIENT = 1 << 3;
/** Our close frame is sent (or queued). */
export const CLOSE_SENT = 1 << 4;
/** The transport is closed: queued control frames are dropped. */
export const TRANSPORT_CLOSED = 1 << 5;
/** An asynchronous job (compression, Blob reading) runs. */
export const BUSY = 1 << 6;
/** A pong is on its way (queued or being written). */
export const PONG_IN_FLIGHT = 1 << 7;
// The receiving half (`_codec_receiver.ts`):
/** Reading has stopped: the end of input, or a read failed. */
export const INPUT_ENDED = 1 << 8;
/** The parser unmasks in place, in chunks it may not keep. */
export const LEND = 1 << 9;
/** The transport's chunks are allocated per read, never reused. */
export const FRESH_CHUNKS = 1 << 10;
/** A fragmented message goes through the message decoder stream. */
export const ASSEMBLING = 1 << 11;
/** Frames are still decoded (no protocol error yet). */
export const DECODING = 1 << 12;
/** The peer's close frame arrived. */
export const PEER_CLOSED = 1 << 13;
/** Reading is paused for backpressure. */
export const PAUSED = 1 << 14;
/** Something arrived since the last tick of the heartbeat. */
export const HEARD = 1 << 15;
// The connection (`_codec_connection.ts`):
/** `closed` has settled. */
export const CLOSED_SETTLED = 1 << 16;
/**
 * A `forEachMessage` handler holds the messages and waits for none: the
 * next message goes to it at once, with no queue and no promise.
 */
export const EACH_IDLE = 1 << 17;

/**
 * The slots of a codec connection that most connections never use, or use
 * only while closing: made on the first that is set.
 */
export class CodecExtras {
  // The inbox.
  /** Unread messages (made on the first that has to wait). */
  inbox: Queue<string | Uint8Array> | undefined = undefined;
  /** What a reader waiting for the next message gets, and its resolver. */
  waiting: Promise<MessageResult> | undefined = undefined;
  resolveWaiting: ((result: MessageResult) => void) | undefined = undefined;
  stream: ReadableStream<string | Uint8Array> | undefined = undefined;
  /**
   * The fast async iterator or the `forEachMessage` handler, while it holds
   * the messages (a lock).
   */
  iterator: DirectIterator | EachReader | undefined = undefined;
  /** Locks `stream` while the fast iterator runs, when both exist. */
  iteratorLock: ReadableStreamDefaultReader<string | Uint8Array> | undefined =
    undefined;
  // The sending half.
  /** Settles once our close frame is written (or could not be). */
  closeWritten: Promise<void> | undefined = undefined;
  /** `send()` calls waiting for `bufferedAmount` to come down. */
  drainWaiters: Resolvers<void>[] | undefined = undefined;
  /** Jobs waiting behind an asynchronous one. */
  jobs: Queue<() => void | Promise<void>> | undefined = undefined;
  /** The latest ping that came while a pong was on its way. */
  nextPong: Uint8Array | undefined = undefined;
  // The receiving half.
  /** Made only when a teardown waits for the input to end. */
  onInputEnded: (() => void) | undefined = undefined;
  /** The message decoder stream, for fragmented and compressed messages. */
  assemblerWriter: WritableStreamDefaultWriter<WsFrame> | undefined = undefined;
  assemblerReader: ReadableStreamDefaultReader<WsMessage> | undefined =
    undefined;
  pendingRead: Promise<ReadableStreamReadResult<WsMessage>> | undefined =
    undefined;
  /** A protocol error held back until the reader took what came before. */
  failLater:
    | { error: unknown; timer: ReturnType<typeof setTimeout> }
    | undefined = undefined;
  /** Resumes reading paused for backpressure. */
  wake: (() => void) | undefined = undefined;
  // The connection.
  boundClose: ((code?: number, reason?: string) => Promise<void>) | undefined =
    undefined;
  closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  closing: Promise<void> | undefined = undefined;
  /** `closed`, made when first asked for (or settled, at the end). */
  closed: Promise<WsCloseInfo> | undefined = undefined;
  resolveClosed: ((info: WsCloseInfo) => void) | undefined = undefined;
}
