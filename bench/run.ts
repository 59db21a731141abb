import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../collector/paths.js";
import { benchIngest } from "./ingest.js";
import { benchTraceLookup } from "./trace-lookup.js";

/** Runs every benchmark once and writes bench/results.json; the README quotes these numbers. */
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

const ingest = await benchIngest();
console.log(
  `ingest: end-to-end ${round(ingest.endToEndSpansPerSecond)} spans/s acknowledged after commit; ` +
    `raw SQLite insert ${round(ingest.rawSpansPerSecond)} spans/s; ratio ${round(ingest.ratio, 2)}`,
);
const lookup = await benchTraceLookup();
console.log(
  `trace by id at ${lookup.storedSpans} spans: median ${round(lookup.medianMillis, 2)} ms, ` +
    `p99 ${round(lookup.p99Millis, 2)} ms over ${lookup.lookups} lookups`,
);
writeFileSync(
  join(projectRoot, "bench", "results.json"),
  `${JSON.stringify({ date: new Date().toISOString(), ingest, lookup }, null, 2)}\n`,
);
