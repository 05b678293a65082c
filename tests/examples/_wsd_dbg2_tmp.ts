import { acceptWebSocket } from "../../ws/accept_web_socket.ts";
const mode = Deno.args[0];
const server = Deno.serve({ port: 18942, onListen() { console.log("listening"); } }, async (req) => {
  if (mode === "raw") {
    const { response, socket } = Deno.upgradeWebSocket(req);
    if (Deno.args[1] === "early") socket.close(1011, "early");
    socket.onopen = () => { console.log("server open, state", socket.readyState); try { socket.close(1011, "early"); } catch (e) { console.log("close threw", String(e)); } };
    socket.onclose = (e) => console.log("server close", e.code, e.reason);
    return response;
  }
  const { response, connection } = await acceptWebSocket(req);
  void connection!.close(1011, "early");
  connection!.closed.then((c) => console.log("server closed", c));
  return response;
});
setTimeout(async () => { await server.shutdown(); console.log("shut"); }, 2000);
