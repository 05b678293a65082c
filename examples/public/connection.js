// Copyright 2026 the serverpush authors. MIT license.
// Connection status for one transport panel: state pill, reconnection
// counter, last event id and a record of every event id received, kept in
// `window.__demo[transport]` so the browser tests can read it.

const MAX_RECORDED_IDS = 10_000;
const MAX_LOG_ITEMS = 12;

/**
 * Binds the status widgets inside `section` and returns a tracker.
 *
 * @param {HTMLElement} section The transport's `<section>`.
 * @param {string} transport Key under `window.__demo`, e.g. "sse".
 */
export function trackConnection(section, transport) {
  const conn = section.querySelector('[data-role="conn"]');
  const stateText = conn.querySelector('[data-role="state"]');
  const reconnectsText = conn.querySelector('[data-role="reconnects"]');
  const lastIdText = conn.querySelector('[data-role="last-id"]');
  const countText = conn.querySelector('[data-role="count"]');
  const log = section.querySelector('[data-role="log"]');

  const record = {
    state: "connecting",
    reconnects: 0,
    lastId: "",
    count: 0,
    /** Every event id received, in order (the newest 10,000). */
    received: [],
  };
  globalThis.__demo ??= {};
  globalThis.__demo[transport] = record;

  return {
    /** @param {"connecting" | "open" | "reconnecting" | "closed"} state */
    setState(state) {
      record.state = state;
      conn.dataset.state = state;
      stateText.textContent = state;
    },
    reconnected() {
      record.reconnects += 1;
      conn.dataset.reconnects = String(record.reconnects);
      reconnectsText.textContent = String(record.reconnects);
    },
    /**
     * @param {string} id The event's id.
     * @param {string} type The event's type.
     * @param {string} summary A few words for the log.
     */
    received(id, type, summary) {
      record.lastId = id;
      record.count += 1;
      record.received.push(Number(id));
      if (record.received.length > MAX_RECORDED_IDS) record.received.shift();
      conn.dataset.lastId = id;
      lastIdText.textContent = id;
      countText.textContent = String(record.count);
      const item = document.createElement("li");
      item.innerHTML = '<span class="id"></span><span class="type"></span>' +
        '<span class="summary"></span>';
      item.children[0].textContent = `#${id}`;
      item.children[1].textContent = type;
      item.children[2].textContent = summary;
      log.prepend(item);
      while (log.children.length > MAX_LOG_ITEMS) log.lastElementChild.remove();
    },
  };
}
