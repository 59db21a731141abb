import { join, resolve } from "node:path";
import type { Command } from "commander";
import { runExperiments } from "../../chaos/engine/run.js";
import { openEngineRunStore } from "../../chaos/engine/run-store.js";
import { SHOP_TELEMETRY_LAG_MILLIS } from "../../chaos/engine/shop.js";
import { openTelemetry } from "../../chaos/engine/telemetry.js";
import { loadExperiment } from "../../chaos/experiment/load.js";
import { faultCatalog } from "../../chaos/faults/registry.js";
import { FileJournal } from "../../chaos/journal/write-ahead.js";
import { writeReports } from "../../chaos/report/write.js";
import { projectRoot } from "../../collector/paths.js";
import { type SessionResult, shopSession } from "../../fixtures/shop/session.js";
import type { RunningShop } from "../../fixtures/shop/topology/start.js";
import { positiveInteger } from "../units.js";
import { flag } from "../usage-error.js";
import { closeOnSignals } from "./collector.js";
import { addUpFlags, bringUp, type UpFlags } from "./up.js";

interface DemoFlags extends UpFlags {
  once?: boolean;
  orders: number;
  experiment: boolean;
}

const SAMPLE_EXPERIMENT = join(projectRoot, "fixtures", "experiments", "failover", "kill-catalog.yaml");

/**
 * Runs the sample experiment against the running shop, stores its runs in the collector's database (so the
 * dashboards show them) and writes its reports under the run directory.
 */
async function runSample(shop: RunningShop, api: string, dbPath: string, runDir: string): Promise<void> {
  const experiment = loadExperiment(SAMPLE_EXPERIMENT, { faults: faultCatalog() });
  console.log(`demo: running the sample experiment: ${experiment.title} (about a minute)`);
  const journal = new FileJournal(join(runDir, "journal.jsonl"));
  const telemetry = openTelemetry(dbPath);
  const runStore = openEngineRunStore(dbPath, (line) => console.log(`demo: ${line}`));
  try {
    const outcome = await runExperiments([experiment], {
      topology: shop.supervisor,
      journal,
      telemetry: telemetry.telemetry,
      seed: 1,
      telemetryLagMillis: SHOP_TELEMETRY_LAG_MILLIS,
      ...(runStore === undefined ? {} : { runStore }),
    });
    const reportDir = join(runDir, "report");
    writeReports(outcome.reports, { reportDir, evidence: outcome.evidence, collectorApiUrl: api });
    for (const report of outcome.reports) {
      console.log(`demo: experiment ${report.status}${report.reason === null ? "" : `: ${report.reason}`}`);
    }
    console.log(`demo: experiment report ${join(reportDir, "report.html")}`);
  } finally {
    runStore?.close();
    journal.close();
    telemetry.close();
  }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

// biome-ignore lint/suspicious/noExplicitAny: the summary reads a few fields of API answers.
type Json = any;

/** Waits (bounded) until the ledger has consumed every acknowledged order, read from the collector's traces. */
async function awaitLedger(api: string, orders: number, token?: string): Promise<number> {
  let consumed = 0;
  for (let attempt = 0; attempt < 60 && consumed < orders; attempt++) {
    const answer: Json = await fetch(
      `${api}/api/traces?service=ledger&operation=process%20orders&limit=1000`,
      {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
    ).then((r) => r.json());
    consumed = answer.traces?.length ?? 0;
    if (consumed < orders) await sleep(500);
  }
  return consumed;
}

function report(session: SessionResult, api: string, consumed: number, orderTrace: string | undefined): void {
  console.log(
    `demo: ${session.requests} requests through the gateway; ${session.orderIds.length} orders acknowledged` +
      `${session.replayedSameOrder ? ", the retried order answered with the same order id" : ""}`,
  );
  if (session.failures.length > 0) console.log(`demo: unexpected answers: ${session.failures.join("; ")}`);
  console.log(`demo: the ledger consumed ${consumed} order events from Kafka`);
  console.log(`demo: dashboards  ${api}/`);
  console.log(`demo: service map ${api}/#/map`);
  if (orderTrace) console.log(`demo: an order's trace, gateway to ledger: ${api}/#/trace/${orderTrace}`);
}

export function registerDemoCommand(program: Command): void {
  addUpFlags(
    program.command("demo").description("bring the shop up, run a shopping session, and show where to look"),
  )
    .option("--once", "stop everything after the session instead of staying up")
    .option("--orders <n>", "orders placed in the session", flag("--orders", positiveInteger), 10)
    .option("--no-experiment", "skip the sample experiment after the session")
    .action(async (flags: DemoFlags) => {
      const { collector, shop, dbPath, stop } = await bringUp(flags, "shakedown demo");
      const api = collector.urls.api;
      try {
        const session = await shopSession(shop.topology.gatewayUrls[0] as string, { orders: flags.orders });
        const consumed = await awaitLedger(api, session.orderIds.length, flags.token);
        const traces: Json = await fetch(
          `${api}/api/traces?service=gateway&operation=POST%20%2Forders&limit=1`,
          {
            headers: flags.token ? { authorization: `Bearer ${flags.token}` } : {},
          },
        ).then((r) => r.json());
        report(session, api, consumed, traces.traces?.[0]?.traceId);
        if (flags.experiment) await runSample(shop, api, dbPath, resolve(flags.runDir));
      } catch (error) {
        await stop();
        throw error;
      }
      if (flags.once) {
        await stop();
        return;
      }
      console.log("demo: running; press Ctrl-C to stop every process it started");
      closeOnSignals(stop);
    });
}
