import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type FaultContext, seededRandom } from "../chaos/faults/context.js";
import { partitionFault } from "../chaos/faults/network/partition.js";
import { createFaults } from "../chaos/faults/registry.js";
import { HostNetwork, netnsUnavailableReason } from "../chaos/netns/network.js";
import { freePort } from "../chaos/ports.js";
import type { NodeSpec } from "../chaos/supervisor/node-spec.js";
import { httpProbe } from "../chaos/supervisor/probes.js";
import { Supervisor } from "../chaos/supervisor/supervisor.js";

/** Milliseconds from calling inject to verify confirming the fault, over several rounds. */
export interface InjectToVerified {
  readonly rounds: number;
  readonly medianMillis: number;
  readonly p95Millis: number;
  readonly maxMillis: number;
}

const HOST_PORT = 7000;

/** A node answering HTTP on its host's own address, inside its namespace. */
function hostNode(network: HostNetwork, node: string): NodeSpec {
  const host = network.host(node);
  return {
    name: node,
    role: "bench",
    command: process.execPath,
    args: [
      "-e",
      `require("node:http").createServer((q, r) => r.end()).listen(${HOST_PORT}, "${host.address}")`,
    ],
    netns: host.namespace,
    host: host.address,
    ports: { http: HOST_PORT },
    health: httpProbe(`http://${host.address}:${HOST_PORT}/`),
  };
}

async function plainNode(): Promise<NodeSpec> {
  const port = await freePort();
  return {
    name: "target",
    role: "bench",
    command: process.execPath,
    args: ["-e", `require("node:http").createServer((q, r) => r.end()).listen(${port}, "127.0.0.1")`],
    ports: { http: port },
    health: httpProbe(`http://127.0.0.1:${port}/`),
  };
}

function stats(samples: number[]): InjectToVerified {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
  return { rounds: samples.length, medianMillis: at(0.5), p95Millis: at(0.95), maxMillis: at(1) };
}

/**
 * Kill and pause of a real process, each `rounds` times: the time from inject to a verify that saw it take
 * effect (PID gone; /proc state T). Heals (a restart after kill) are outside the measured span.
 */
export async function benchFaultLatency(
  rounds = 20,
): Promise<{ kill: InjectToVerified; pause: InjectToVerified }> {
  const supervisor = new Supervisor();
  await supervisor.start([await plainNode()]);
  const context: FaultContext = { topology: supervisor, random: seededRandom(1) };
  const faults = createFaults(context);
  const signal = new AbortController().signal;
  const measure = async (name: "kill" | "pause") => {
    const unit = faults[name];
    if (unit === undefined) throw new Error(`no ${name} fault`);
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const injection = await unit.inject({ node: "target" }, {}, signal);
      const verification = await unit.verify(injection);
      samples.push(performance.now() - started);
      if (!verification.tookEffect) throw new Error(`${name} did not take effect: ${verification.evidence}`);
      await unit.heal(injection);
    }
    return stats(samples);
  };
  try {
    return { kill: await measure("kill"), pause: await measure("pause") };
  } finally {
    await supervisor.stopAll();
  }
}

/**
 * A partition isolating one of `hosts` nodes, each in a network namespace of its own, `rounds` times: the
 * time from inject (one nftables table per affected namespace) to a verify that saw a probe across the cut
 * time out with the table's drop counter risen, and the open pairs connect. Heal is outside the span.
 * Where network namespaces are unavailable, the reason instead.
 */
export async function benchPartitionLatency(
  rounds = 20,
  hosts = 5,
): Promise<{ partition: InjectToVerified } | { unavailable: string }> {
  const unavailable = await netnsUnavailableReason();
  if (unavailable !== null) return { unavailable };
  const stateDir = mkdtempSync(join(tmpdir(), "shakedown-bench-netns-"));
  const nodes = Array.from({ length: hosts }, (_, i) => `n${i + 1}`);
  const network = await HostNetwork.create(
    nodes.map((node) => ({ node, role: "bench", ports: { http: HOST_PORT } })),
    { stateDir },
  );
  const supervisor = new Supervisor();
  try {
    await supervisor.start(nodes.map((node) => hostNode(network, node)));
    const unit = partitionFault({ stateDir });
    const signal = new AbortController().signal;
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const node = nodes[round % nodes.length] as string;
      const started = performance.now();
      const injection = await unit.inject({}, { kind: "isolate", node }, signal);
      const verification = await unit.verify(injection);
      samples.push(performance.now() - started);
      if (!verification.tookEffect)
        throw new Error(`partition did not take effect: ${verification.evidence}`);
      await unit.heal(injection);
    }
    return { partition: stats(samples) };
  } finally {
    await supervisor.stopAll();
    await network.teardown();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.ROUNDS ?? 20);
  const result = await benchFaultLatency(rounds);
  const partition = await benchPartitionLatency(rounds);
  if ("unavailable" in partition) console.log(`partition: not measured (${partition.unavailable})`);
  for (const [name, s] of Object.entries({ ...result, ...("partition" in partition ? partition : {}) })) {
    console.log(
      `${name}: inject to verified over ${s.rounds} rounds: median ${s.medianMillis.toFixed(1)} ms, ` +
        `p95 ${s.p95Millis.toFixed(1)} ms, max ${s.maxMillis.toFixed(1)} ms`,
    );
  }
}
