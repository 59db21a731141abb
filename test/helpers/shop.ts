import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import type { Profile } from "../../fixtures/shop/topology/profiles.js";
import { type RunningShop, startShop } from "../../fixtures/shop/topology/start.js";

export interface TestShop {
  collector: Collector;
  shop: RunningShop;
  runDir: string;
  stop(): Promise<void>;
}

/** A collector on free ports and the shop of `profile` reporting to it, in a fresh temp folder. */
export async function startTestShop(profile: Profile): Promise<TestShop> {
  const runDir = mkdtempSync(join(tmpdir(), `shakedown-${profile}-`));
  const collector = await startCollector({
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath: join(runDir, "collector.db"),
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
  });
  const shop = await startShop({ profile, collector, runDir, gatewayPort: 0 }).catch(
    async (error: unknown) => {
      await collector.close();
      throw error;
    },
  );
  return {
    collector,
    shop,
    runDir,
    stop: async () => {
      await shop.stop();
      await collector.close();
    },
  };
}

/** The ledger's effects per order id, read from the database every ledger replica shares. */
export function ledgerEffects(runDir: string): Map<string, number> {
  const db = new Database(join(runDir, "nodes", "ledger.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT order_id AS id, count(*) AS n FROM points GROUP BY order_id").all() as {
      id: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  } finally {
    db.close();
  }
}

/** Polls the ledger (bounded: `attempts` reads 500 ms apart) until it holds an effect for each of `orderIds`. */
export async function awaitLedgerEffects(
  runDir: string,
  orderIds: string[],
  attempts = 60,
): Promise<Map<string, number>> {
  let effects = new Map<string, number>();
  for (let attempt = 0; attempt < attempts; attempt++) {
    effects = ledgerEffects(runDir);
    if (orderIds.every((id) => effects.has(id))) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return effects;
}
