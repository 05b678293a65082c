import { serveWebsocketd } from "../../examples/websocketd/serve.ts";
Deno.test("tmp", async () => {
  await using s = serveWebsocketd({ port: 0, command: "sh", args: ["-c", "echo bye; exit 3"], onBridge(b) {
    b.finished.then((r) => console.log("finished", r));
  }});
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`);
  ws.onopen = () => ws.send("Ann");
  ws.onmessage = (e) => console.log("msg", e.data);
  await new Promise((r) => ws.onclose = (e) => { console.log("close", e.code, e.reason); r(0); });
});
