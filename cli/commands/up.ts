import { join, resolve } from "node:path";
import type { Command } from "commander";
import { acquireLock, runState } from "../../chaos/engine/state.js";
import { startCollector } from "../../collector/collector.js";
import { PROFILES, type Profile } from "../../fixtures/shop/topology/profiles.js";
import { rssBytes, startShop } from "../../fixtures/shop/topology/start.js";
import { parsePort } from "../units.js";
import { flag, UsageError } from "../usage-error.js";
import {
  addCollectorFlags,
  type CollectorFlags,
  closeOnSignals,
  collectorOptions,
  printListening,
} from "./collector.js";

export interface UpFlags extends CollectorFlags {
  profile: Profile;
  gatewayPort: number;
  runDir: string;
}

export function parseProfile(text: string): Profile {
  if (!(PROFILES as readonly string[]).includes(text)) {
    throw new UsageError(`--profile: "${text}" is not a profile; use ${PROFILES.join(" or ")}`);
  }
  return text as Profile;
}

/**
 * Brings up the collector and the shop; resolves once every node is healthy, with a stop function. Holds
 * the engine lock of the run directory from before the first process starts until `stop` has stopped the
 * last (or the process exits), so that no `shakedown run` or `recover` stops or heals the shop's nodes
 * under it, and no second `up` starts over its files. `command` names the holder in the error they get.
 */
export async function bringUp(flags: UpFlags, command: string) {
  const release = acquireLock(runState(flags.runDir), command);
  process.once("exit", release);
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let shop: Awaited<ReturnType<typeof startShop>>;
  const options = collectorOptions(flags);
  try {
    collector = await startCollector(options);
  } catch (error) {
    release();
    throw error;
  }
  printListening(collector, options.dbPath);
  try {
    shop = await startShop({
      profile: flags.profile,
      collector,
      runDir: resolve(flags.runDir),
      gatewayPort: flags.gatewayPort,
    });
  } catch (error) {
    await collector.close();
    release();
    throw error;
  }
  const totalRss = shop.nodesRssBytes() + rssBytes(process.pid);
  console.log(`shakedown up: profile ${flags.profile}, ${shop.supervisor.statuses().length} nodes healthy`);
  for (const url of shop.topology.gatewayUrls) console.log(`  gateway    ${url}`);
  console.log(`  API        ${collector.urls.api}/api/`);
  console.log(
    `  started in ${(shop.startMillis / 1000).toFixed(1)} s; resident memory of all processes ${Math.round(totalRss / 2 ** 20)} MiB`,
  );
  return {
    collector,
    shop,
    dbPath: options.dbPath,
    stop: async () => {
      try {
        await shop.stop();
        await collector.close();
      } finally {
        release();
      }
    },
  };
}

export function addUpFlags(command: Command): Command {
  return addCollectorFlags(command)
    .option("--profile <name>", `topology profile (${PROFILES.join(", ")})`, parseProfile, "default")
    .option(
      "--gateway-port <port>",
      "the (first) gateway's HTTP port",
      flag("--gateway-port", parsePort),
      8080,
    )
    .option("--run-dir <dir>", "where nodes keep their files and the PID registry", join(".data", "run"));
}

export function registerUpCommand(program: Command): void {
  addUpFlags(
    program.command("up").description("run the collector and the reference shop until Ctrl-C"),
  ).action(async (flags: UpFlags) => {
    const starting = bringUp(flags, "shakedown up");
    // Listening from the start: a Ctrl-C while the shop comes up stops what has started, then the rest.
    closeOnSignals(async () => (await starting).stop());
    await starting;
    console.log("shakedown up: running; press Ctrl-C to stop every process it started");
  });
}
