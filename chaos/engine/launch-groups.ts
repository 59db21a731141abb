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
