// Records a V8 CPU profile of the Worker's isolate through wrangler dev's inspector port, for
// `scripts/bench --profile` (not run by tests).
//   node scripts/profile-inspector.mjs <inspector port> <seconds> <out.cpuprofile>
import { writeFileSync } from "node:fs";

const [port, seconds, out] = process.argv.slice(2);
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
// The inspector proxy wants an Origin it knows.
const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } });
const pending = new Map();
let next = 0;
ws.onmessage = (message) => {
  const reply = JSON.parse(message.data);
  pending.get(reply.id)?.(reply);
  pending.delete(reply.id);
};
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = () => reject(new Error("inspector connection refused"));
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 200 });
await send("Profiler.start");
console.log("profiling");
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
const { result } = await send("Profiler.stop");
writeFileSync(out, JSON.stringify(result.profile));
process.exit(0);
