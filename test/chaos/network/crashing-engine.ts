/**
 * An engine that dies mid-run, for the recover test: it builds a host network with a node in each host and
 * a Toxiproxy link, journals and injects a partition and a latency fault, journals the intent of a third
 * fault and injects it without journaling the result (as if killed inside inject), prints "ready" and waits
 * to be SIGKILLed. Run compiled: node dist/test/chaos/network/crashing-engine.js <stateDir> <journal> <id>
 */
import { join } from "node:path";
import type { JsonObject, Target } from "../../../chaos/experiment/fault-unit.js";
import { networkFaultUnits } from "../../../chaos/faults/network/index.js";
import { ToxiproxyServer } from "../../../chaos/faults/network/toxiproxy.js";
import { FileJournal } from "../../../chaos/journal/write-ahead.js";
import { HostNetwork } from "../../../chaos/netns/network.js";
import { PidRegistry } from "../../../chaos/supervisor/pid-registry.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { httpServerNode, NODE_PORT } from "./hosts.js";

const [stateDir, journalPath, id] = process.argv.slice(2) as [string, string, string];
const nodes = ["n1", "n2", "n3"];
const network = await HostNetwork.create(
  nodes.map((node) => ({ node, ports: { http: NODE_PORT } })),
  { stateDir, id },
);
const registry = new PidRegistry(join(stateDir, "pids.jsonl"));
await new Supervisor({ registry }).start(nodes.map((node) => httpServerNode(network, node)));
const toxiproxy = await ToxiproxyServer.start({ stateDir, id, registry });
await toxiproxy.addLink("engine", "n2", { host: network.host("n2").address, port: NODE_PORT });

const journal = new FileJournal(journalPath);
const units = Object.fromEntries(networkFaultUnits({ stateDir }).map((unit) => [unit.name, unit]));
const signal = new AbortController().signal;
const runId = "crashed-run";

async function act(actionId: string, fault: string, target: Target, config: JsonObject, confirm: boolean) {
  journal.append({ type: "intent", runId, actionId, fault, target, config, timeMillis: Date.now() });
  const injection = await units[fault]?.inject(target, config, signal);
  if (confirm && injection !== undefined) {
    journal.append({ type: "injected", runId, actionId, injection, timeMillis: Date.now() });
  }
}

await act("cut", "partition", {}, { kind: "isolate", node: "n1" }, true);
await act("slow", "latency", { link: { from: "engine", to: "n2" } }, { latencyMillis: 300 }, true);
await act("one-way", "partition", {}, { kind: "one-way", from: ["n2"], to: ["n3"] }, false);
console.log("ready");
setInterval(() => {}, 60_000);
