/** How a run ended; the fixed set every report and exit code is derived from. */
export const RUN_STATUSES = ["passed", "failed", "error", "aborted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** aborted beats error beats failed beats passed: the combined status of several outcomes. */
export function worstStatus(...statuses: readonly RunStatus[]): RunStatus {
  return statuses.reduce<RunStatus>(
    (worst, status) => (RUN_STATUSES.indexOf(status) > RUN_STATUSES.indexOf(worst) ? status : worst),
    "passed",
  );
}
