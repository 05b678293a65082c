// Copyright 2026 the serverpush authors. MIT license.
// The "real-time quotes" table: one row per symbol, built on first use.

import { sparkline } from "./sparkline.js";

const PRICE = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/**
 * Returns `update(snapshot)`, which renders a quote snapshot into `tbody`.
 *
 * @param {HTMLTableSectionElement} tbody
 */
export function quotesTable(tbody) {
  const rows = new Map();

  function row(symbol) {
    let entry = rows.get(symbol);
    if (entry !== undefined) return entry;
    const tr = document.createElement("tr");
    tr.dataset.symbol = symbol;
    tr.innerHTML = '<th scope="row"></th><td class="num price"></td>' +
      '<td class="num change"></td><td class="trend"><svg class="spark" ' +
      'viewBox="0 0 100 24" preserveAspectRatio="none"><polyline ' +
      'points=""/></svg></td>';
    tr.querySelector("th").textContent = symbol;
    tbody.append(tr);
    entry = {
      tr,
      price: tr.querySelector(".price"),
      change: tr.querySelector(".change"),
      draw: sparkline(tr.querySelector("polyline")),
    };
    rows.set(symbol, entry);
    return entry;
  }

  return (snapshot) => {
    for (const { symbol, price, change } of snapshot.quotes) {
      const entry = row(symbol);
      const direction = change > 0 ? "up" : change < 0 ? "down" : "flat";
      entry.price.textContent = PRICE.format(price);
      entry.change.textContent = `${change > 0 ? "+" : ""}${
        PRICE.format(change)
      }`;
      entry.tr.dataset.direction = direction;
      entry.tr.dataset.step = String(snapshot.step);
      entry.price.classList.remove("flash-up", "flash-down");
      // Restart the flash animation.
      void entry.price.offsetWidth;
      if (direction !== "flat") entry.price.classList.add(`flash-${direction}`);
      entry.draw(price);
    }
  };
}
