import { formatBar, type MeasurementOutcome } from "../experiment/evaluate.js";
import { worstStatus } from "../journal/status.js";
import type { ControlOutcome, ExperimentReport, FaultWindow, RunRecord } from "../timeline/record.js";
import { formatNumber, timeSeriesChart } from "./chart.js";
import { html, SafeHtml } from "./escape.js";
import type { RunEvidence, TimeSeries } from "./evidence.js";

export interface HtmlReportInput {
  readonly reports: readonly ExperimentReport[];
  /** Series and failing requests per run id; runs without evidence still get their fault windows drawn. */
  readonly evidence?: Readonly<Record<string, RunEvidence>>;
  /** Base URL of the collector's query API; trace links are `<base>/api/traces/<id>`. */
  readonly collectorApiUrl?: string;
  readonly generatedAtMillis?: number;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-top:1px solid #ddd;padding-top:16px}h3{font-size:15px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.passed{background:#15803d}.failed{background:#b91c1c}.error{background:#b45309}.aborted,.skipped{background:#6b7280}
.unknown{background:#b45309}
.reason{color:#444}.muted{color:#777}
figure.chart{margin:12px 0}figure.chart svg{width:100%;height:auto;font-size:10px;fill:#444}
rect.plot{fill:#fafafa;stroke:#ddd}rect.fault-window{fill:#f59e0b;fill-opacity:.22;stroke:#f59e0b;stroke-opacity:.5}
.legend{margin-left:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
code{background:#f3f3f3;padding:0 3px;border-radius:3px}
`;

function badge(status: string): SafeHtml {
  return html`<span class="status ${status}">${status}</span>`;
}

function verdictBadge(valid: MeasurementOutcome["valid"]): SafeHtml {
  return badge(valid === true ? "passed" : valid === false ? "failed" : "unknown");
}

function seconds(run: RunRecord, timeMillis: number | null): string {
  if (timeMillis === null) return "—";
  const origin = run.methodStartedAtMillis ?? run.startedAtMillis;
  return `${((timeMillis - origin) / 1000).toFixed(2)} s`;
}

function traceLink(base: string | null, traceId: string): SafeHtml {
  if (base === null) return html`<code>${traceId}</code>`;
  return html`<a href="${`${base}/api/traces/${encodeURIComponent(traceId)}`}"><code>${traceId}</code></a>`;
}

/** Only http(s) bases become links, so a report never carries a `javascript:` URL. */
function linkBase(url: string | undefined): string | null {
  const base = (url ?? "http://127.0.0.1:18888").replace(/\/+$/, "");
  return /^https?:\/\//i.test(base) ? base : null;
}

function measuredText(outcome: MeasurementOutcome): string {
  if (outcome.measured === null) return "—";
  const unit =
    outcome.unit === "ratio" || outcome.unit === "count" || outcome.unit === "" ? "" : ` ${outcome.unit}`;
  return `${formatNumber(outcome.measured)}${unit}`;
}

function measurementRows(outcomes: readonly MeasurementOutcome[], base: string | null): SafeHtml[] {
  return outcomes.map(
    (outcome) => html`<tr>
<td>${outcome.name}${outcome.description === null ? "" : html`<div class="muted">${outcome.description}</div>`}</td>
<td><code>${outcome.kind}</code></td><td>${outcome.windowLabel}</td>
<td class="num">${measuredText(outcome)}</td>
<td class="num">${formatBar(outcome.bar, outcome.unit)}</td>
<td>${verdictBadge(outcome.valid)}</td>
<td class="reason">${outcome.reason ?? ""}${
      outcome.traceIds.length === 0
        ? ""
        : html`<div>traces: ${outcome.traceIds.slice(0, 10).map((id) => html`${traceLink(base, id)} `)}</div>`
    }</td></tr>`,
  );
}

function measurementTable(
  title: string,
  outcomes: readonly MeasurementOutcome[],
  base: string | null,
): SafeHtml {
  if (outcomes.length === 0) return html``;
  return html`<h3>${title}</h3><table><thead><tr><th>name</th><th>kind</th><th>window</th><th>measured</th><th>bar</th><th>verdict</th><th>why</th></tr></thead>
<tbody>${measurementRows(outcomes, base)}</tbody></table>`;
}

function faultTable(run: RunRecord): SafeHtml {
  if (run.faults.length === 0) return html``;
  const rows = run.faults.map(
    (
      fault: FaultWindow,
    ) => html`<tr><td>${fault.id}</td><td><code>${fault.fault}</code></td><td><code>${JSON.stringify(fault.target)}</code></td>
<td class="num">${seconds(run, fault.injectedAtMillis)}</td><td class="num">${seconds(run, fault.verifiedAtMillis)}</td><td class="num">${seconds(run, fault.healedAtMillis)}</td>
<td>${fault.verification === null ? (fault.error ?? "") : html`${fault.verification.tookEffect ? "took effect" : "did NOT take effect"}: ${fault.verification.evidence}`}${
      fault.error !== null && fault.verification !== null
        ? html`<div class="reason">${fault.error}</div>`
        : ""
    }</td></tr>`,
  );
  return html`<h3>Faults</h3><table><thead><tr><th>id</th><th>fault</th><th>target</th><th>injected</th><th>verified</th><th>healed</th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function charts(run: RunRecord, evidence: RunEvidence | undefined): SafeHtml[] {
  const startMillis = run.methodStartedAtMillis ?? run.startedAtMillis;
  const endMillis = run.methodEndedAtMillis ?? run.endedAtMillis;
  const windows = run.faults
    .filter((fault) => fault.injectedAtMillis !== null)
    .map((fault) => ({
      label: `${fault.id} (${fault.fault})`,
      startMillis: fault.injectedAtMillis as number,
      endMillis: fault.healedAtMillis ?? endMillis,
    }));
  const byUnit = new Map<string, TimeSeries[]>();
  for (const series of evidence?.series ?? [])
    byUnit.set(series.unit, [...(byUnit.get(series.unit) ?? []), series]);
  if (byUnit.size === 0)
    return [timeSeriesChart({ title: "fault windows", series: [], windows, startMillis, endMillis })];
  return [...byUnit].map(([unit, series]) =>
    timeSeriesChart({ title: unit, series, windows, startMillis, endMillis }),
  );
}

function runSection(run: RunRecord, evidence: RunEvidence | undefined, base: string | null): SafeHtml {
  const failing = evidence?.failingRequests ?? [];
  return html`<p>${badge(run.status)} <span class="reason">${run.reason ?? ""}</span></p>
${charts(run, evidence)}
${measurementTable("Assertions", run.assertions, base)}
${measurementTable("Steady state before", run.steadyState.before, base)}
${measurementTable("Steady state after", run.steadyState.after, base)}
${faultTable(run)}
${
  run.rollbacks.length === 0
    ? ""
    : html`<h3>Rollbacks</h3><ul>${run.rollbacks.map((r) => html`<li><code>${r.fault}</code>: ${r.ok ? "ok" : "FAILED"} — ${r.detail}</li>`)}</ul>`
}
${
  failing.length === 0
    ? ""
    : html`<h3>Failing requests</h3><table><thead><tr><th>at</th><th>status</th><th>trace</th></tr></thead><tbody>${failing.map(
        (request) =>
          html`<tr><td class="num">${seconds(run, request.timeMillis)}</td><td class="num">${request.status ?? "no answer"}</td><td>${traceLink(base, request.traceId ?? "")}</td></tr>`,
      )}</tbody></table>`
}
${run.errors.length === 0 ? "" : html`<h3>Errors</h3><ul>${run.errors.map((error) => html`<li>${error}</li>`)}</ul>`}`;
}

function controlSection(
  outcome: ControlOutcome,
  evidence: HtmlReportInput["evidence"],
  base: string | null,
): SafeHtml {
  const ok = outcome.verdict === "failed-as-expected";
  const shown = ok ? "passed" : outcome.verdict === "passed-unexpectedly" ? "failed" : outcome.verdict;
  return html`<h3>Negative control: ${outcome.control.name} ${badge(shown)}</h3>
<p class="muted">Defenses off: ${outcome.control.disable.join(", ")}. Expected outcome: fail. Verdict: ${outcome.verdict}.</p>
${outcome.run === null ? "" : runSection(outcome.run, evidence?.[outcome.run.runId], base)}`;
}

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts): per experiment its status, charts with
 * the fault windows shaded, the assertions with measured values beside their bars, the faults' life
 * cycles, failing requests linked to their traces, and each negative control. All data is HTML-escaped.
 */
export function htmlReport(input: HtmlReportInput): string {
  const base = linkBase(input.collectorApiUrl);
  const status = worstStatus(...input.reports.map((report) => report.status));
  const generated = new Date(input.generatedAtMillis ?? Date.now()).toISOString();
  const sections = input.reports.map(
    (report) => html`<section><h2>${report.title} ${badge(report.status)}</h2>
<p class="muted"><code>${report.file}</code> · profile ${report.profile}</p>
${report.description === null ? "" : html`<p>${report.description}</p>`}
${runSection(report.run, input.evidence?.[report.run.runId], base)}
${report.controls.map((outcome) => controlSection(outcome, input.evidence, base))}
</section>`,
  );
  const summary = input.reports.map(
    (report) =>
      html`<tr><td>${report.title}</td><td>${badge(report.status)}</td><td class="reason">${report.reason ?? ""}</td></tr>`,
  );
  return `<!doctype html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shakedown report: ${status}</title><style>${new SafeHtml(CSS)}</style></head>
<body><h1>Shakedown report ${badge(status)}</h1><p class="muted">generated ${generated}</p>
<table><thead><tr><th>experiment</th><th>status</th><th>why</th></tr></thead><tbody>${summary}</tbody></table>
${sections}
</body></html>`}
`;
}
