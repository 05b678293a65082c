// Copyright 2026 the serverpush authors. MIT license.

/**
 * `GET /ws/chat`: a chat room over WebSocket. Every tab that joins gets the
 * recent history and then every message anyone posts: the broadcast pattern
 * of a price server, where one publisher fans out to all connections.
 *
 * The wire format is JSON text, one object per message:
 *
 * - client to server: `{ "type": "say", "name": "Ada", "text": "hi" }`;
 * - server to client: `{ "type": "welcome", "history": [...], "online": 2 }`
 *   once, then `{ "type": "message", "message": { id, name, text, at } }`,
 *   `{ "type": "presence", "online": 3 }` and, for a refused post,
 *   `{ "type": "error", "error": "..." }`.
 *
 * Everything a client can grow is bounded: the history (`historySize`), the
 * text (`maxTextLength`, refused with an error message), each WebSocket
 * message (4 KiB, close 1009), and the sends queued to a member that stops
 * reading (`maxPendingSends`, then close 1013). A message that is not JSON
 * of the shape above closes with 1007; a binary one with 1003.
 *
 * @module
 */

import {
  acceptWebSocket,
  jsonCodec,
  withCodec,
  type WsConnection,
} from "../../ws/mod.ts";

/** One posted chat message. */
export interface ChatMessage {
  /** Sequence number, from 1. */
  id: number;
  /** Who posted it. */
  name: string;
  /** What they said. */
  text: string;
  /** `Date.now()` when the server received it. */
  at: number;
}

/** What a client sends: one post. */
export interface ChatPost {
  type: "say";
  name: string;
  text: string;
}

/** What the server sends. */
export type ChatServerMessage =
  | { type: "welcome"; history: ChatMessage[]; online: number }
  | { type: "message"; message: ChatMessage }
  | { type: "presence"; online: number }
  | { type: "error"; error: string };

/** Options for {@linkcode createChatRoom}. */
export interface ChatRoomOptions {
  /**
   * How many recent messages a joining member receives.
   *
   * @default {50}
   */
  historySize?: number;
  /**
   * Longest text accepted, in UTF-16 code units; longer posts are refused
   * with an error message to their author.
   *
   * @default {280}
   */
  maxTextLength?: number;
  /**
   * Longest name accepted.
   *
   * @default {24}
   */
  maxNameLength?: number;
  /**
   * Sends to one member that may wait for its network at once; a member
   * that falls further behind is disconnected with 1013.
   *
   * @default {64}
   */
  maxPendingSends?: number;
  /**
   * Messages of an earlier run, oldest first (the newest `historySize` are
   * kept); ids continue after the last one.
   *
   * @default {[]}
   */
  history?: readonly ChatMessage[];
  /**
   * Called with every message posted, after members have it queued; the
   * demo stores it so that a restarted server keeps the history.
   *
   * @default {undefined}
   */
  onMessage?: (message: ChatMessage) => void;
}

/** A running chat room. See {@linkcode createChatRoom}. */
export interface ChatRoom {
  /** How many members are connected. */
  readonly online: number;
  /** The recent messages, oldest first. */
  readonly history: readonly ChatMessage[];
  /** Answers a `GET /ws/chat` request: upgrades it and joins the room. */
  accept(request: Request): Promise<Response>;
  /** Closes every member's connection with 1001 and waits for them. */
  close(): Promise<void>;
}

/** Largest WebSocket message a member may send, in bytes. */
const MAX_MESSAGE_BYTES = 4096;

interface Member {
  connection: WsConnection;
  pending: number;
}

/** Checks that a decoded value is a {@linkcode ChatPost}. */
function parsePost(value: unknown): ChatPost {
  const post = value as Partial<ChatPost> | null;
  if (
    typeof post !== "object" || post === null || post.type !== "say" ||
    typeof post.name !== "string" || typeof post.text !== "string"
  ) {
    throw new TypeError(
      'Cannot decode message: expected {"type":"say","name","text"}',
    );
  }
  return { type: "say", name: post.name, text: post.text };
}

/**
 * Creates a chat room, empty or with the history of an earlier run.
 *
 * @param options History size and limits.
 * @returns The room.
 */
export function createChatRoom(options: ChatRoomOptions = {}): ChatRoom {
  const {
    historySize = 50,
    maxTextLength = 280,
    maxNameLength = 24,
    maxPendingSends = 64,
  } = options;
  const members = new Set<Member>();
  const history: ChatMessage[] = (options.history ?? []).slice(-historySize);
  const codec = jsonCodec(parsePost);
  let lastId = history.at(-1)?.id ?? 0;

  /** Sends already-encoded text; a member that lags too far is dropped. */
  function sendTo(member: Member, text: string): void {
    if (member.pending >= maxPendingSends) {
      void member.connection.close(1013, "Cannot keep up: too far behind");
      return;
    }
    member.pending++;
    member.connection.send(text).then(
      () => member.pending--,
      // The member left while the data waited: its loop ends on its own.
      () => member.pending--,
    );
  }

  /** Encodes once, then hands the same text to every member. */
  function broadcast(message: ChatServerMessage): void {
    const text = JSON.stringify(message);
    for (const member of members) sendTo(member, text);
  }

  function post(member: Member, { name, text }: ChatPost): void {
    const cleanName = name.trim() || "anonymous";
    const cleanText = text.trim();
    let error: string | undefined;
    if (cleanText === "") error = "Cannot post message: it is empty";
    else if (cleanText.length > maxTextLength) {
      error =
        `Cannot post message: it is longer than ${maxTextLength} characters`;
    } else if (cleanName.length > maxNameLength) {
      error =
        `Cannot post message: the name is longer than ${maxNameLength} characters`;
    }
    if (error !== undefined) {
      sendTo(member, JSON.stringify({ type: "error", error }));
      return;
    }
    const message: ChatMessage = {
      id: ++lastId,
      name: cleanName,
      text: cleanText,
      at: Date.now(),
    };
    history.push(message);
    if (history.length > historySize) history.shift();
    broadcast({ type: "message", message });
    options.onMessage?.(message);
  }

  async function join(connection: WsConnection): Promise<void> {
    const member: Member = { connection, pending: 0 };
    members.add(member);
    sendTo(
      member,
      JSON.stringify({ type: "welcome", history, online: members.size }),
    );
    broadcast({ type: "presence", online: members.size });
    try {
      for await (const chatPost of withCodec(connection, codec)) {
        post(member, chatPost);
      }
    } finally {
      members.delete(member);
      broadcast({ type: "presence", online: members.size });
    }
  }

  return {
    get online(): number {
      return members.size;
    },
    get history(): readonly ChatMessage[] {
      return history;
    },
    async accept(request: Request): Promise<Response> {
      const { response, connection } = await acceptWebSocket(request, {
        maxMessageBytes: MAX_MESSAGE_BYTES,
      });
      if (connection !== undefined) void join(connection);
      return response;
    },
    async close(): Promise<void> {
      const closing = [...members].map((member) =>
        member.connection.close(1001, "Server shutting down")
      );
      await Promise.all(closing);
    },
  };
}
