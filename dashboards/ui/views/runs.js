import { api } from "../api.js";
import { field, h, notice, replace, select, table } from "../dom.js";
import { formatDateTimeMs, formatMs } from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { runRole } from "../lib/run-outcome.js";
import { compareHash, outcomeBadge, runLink } from "./common.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { RunSummary } from "../../../collector/query/runs.js"
 */

const LIMIT = 200;

/**
 * The run of the same group to compare a run with: a control's case, or a case's first control.
 * @param {RunSummary} run
 * @param {RunSummary[]} runs
 */
function partner(run, runs) {
  return runs.find(
    (other) =>
      other.groupId === run.groupId &&
      other.runId !== run.runId &&
      (run.control === null) !== (other.control === null),
  );
}

/** @param {RunSummary} run */
function assertionsCell(run) {
  const { total, passed, failed, unknown } = run.assertions;
  return h(
    "td",
    { class: "assertions nowrap" },
    h("span", { text: `${passed} of ${total} held` }),
    failed > 0 && h("div", { class: "bad", text: `${failed} failed` }),
    unknown > 0 && h("div", { class: "warn", text: `${unknown} unknown` }),
  );
}

/**
 * Experiment runs in the range, newest first, with their outcomes; pick two to compare them side by side.
 * @param {Context} ctx
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function runsView(ctx, params) {
  const experiment = params.get("experiment") ?? "";
  /** @type {Map<string, string>} Experiments seen in the range, file → title, for the filter. */
  const experiments = new Map();
  const experimentSelect = select("experiment", [["", "every experiment"]], experiment, {
    on: {
      change: () =>
        ctx.navigate(
          routeHash("runs", "", experimentSelect.value === "" ? {} : { experiment: experimentSelect.value }),
        ),
    },
  });
  /** Run ids ticked for comparison, in the order they were ticked. */
  const picked = /** @type {string[]} */ ([]);
  /** @type {RunSummary[]} */
  let listed = [];
  const compareButton = h("button", {
    class: "primary",
    text: "Compare the two ticked runs",
    attrs: { type: "button", disabled: "" },
    on: {
      click: () => {
        const [a, b] = picked.map((id) => listed.find((r) => r.runId === id));
        if (a !== undefined && b !== undefined) ctx.navigate(compareHash(a, b));
      },
    },
  });
  const body = h("div", {}, notice("loading", "Loading runs…"));
  const el = h(
    "section",
    { class: "view runs" },
    h("h1", { text: "Experiments" }),
    h("div", { class: "filters" }, field("Experiment", experimentSelect), compareButton),
    body,
  );

  const syncPicked = () => {
    compareButton.toggleAttribute("disabled", picked.length !== 2);
  };

  /** @param {RunSummary} run */
  const pickBox = (run) => {
    const box = h("input", {
      attrs: { type: "checkbox", "aria-label": `compare ${run.title} (${runRole(run)})` },
      on: {
        change: () => {
          const at = picked.indexOf(run.runId);
          if (box.checked && at === -1) picked.push(run.runId);
          if (!box.checked && at !== -1) picked.splice(at, 1);
          // Only two can be compared: ticking a third unticks the oldest tick.
          while (picked.length > 2) {
            const dropped = picked.shift();
            const other = el.querySelector(`tr[data-run-id="${CSS.escape(dropped ?? "")}"] input`);
            if (other instanceof HTMLInputElement) other.checked = false;
          }
          syncPicked();
        },
      },
    });
    box.checked = picked.includes(run.runId);
    return box;
  };

  /** @param {RunSummary[]} runs */
  const updateExperiments = (runs) => {
    let added = experimentSelect.options.length === 1;
    for (const run of runs) {
      if (!experiments.has(run.file)) {
        experiments.set(run.file, run.title);
        added = true;
      }
    }
    if (!added) return;
    const entries = [...experiments].sort((x, y) => x[1].localeCompare(y[1]));
    // The API matches a part of the file or the title, so an address may name no file exactly.
    const partial = experiment !== "" && !experiments.has(experiment);
    replace(
      experimentSelect,
      h("option", { text: "every experiment", attrs: { value: "" } }),
      partial &&
        h("option", { text: `matching “${experiment}”`, attrs: { value: experiment, selected: "" } }),
      ...entries.map(([file, title]) => {
        const option = h("option", { text: `${title} (${file})`, attrs: { value: file } });
        option.selected = file === experiment;
        return option;
      }),
    );
  };

  return {
    el,
    async refresh() {
      const window = ctx.window();
      const [all, filtered] = await Promise.all([
        api.runs({ ...window, limit: LIMIT }, ctx.signal),
        experiment === "" ? undefined : api.runs({ ...window, limit: LIMIT, experiment }, ctx.signal),
      ]);
      updateExperiments(all.runs);
      const runs = (filtered ?? all).runs;
      listed = runs;
      for (let i = picked.length - 1; i >= 0; i--) {
        if (!runs.some((r) => r.runId === picked[i])) picked.splice(i, 1);
      }
      syncPicked();
      if (runs.length === 0) {
        replace(
          body,
          notice(
            "empty",
            experiment === ""
              ? "No experiment ran in this range. Run one with: shakedown run <experiment.yaml>"
              : "This experiment did not run in this range.",
          ),
        );
        return;
      }
      const nowMs = Date.now();
      replace(
        body,
        table(
          ["", "Started", "Experiment", "Run", "Outcome", "Assertions", "Duration", "Why", ""],
          runs.map((run) => {
            const other = partner(run, runs);
            return h(
              "tr",
              {
                class: run.control === null ? "case" : "control",
                dataset: { runId: run.runId, groupId: run.groupId },
              },
              h("td", {}, pickBox(run)),
              h("td", { class: "nowrap", text: formatDateTimeMs(run.startMs) }),
              h("td", {}, runLink(run), h("div", { class: "hint mono", text: run.file })),
              h("td", { class: "role", text: runRole(run) }),
              h("td", {}, outcomeBadge(run)),
              assertionsCell(run),
              h("td", {
                class: "num",
                text: `${formatMs((run.endMs ?? nowMs) - run.startMs)}${run.endMs === null ? "…" : ""}`,
              }),
              h("td", { class: "why", text: run.reason ?? "" }),
              h(
                "td",
                { class: "nowrap" },
                other !== undefined &&
                  h("a", {
                    class: "compare-link",
                    href: compareHash(run, other),
                    text: run.control === null ? "compare with control" : "compare with case",
                  }),
              ),
            );
          }),
          "grid runs-table",
        ),
        runs.length === LIMIT &&
          h("p", { class: "hint", text: `The newest ${LIMIT} runs in the range are listed.` }),
      );
    },
  };
}
