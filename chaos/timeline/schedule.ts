import type { Experiment } from "../experiment/types.js";

/**
 * A step of a run, as plain data (Jepsen's generator ops). Timed ops run at `atMillis` after the method
 * starts; the others run as soon as the previous op is done.
 */
export type ScheduledOp =
  | { readonly op: "check-steady-state"; readonly phase: "before" | "after" }
  | { readonly op: "start-method" }
  | { readonly op: "start-load" }
  | { readonly op: "inject"; readonly atMillis: number; readonly actionId: string }
  | { readonly op: "heal"; readonly atMillis: number; readonly actionId: string }
  | { readonly op: "await-load"; readonly atMillis: number }
  | { readonly op: "end-method"; readonly atMillis: number };

/** When the method ends: when the load ends, or after the last fault's injection or heal if later. */
export function methodLengthMillis(experiment: Experiment): number {
  return Math.max(
    experiment.load?.durationMillis ?? 0,
    ...experiment.method.map((action) => action.atMillis + (action.durationMillis ?? 0)),
  );
}

/**
 * The run as a list of ops. At one instant, timed heals come before injections (a fault may start as
 * another ends); faults without a duration are healed at the method's end in reverse order of injection.
 */
export function buildSchedule(experiment: Experiment): ScheduledOp[] {
  const endMillis = methodLengthMillis(experiment);
  const timed: { op: ScheduledOp; atMillis: number; rank: number; order: number }[] = [];
  experiment.method.forEach((action, index) => {
    timed.push({
      op: { op: "inject", atMillis: action.atMillis, actionId: action.id },
      atMillis: action.atMillis,
      rank: 1,
      order: index,
    });
    if (action.durationMillis !== null) {
      const atMillis = action.atMillis + action.durationMillis;
      timed.push({ op: { op: "heal", atMillis, actionId: action.id }, atMillis, rank: 0, order: -index });
    } else {
      timed.push({
        op: { op: "heal", atMillis: endMillis, actionId: action.id },
        atMillis: endMillis,
        rank: 2,
        order: -index,
      });
    }
  });
  timed.sort((a, b) => a.atMillis - b.atMillis || a.rank - b.rank || a.order - b.order);
  return [
    { op: "check-steady-state", phase: "before" },
    { op: "start-method" },
    ...(experiment.load === null ? [] : [{ op: "start-load" } as const]),
    ...timed.map((entry) => entry.op),
    ...(experiment.load === null ? [] : [{ op: "await-load", atMillis: endMillis } as const]),
    { op: "end-method", atMillis: endMillis },
    { op: "check-steady-state", phase: "after" },
  ];
}
