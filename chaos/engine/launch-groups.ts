import type { Experiment, NetworkMode, Profile } from "../experiment/types.js";

/** Experiments that can share one launched topology: same profile, same node environment, same network. */
export interface LaunchGroup {
  readonly profile: Profile;
  readonly env: Readonly<Record<string, string>>;
  readonly network: NetworkMode;
  readonly experiments: readonly Experiment[];
}

function keyOf(experiment: Experiment): string {
  const env = Object.entries(experiment.topology.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([experiment.profile, experiment.topology.network, env]);
}

/** Groups in the order their first experiment was given, so a run's output follows the command line. */
export function launchGroups(experiments: readonly Experiment[]): LaunchGroup[] {
  const groups = new Map<
    string,
    {
      profile: Profile;
      env: Readonly<Record<string, string>>;
      network: NetworkMode;
      experiments: Experiment[];
    }
  >();
  for (const experiment of experiments) {
    const key = keyOf(experiment);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, {
        profile: experiment.profile,
        env: experiment.topology.env,
        network: experiment.topology.network,
        experiments: [experiment],
      });
    } else group.experiments.push(experiment);
  }
  return [...groups.values()];
}

/** About how long one run of the experiment lasts: its load, or its method when that ends later. */
function runMillis(experiment: Experiment): number {
  const methodEnd = Math.max(
    0,
    ...experiment.method.map((action) => action.atMillis + (action.durationMillis ?? 0)),
  );
  return Math.max(experiment.load?.durationMillis ?? 0, methodEnd);
}

/** About how long a group keeps its topology busy: each experiment once, and once more per negative control. */
export function estimatedMillis(group: LaunchGroup): number {
  return group.experiments.reduce(
    (sum, experiment) => sum + runMillis(experiment) * (1 + experiment.controls.length),
    0,
  );
}

/** A flood this fast must keep its schedule within a tenth of a window, which needs the engine to itself. */
export const ALONE_FROM_REQUESTS_PER_SECOND = 200;

function needsEngineAlone(group: LaunchGroup): boolean {
  return group.experiments.some(
    (experiment) =>
      experiment.load?.type === "flood" && experiment.load.ratePerSecond >= ALONE_FROM_REQUESTS_PER_SECOND,
  );
}

/**
 * How groups run when several may run at once: groups with a fast flood alone (the engine's one event loop
 * sends every request, and a rate limiter is judged by when they left), the others together, longest first
 * so that a long one started last does not leave the others idle at the end.
 */
export function scheduleGroups(groups: readonly LaunchGroup[]): {
  alone: LaunchGroup[];
  together: LaunchGroup[];
} {
  const longestFirst = [...groups].sort((a, b) => estimatedMillis(b) - estimatedMillis(a));
  return {
    alone: longestFirst.filter(needsEngineAlone),
    together: longestFirst.filter((group) => !needsEngineAlone(group)),
  };
}
