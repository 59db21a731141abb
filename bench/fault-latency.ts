import { pathToFileURL } from "node:url";
import { type FaultContext, seededRandom } from "../chaos/faults/context.js";
import { createFaults } from "../chaos/faults/registry.js";
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchFaultLatency(Number(process.env.ROUNDS ?? 20));
  for (const [name, s] of Object.entries(result)) {
    console.log(
      `${name}: inject to verified over ${s.rounds} rounds: median ${s.medianMillis.toFixed(1)} ms, ` +
        `p95 ${s.p95Millis.toFixed(1)} ms, max ${s.maxMillis.toFixed(1)} ms`,
    );
  }
}
