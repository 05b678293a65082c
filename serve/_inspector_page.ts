// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the inspector's page: one self-contained HTML document (inline
// style and script, no external asset) that reads the feed at `?feed` and
// shows connections, topics and recent events. Every value goes in with
// textContent: topic names and client ids come from clients.

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--dim:#5c6670;--line:#dde1e6;--accent:#0b6bcb;--bad:#c62828;--warn:#b26a00}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1f25;--ink:#e6e9ed;--dim:#9aa4ae;--line:#2c333b;--accent:#5aa9ff;--bad:#ff6b6b;--warn:#ffb74d}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--ink)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}
h1{font-size:1.1rem;margin:0}
h2{font-size:1rem;margin:0 0 .5rem}
#status{color:var(--dim)}
#status.live{color:var(--accent)}
main{padding:1rem;display:grid;gap:1rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:1000px){main{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}#connections{grid-column:1/-1}}
.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem;grid-column:1/-1}
.total{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem}
.total b{display:block;font-size:1.3rem;font-variant-numeric:tabular-nums}
.total span{color:var(--dim);font-size:.8rem}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.75rem;min-width:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap}
th{color:var(--dim);font-weight:600;font-size:.8rem}
td.n,th.n{text-align:right}
td.wrap{white-space:normal;word-break:break-all;min-width:8rem}
.empty{color:var(--dim);padding:.5rem 0}
ol{list-style:none;margin:0;padding:0;max-height:24rem;overflow-y:auto}
li{padding:.3rem 0;border-bottom:1px solid var(--line);word-break:break-word}
li time{color:var(--dim);font-variant-numeric:tabular-nums;margin-right:.5rem}
.kind{display:inline-block;min-width:4.5rem;font-weight:600}
.cut,.error{color:var(--bad)}.reset,.refused{color:var(--warn)}
@media (max-width:640px){
thead{display:none}
table,tbody,tr,td{display:block;width:100%}
tr{padding:.4rem 0;border-bottom:1px solid var(--line)}
td,td.n{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.1rem 0;text-align:right;white-space:normal;word-break:break-all}
td::before{content:attr(data-label);color:var(--dim);font-size:.8rem;text-align:left;white-space:nowrap}
td:first-child{font-weight:600}
}
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const num = (n) => n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
function bytes(n) {
  if (n === null || n === undefined) return "–";
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}
function age(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function cell(row, text, className, label) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.label = label;
  if (className) td.className = className;
  row.append(td);
}
function fill(id, rows, columns) {
  const body = $(id);
  const fresh = document.createElement("tbody");
  fresh.id = id;
  for (const item of rows) {
    const row = document.createElement("tr");
    for (const [read, className, label] of columns) {
      cell(row, read(item), className, label);
    }
    fresh.append(row);
  }
  body.replaceWith(fresh);
  $(id + "-empty").hidden = rows.length > 0;
}
const CONNECTION_COLUMNS = [
  [(c) => c.transport, "", "transport"],
  [(c) => c.remoteAddress ?? "–", "", "remote address"],
  [(c) => c.clientId ?? "–", "", "client id"],
  [(c) => c.topics.join(", ") || "–", "wrap", "topics"],
  [(c) => num(c.messagesIn) + " / " + bytes(c.bytesIn), "n", "in"],
  [(c) => num(c.messagesOut) + " / " + bytes(c.bytesOut), "n", "out"],
  [(c) => bytes(c.queuedBytes), "n", "queued"],
  [(c) => age(c.ageMs), "n", "age"],
];
const TOPIC_COLUMNS = [
  [(t) => t.topic, "wrap", "topic"],
  [(t) => num(t.subscribers), "n", "subscribers"],
  [(t) => num(t.retainedMessages) + " / " + bytes(t.retainedBytes), "n", "retained"],
  [(t) => num(t.messagesPerSecond), "n", "msgs/s"],
];
function render(s) {
  const t = s.totals;
  $("t-connections").textContent = num(t.connections);
  $("t-subscriptions").textContent = num(t.subscriptions);
  $("t-topics").textContent = num(t.topics);
  $("t-published").textContent = num(t.published);
  $("t-delivered").textContent = num(t.delivered);
  $("t-sent").textContent = bytes(t.bytesSent);
  $("t-cut").textContent = num(t.clientsCut);
  $("t-errors").textContent = num(t.backendErrors);
  fill("connection-rows", s.connections, CONNECTION_COLUMNS);
  fill("topic-rows", s.topics, TOPIC_COLUMNS);
  const list = document.createElement("ol");
  list.id = "events";
  for (const e of s.events.slice().reverse()) {
    const item = document.createElement("li");
    item.className = "event " + e.kind;
    const when = document.createElement("time");
    when.textContent = new Date(e.at).toLocaleTimeString();
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = e.kind + " " + e.reason;
    item.append(when, kind, document.createTextNode(" " + e.detail));
    list.append(item);
  }
  $("events").replaceWith(list);
  $("events-empty").hidden = s.events.length > 0;
  $("status").textContent = "live · " + new Date(s.at).toLocaleTimeString();
  $("status").className = "live";
}
const source = new EventSource(location.pathname + "?feed");
source.addEventListener("snapshot", (event) => render(JSON.parse(event.data)));
source.onerror = () => { $("status").textContent = "reconnecting…"; $("status").className = ""; };
`;

function total(id: string, label: string): string {
  return `<div class="total"><b id="${id}">–</b><span>${label}</span></div>`;
}

/** The page, with `nonce` on its style and script (see the CSP header). */
export function inspectorPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>serverpush inspector</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header><h1>serverpush inspector</h1><span id="status">connecting…</span></header>
<main>
<div class="totals">
${total("t-connections", "connections")}
${total("t-subscriptions", "subscriptions")}
${total("t-topics", "topics")}
${total("t-published", "published")}
${total("t-delivered", "delivered")}
${total("t-sent", "sent")}
${total("t-cut", "clients cut")}
${total("t-errors", "backend errors")}
</div>
<section id="connections"><h2>Connections</h2><div class="scroll"><table>
<thead><tr><th>transport</th><th>remote address</th><th>client id</th><th>topics</th><th class="n">in (msgs / bytes)</th><th class="n">out (msgs / bytes)</th><th class="n">queued</th><th class="n">age</th></tr></thead>
<tbody id="connection-rows"></tbody></table></div>
<p class="empty" id="connection-rows-empty">No connection.</p></section>
<section id="topics"><h2>Topics</h2><div class="scroll"><table>
<thead><tr><th>topic</th><th class="n">subscribers</th><th class="n">retained (msgs / bytes)</th><th class="n">msgs/s</th></tr></thead>
<tbody id="topic-rows"></tbody></table></div>
<p class="empty" id="topic-rows-empty">No topic with subscribers.</p></section>
<section id="recent"><h2>Recent events</h2><ol id="events"></ol>
<p class="empty" id="events-empty">Nothing yet: slow clients cut, resets, refused requests and errors show here.</p></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
