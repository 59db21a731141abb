import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import type { ShopTopology } from "../../fixtures/shop/topology/profiles.js";
import { startShop } from "../../fixtures/shop/topology/start.js";
import { breakerHistory } from "./breaker-history.js";
import { LauncherError } from "./errors.js";
import { combinedHistory } from "./history.js";
import type { LaunchedTopology, LaunchOptions } from "./launch.js";
import { type LedgerFiles, ledgerHistory } from "./ledger-history.js";

/** Traces export every 0.5 s, metrics every 5 s and the scraper polls every 5 s: wait that out, and some. */
export const SHOP_TELEMETRY_LAG_MILLIS = 6000;

/**
 * The shop as `shakedown run` drives it, started afresh: a collector of its own (on free ports, so a running `shakedown up`
 * is not in the way) writing `--db` or `<runDir>/shakedown.db`, and the shop's nodes under a Supervisor that records
 * their PIDs in `<runDir>/pids.jsonl`.
 */
export async function launchTopology(options: LaunchOptions): Promise<LaunchedTopology> {
  // Every run starts from the seed data: Kafka refuses a data directory formatted for another cluster.
  // No live process uses it: `shakedown run` holds the lock and has stopped (or refused for) every owner.
  if (options.network !== "loopback") {
    throw new LauncherError(
      "chaos/engine/shop.ts",
      `cannot run the shop with network "${options.network}" yet: its nodes run on loopback only`,
    );
  }
  rmSync(join(options.runDir, "nodes"), { recursive: true, force: true });
  const databasePath = options.databasePath ?? join(options.runDir, "shakedown.db");
  mkdirSync(dirname(databasePath), { recursive: true });
  const collector = await startCollector({
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath: databasePath,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
  });
  let shop: Awaited<ReturnType<typeof startShop>>;
  try {
    shop = await startShop({
      profile: options.profile,
      collector,
      runDir: options.runDir,
      gatewayPort: 0,
      env: { ...options.env },
    });
  } catch (error) {
    await collector.close();
    throw error;
  }
  return {
    topology: shop.supervisor,
    databasePath,
    collectorApiUrl: collector.urls.api,
    telemetryLagMillis: SHOP_TELEMETRY_LAG_MILLIS,
    history: combinedHistory([breakerHistory(databasePath), ledgerHistory(shopLedgerFiles(shop.topology))]),
    async close() {
      await shop.stop();
      await collector.close();
    },
  };
}

/** Every orders replica's database and the ledger's shared one, as the topology configured them. */
function shopLedgerFiles(topology: ShopTopology): LedgerFiles {
  const envOf = (role: string) =>
    topology.services.filter((node) => node.role === role).map((node) => node.env ?? {});
  return {
    ordersDbPaths: envOf("orders").flatMap((env) => env.SHOP_DB_PATH ?? []),
    ledgerDbPath: envOf("ledger")[0]?.SHOP_LEDGER_DB_PATH ?? "",
  };
}
