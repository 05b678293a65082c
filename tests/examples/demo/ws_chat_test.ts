// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  type ChatRoom,
  type ChatRoomOptions,
  type ChatServerMessage,
  createChatRoom,
} from "../../../examples/demo/ws_chat.ts";

/** A chat room on its own Deno.serve. */
function serveRoom(options: ChatRoomOptions = {}): {
  room: ChatRoom;
  url: string;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const room = createChatRoom(options);
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    (request) => room.accept(request),
  );
  return {
    room,
    url: `ws://127.0.0.1:${server.addr.port}/ws/chat`,
    async [Symbol.asyncDispose](): Promise<void> {
      await room.close();
      await server.shutdown();
    },
  };
}

/** A chat member: a Deno WebSocket with a queue of decoded messages. */
interface Member {
  say(text: string, name?: string): void;
  sendRaw(data: string | Uint8Array): void;
  /** The next server message of `type`, skipping others. */
  next<T extends ChatServerMessage["type"]>(
    type: T,
  ): Promise<Extract<ChatServerMessage, { type: T }>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

async function join(url: string, name = "ada"): Promise<Member> {
  const socket = new WebSocket(url);
  const queue: ChatServerMessage[] = [];
  const waiters: (() => void)[] = [];
  socket.onmessage = (event) => {
    queue.push(JSON.parse(event.data));
    for (const wake of waiters.splice(0)) wake();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.onclose = (event) => {
      resolve({ code: event.code, reason: event.reason });
      for (const wake of waiters.splice(0)) wake();
    };
  });
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("Cannot join chat"));
  });
  return {
    say(text, as = name): void {
      socket.send(JSON.stringify({ type: "say", name: as, text }));
    },
    sendRaw(data): void {
      socket.send(data);
    },
    async next(type) {
      while (true) {
        const index = queue.findIndex((m) => m.type === type);
        if (index >= 0) {
          // deno-lint-ignore no-explicit-any
          return queue.splice(0, index + 1).at(-1) as any;
        }
        if (socket.readyState === WebSocket.CLOSED) {
          throw new Error(`Cannot read ${type}: the connection closed`);
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    closed,
    async close(): Promise<void> {
      socket.close(1000);
      await closed;
    },
  };
}

Deno.test("createChatRoom welcomes a member with the history and the number online", async () => {
  await using chat = serveRoom();
  const ada = await join(chat.url, "ada");
  const first = await ada.next("welcome");
  deepStrictEqual(first, { type: "welcome", history: [], online: 1 });
  ada.say("one");
  ada.say("two");
  await ada.next("message");
  await ada.next("message");

  const bob = await join(chat.url, "bob");
  const welcome = await bob.next("welcome");
  deepStrictEqual(welcome.history.map((m) => [m.id, m.name, m.text]), [
    [1, "ada", "one"],
    [2, "ada", "two"],
  ]);
  strictEqual(welcome.online, 2);
  deepStrictEqual(await ada.next("presence"), { type: "presence", online: 2 });
  await bob.close();
  deepStrictEqual(await ada.next("presence"), { type: "presence", online: 1 });
  await ada.close();
});

Deno.test("createChatRoom broadcasts each post to every member, its author included", async () => {
  await using chat = serveRoom();
  const ada = await join(chat.url, "ada");
  const bob = await join(chat.url, "bob");
  bob.say("  hello ada  ");
  for (const member of [ada, bob]) {
    const { message } = await member.next("message");
    strictEqual(message.name, "bob");
    strictEqual(message.text, "hello ada");
    strictEqual(message.id, 1);
  }
  await Promise.all([ada.close(), bob.close()]);
});

Deno.test("createChatRoom keeps only the newest historySize messages", async () => {
  await using chat = serveRoom({ historySize: 3 });
  const ada = await join(chat.url);
  for (let i = 1; i <= 5; i++) ada.say(`m${i}`);
  for (let i = 1; i <= 5; i++) await ada.next("message");
  deepStrictEqual(chat.room.history.map((m) => m.text), ["m3", "m4", "m5"]);
  const bob = await join(chat.url);
  deepStrictEqual(
    (await bob.next("welcome")).history.map((m) => m.text),
    ["m3", "m4", "m5"],
  );
  await Promise.all([ada.close(), bob.close()]);
});

Deno.test("createChatRoom refuses a text over maxTextLength and keeps the member", async () => {
  await using chat = serveRoom({ maxTextLength: 10 });
  const ada = await join(chat.url);
  ada.say("x".repeat(11));
  deepStrictEqual(await ada.next("error"), {
    type: "error",
    error: "Cannot post message: it is longer than 10 characters",
  });
  ada.say("x".repeat(10));
  strictEqual((await ada.next("message")).message.text, "x".repeat(10));
  strictEqual(chat.room.history.length, 1);
  await ada.close();
});

Deno.test("createChatRoom refuses an empty text and a name that is too long", async () => {
  await using chat = serveRoom({ maxNameLength: 4 });
  const ada = await join(chat.url);
  ada.say("   ");
  strictEqual(
    (await ada.next("error")).error,
    "Cannot post message: it is empty",
  );
  ada.say("hi", "abcde");
  strictEqual(
    (await ada.next("error")).error,
    "Cannot post message: the name is longer than 4 characters",
  );
  strictEqual(chat.room.history.length, 0);
  await ada.close();
});

Deno.test("createChatRoom closes with 1007 on a message that is not a post", async () => {
  await using chat = serveRoom();
  const ada = await join(chat.url);
  ada.sendRaw('{"type":"shout"}');
  strictEqual((await ada.closed).code, 1007);
});

Deno.test("createChatRoom closes with 1009 on a WebSocket message over 4 KiB", async () => {
  await using chat = serveRoom();
  const ada = await join(chat.url);
  ada.say("x".repeat(5000));
  strictEqual((await ada.closed).code, 1009);
});

Deno.test("createChatRoom refuses an upgrade from another origin with 403", async () => {
  await using chat = serveRoom();
  const response = await fetch(chat.url.replace("ws:", "http:"), {
    headers: {
      origin: "http://evil.example",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    },
  });
  strictEqual(response.status, 403);
  await response.body?.cancel();
  strictEqual(chat.room.online, 0);
});

Deno.test("createChatRoom close() closes every member with 1001", async () => {
  await using chat = serveRoom();
  const ada = await join(chat.url);
  const bob = await join(chat.url);
  await chat.room.close();
  for (const member of [ada, bob]) {
    const { code } = await member.closed;
    strictEqual(code, 1001);
  }
});
