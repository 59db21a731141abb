import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { LEDGER_GROUP } from "../../fixtures/shop/ledger/index.js";
import { ORDERS_TOPIC } from "../../fixtures/shop/outbox/order-placed.js";
import { consumerGroupLag } from "../../fixtures/shop/topology/kafka.js";
import { startShop } from "../../fixtures/shop/topology/start.js";
import { agentEndpoint, flushTelemetry } from "../faults/agent-client.js";
import { netnsUnavailableReason } from "../netns/network.js";
import { breakerHistory } from "./breaker-history.js";
import { LauncherError } from "./errors.js";
import { combinedHistory } from "./history.js";
import type { LaunchedTopology, LaunchOptions } from "./launch.js";
import { ledgerHistory } from "./ledger-history.js";
import { topicHistory } from "./topic-history.js";

/**
 * The shop as `shakedown up` runs it: traces export every 0.5 s, metrics every 5 s and the scraper polls
 * every 5 s. Wait that out, and some, before measuring.
 */
export const SHOP_TELEMETRY_LAG_MILLIS = 6000;

/**
 * For runs the launch below shortens the metric export and scrape intervals to 1 s. A run does not wait
 * that out: it has every node flush and the collector scrape (`flushTelemetry`), and waits the lag only
 * when a flush failed.
 */
export const RUN_METRIC_INTERVAL_MILLIS = 1000;
export const RUN_TELEMETRY_LAG_MILLIS = 2500;

/**
 * The ledger's history ends once its consumer group has committed every record (see ledgerHistory); this
 * quiet spell decides only when that lag cannot be read. It is the 5.5 s of settling after the method (the
 * telemetry lag, then a 3 s quiet spell) the exactly-once controls were first calibrated with.
 */
const HISTORY_QUIET_MILLIS = 5500;

/**
 * How long every outbox row must stay sent before the topic is read. A duplicate from a producer retry is
 * written before the acknowledgement that lets the relay mark its row, so once the outbox is drained only a
 * copy still in a closed connection's send queue can land (producer-partition's, which its 16 s load
 * outlasts); the spell (two polls) only keeps one read from deciding.
 */
const TOPIC_QUIET_MILLIS = 500;

/**
 * The shop as `shakedown run` drives it, started afresh: a collector of its own (on free ports, so a running `shakedown up`
 * is not in the way) writing `--db` or `<runDir>/shakedown.db`, and the shop's nodes under a Supervisor that records
 * their PIDs in `<runDir>/pids.jsonl`. With network `netns` every node runs in a network namespace of its own,
 * recorded in the network state folder (`SHAKEDOWN_STATE_DIR`, else `.data/state`) where the network faults find
 * it and `recover` removes it after a crash; where namespaces are unavailable the launch fails with the reason.
 */
export async function launchTopology(options: LaunchOptions): Promise<LaunchedTopology> {
  // Checked before anything starts, so the run ends at once with the reason (not root, not Linux...).
  const unavailable = options.network === "netns" ? await netnsUnavailableReason() : null;
  if (unavailable !== null) {
    throw new LauncherError(
      "chaos/engine/shop.ts",
      `cannot run the shop with network "netns": network namespaces are unavailable (${unavailable})`,
    );
  }
  const databasePath = options.databasePath ?? join(options.runDir, "shakedown.db");
  mkdirSync(dirname(databasePath), { recursive: true });
  const collector = await startCollector({
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath: databasePath,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
    scrapeIntervalMillis: RUN_METRIC_INTERVAL_MILLIS,
  });
  let shop: Awaited<ReturnType<typeof startShop>>;
  try {
    shop = await startShop({
      profile: options.profile,
      collector,
      runDir: options.runDir,
      registry: options.registry,
      gatewayPort: 0,
      env: { OTEL_METRIC_EXPORT_INTERVAL: String(RUN_METRIC_INTERVAL_MILLIS), ...options.env },
      network: options.network,
    });
  } catch (error) {
    await collector.close();
    throw error;
  }
  const serviceEnv = (role: string) =>
    shop.topology.services.filter((node) => node.role === role).map((node) => node.env ?? {});
  const ordersDbPaths = serviceEnv("orders").flatMap((env) => env.SHOP_DB_PATH ?? []);
  const brokers = shop.topology.kafkaBootstrap;
  const bootstrap = brokers[0] as string;
  return {
    topology: shop.supervisor,
    databasePath,
    collectorApiUrl: collector.urls.api,
    telemetryLagMillis: RUN_TELEMETRY_LAG_MILLIS,
    async flushTelemetry() {
      // A node that is down or starting holds nothing of the run that a flush could still deliver.
      const nodes = shop.supervisor
        .statuses()
        .filter((node) => node.state === "healthy")
        .flatMap((node) => agentEndpoint(node) ?? []);
      const flushes = await Promise.allSettled(nodes.map((endpoint) => flushTelemetry(endpoint)));
      await collector.scraper.scrapeNow();
      const failed = flushes.flatMap((flush) =>
        flush.status === "rejected" ? [(flush.reason as Error).message] : [],
      );
      if (failed.length > 0) {
        throw new Error(`${failed.length} of ${nodes.length} nodes could not flush: ${failed.join("; ")}`);
      }
    },
    history: combinedHistory([
      ledgerHistory(
        {
          ordersDbPaths,
          ledgerDbPath:
            serviceEnv("ledger")[0]?.SHOP_LEDGER_DB_PATH ?? join(options.runDir, "nodes", "ledger.db"),
        },
        {
          quietMillis: HISTORY_QUIET_MILLIS,
          pendingRecords: () => consumerGroupLag(brokers, ORDERS_TOPIC, LEDGER_GROUP),
        },
      ),
      topicHistory({ bootstrap, topic: ORDERS_TOPIC, ordersDbPaths }, { quietMillis: TOPIC_QUIET_MILLIS }),
      breakerHistory(databasePath),
    ]),
    async close() {
      await shop.stop();
      await collector.close();
    },
    pendingClose: () => [
      ...shop.pendingStop(),
      ...collector.pendingClose().map((step) => `collector ${step}`),
    ],
  };
}
