import { serveWebsocketd } from "../../examples/websocketd/serve.ts";
const s = serveWebsocketd({ port: 18941, command: "sh", args: ["-c", Deno.args[0]!], onBridge(b) {
  b.finished.then((r) => console.log("finished", r));
}, onListen() { console.log("listening"); }});
setTimeout(async () => { await s.shutdown(); console.log("shut"); }, 2000);
await s.server.finished;
console.log("finished server");
