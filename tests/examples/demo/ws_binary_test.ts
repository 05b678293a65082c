// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  handleBinaryEcho,
  MAX_IMAGE_BYTES,
} from "../../../examples/demo/ws_binary.ts";

function serveEcho(): { url: string; [Symbol.asyncDispose](): Promise<void> } {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    handleBinaryEcho,
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws/binary`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

interface Client {
  socket: WebSocket;
  messages: ArrayBuffer[];
  next(): Promise<ArrayBuffer>;
  closed: Promise<CloseEvent>;
}

async function connect(url: string): Promise<Client> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const messages: ArrayBuffer[] = [];
  let wake: (() => void) | undefined;
  socket.onmessage = (event) => {
    messages.push(event.data);
    wake?.();
  };
  const closed = new Promise<CloseEvent>((resolve) => {
    socket.onclose = resolve;
  });
  await new Promise((resolve) => socket.onopen = resolve);
  return {
    socket,
    messages,
    async next(): Promise<ArrayBuffer> {
      while (messages.length === 0) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      return messages.shift()!;
    },
    closed,
  };
}

Deno.test("handleBinaryEcho returns every binary message unchanged", async () => {
  await using server = serveEcho();
  const client = await connect(server.url);
  const image = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
  client.socket.send(image);
  client.socket.send(new Uint8Array(0));
  deepStrictEqual(new Uint8Array(await client.next()), image);
  strictEqual((await client.next()).byteLength, 0);
  client.socket.close(1000);
  await client.closed;
});

Deno.test("handleBinaryEcho closes with 1003 on a text message", async () => {
  await using server = serveEcho();
  const client = await connect(server.url);
  client.socket.send("not an image");
  strictEqual((await client.closed).code, 1003);
});

Deno.test("handleBinaryEcho closes with 1009 on an image over 1 MiB", async () => {
  await using server = serveEcho();
  const client = await connect(server.url);
  client.socket.send(new Uint8Array(MAX_IMAGE_BYTES + 1));
  strictEqual((await client.closed).code, 1009);
});
