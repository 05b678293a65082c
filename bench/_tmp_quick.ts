import { decodeCandidates, encodeCandidates } from "./_ws_frame_cases.ts";
import { makeFrameBatch } from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";
const peers = loadWsPeers();
const [dir, size, count, masked] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2]), Deno.args[3] === "m"];
const batch = makeFrameBatch({ size, count, masked, seed: 1 });
const cands = dir === "d" ? decodeCandidates(batch, peers) : encodeCandidates(batch, peers);
for (let round = 0; round < 3; round++) {
  for (const c of cands) {
    let n = 0; const t = performance.now();
    while (performance.now() - t < 200) { await c.run(); n++; }
    const dt = performance.now() - t;
    if (round === 2) console.log(c.name.padEnd(45), ((dt * 1e6) / (n * count)).toFixed(1), "ns/frame");
  }
}
