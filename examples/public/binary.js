// Copyright 2026 the serverpush authors. MIT license.
// The binary round trip panel: draws an image on a canvas, sends its PNG
// bytes as an ArrayBuffer to /ws/binary, and shows the bytes that come back.
// State is kept in `window.__demo.binary` for the browser tests.

import { socketUrl } from "./chat.js";

const BYTES = new Intl.NumberFormat("en-US");
const PALETTE = ["#4f46e5", "#0f9d58", "#f29900", "#d93025", "#0891b2"];

/** A small deterministic generator, so drawing `n` looks the same each time. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function draw(canvas, n) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  const next = random(n * 7919);
  const sky = ctx.createLinearGradient(0, 0, width, height);
  sky.addColorStop(0, "#1e1b4b");
  sky.addColorStop(1, "#4338ca");
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 9; i++) {
    ctx.globalAlpha = 0.35 + next() * 0.5;
    ctx.fillStyle = PALETTE[Math.floor(next() * PALETTE.length)];
    ctx.beginPath();
    ctx.arc(next() * width, next() * height, 8 + next() * 34, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#fff";
  ctx.font = "600 18px system-ui, sans-serif";
  ctx.fillText(`image #${n}`, 14, height - 16);
}

function equal(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Binds the binary panel inside `section` and connects it.
 *
 * @param {HTMLElement} section The WebSocket `<section>`.
 */
export function connectBinary(section) {
  const canvas = section.querySelector('[data-role="source"]');
  const image = section.querySelector('[data-role="echo"]');
  const stats = section.querySelector('[data-role="binary-stats"]');
  const button = section.querySelector('[data-role="draw"]');

  const record = {
    state: "connecting",
    roundTrips: 0,
    lastBytes: 0,
    identical: false,
  };
  globalThis.__demo ??= {};
  globalThis.__demo.binary = record;

  let socket;
  let drawn = 0;
  let sent;
  let sentAt = 0;
  let objectUrl;

  async function sendNext() {
    if (socket?.readyState !== WebSocket.OPEN) return;
    drawn += 1;
    draw(canvas, drawn);
    const blob = await new Promise((resolve) =>
      canvas.toBlob(resolve, "image/png")
    );
    const buffer = await blob.arrayBuffer();
    sent = new Uint8Array(buffer);
    sentAt = performance.now();
    socket.send(buffer);
  }

  function received(buffer) {
    const ms = performance.now() - sentAt;
    const bytes = new Uint8Array(buffer);
    record.roundTrips += 1;
    record.lastBytes = bytes.byteLength;
    record.identical = sent !== undefined && equal(bytes, sent);
    if (objectUrl !== undefined) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(new Blob([buffer], { type: "image/png" }));
    image.src = objectUrl;
    stats.textContent = `${BYTES.format(bytes.byteLength)} bytes · ` +
      `${ms.toFixed(1)} ms · ` +
      (record.identical ? "identical ✓" : "different ✗");
    stats.dataset.identical = String(record.identical);
  }

  function connect() {
    socket = new WebSocket(socketUrl("/ws/binary"));
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => {
      record.state = "open";
      sendNext();
    });
    socket.addEventListener("message", (event) => received(event.data));
    socket.addEventListener("close", () => {
      record.state = "reconnecting";
      setTimeout(connect, 1000);
    });
  }

  button.addEventListener("click", () => sendNext());
  connect();
}
