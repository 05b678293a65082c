// Copyright 2026 the serverpush authors. MIT license.
// Demo page entry: wires each transport panel to its renderers.

import { trackConnection } from "./connection.js";
import { quotesTable } from "./quotes.js";
import { dashboard } from "./dashboard.js";
import { connectChat } from "./chat.js";
import { connectBinary } from "./binary.js";

function connectSse(section) {
  const conn = trackConnection(section, "sse");
  const renderQuotes = quotesTable(
    section.querySelector('[data-role="quotes"]'),
  );
  const renderDashboard = dashboard(
    section.querySelector('[data-role="dashboard"]'),
  );

  // The browser's own EventSource: it reconnects by itself after the
  // server's `retry:` delay and sends the last id it saw as Last-Event-ID.
  const source = new EventSource("/sse");
  let opened = false;
  source.addEventListener("open", () => {
    if (opened) conn.reconnected();
    opened = true;
    conn.setState("open");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) conn.setState("closed");
    else conn.setState(opened ? "reconnecting" : "connecting");
  });
  source.addEventListener("quote", (event) => {
    const snapshot = JSON.parse(event.data);
    conn.received(
      event.lastEventId,
      "quote",
      snapshot.quotes.map((q) => `${q.symbol} ${q.price.toFixed(2)}`).join(
        " · ",
      ),
    );
    renderQuotes(snapshot);
  });
  source.addEventListener("telemetry", (event) => {
    const snapshot = JSON.parse(event.data);
    conn.received(
      event.lastEventId,
      "telemetry",
      `${snapshot.temperature.toFixed(1)} °C · ${
        snapshot.voltage.toFixed(2)
      } V` +
        (snapshot.leds.alarm ? " · ALARM" : ""),
    );
    renderDashboard(snapshot);
  });
}

connectSse(document.getElementById("sse"));
connectChat(document.getElementById("websocket"));
connectBinary(document.getElementById("websocket"));
