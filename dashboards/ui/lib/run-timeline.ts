/**
 * Where a run's phases and fault windows sit on its timeline, in percent of the run's extent, and the fault
 * windows in milliseconds for shading charts. Times are epoch milliseconds; labels count from the method's
 * start, the moment the experiment file's `at:` offsets count from.
 */

export interface TimelineRun {
  startMs: number;
  endMs: number | null;
  methodStartMs: number | null;
  methodEndMs: number | null;
  phases: readonly { name: string; startMs: number; endMs: number | null }[];
  faults: readonly {
    id: string;
    fault: string;
    /** After the method's start, as the experiment file schedules it; not an epoch time. */
    scheduledAtMs: number;
    injectedAtMs: number | null;
    verifiedAtMs: number | null;
    healedAtMs: number | null;
  }[];
}

export interface FaultWindow {
  id: string;
  fault: string;
  startMs: number;
  endMs: number;
  /** Not healed (yet): the window runs to the method's end, or to now while the run goes on. */
  open: boolean;
}

export interface Placed {
  left: number;
  width: number;
}

export interface TimelineLayout {
  startMs: number;
  endMs: number;
  originMs: number;
  phases: (Placed & { name: string; startMs: number; endMs: number; open: boolean })[];
  faults: {
    id: string;
    fault: string;
    /** Null until the method has started. */
    scheduled: number | null;
    /** Null when the fault was never injected. */
    window: (Placed & FaultWindow) | null;
    verified: number | null;
  }[];
  ticks: { left: number; label: string }[];
}

const TICK_STEPS_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const MAX_TICKS = 10;

/** The end of what happened so far: the run's end, or now while it runs. */
function runEndMs(run: TimelineRun, nowMs: number): number {
  return Math.max(run.endMs ?? nowMs, run.startMs + 1);
}

/** Every fault that was injected, from its injection to its heal (or to where it was left standing). */
export function faultWindows(run: TimelineRun, nowMs: number): FaultWindow[] {
  const end = run.endMs === null ? nowMs : (run.methodEndMs ?? run.endMs);
  return run.faults.flatMap((f) =>
    f.injectedAtMs === null
      ? []
      : [
          {
            id: f.id,
            fault: f.fault,
            startMs: f.injectedAtMs,
            endMs: Math.max(f.healedAtMs ?? end, f.injectedAtMs),
            open: f.healedAtMs === null,
          },
        ],
  );
}

/** "+12.5 s" from the origin, "−2 s" before it; minutes once past ten of them. */
export function formatOffset(ms: number, originMs: number): string {
  const seconds = (ms - originMs) / 1000;
  const sign = seconds < 0 ? "−" : "+";
  const abs = Math.abs(seconds);
  if (abs >= 600) return `${sign}${Number((abs / 60).toFixed(1))} min`;
  return `${sign}${Number(abs.toFixed(abs >= 100 ? 0 : 1))} s`;
}

export function timelineLayout(run: TimelineRun, nowMs: number): TimelineLayout {
  const startMs = run.startMs;
  const endMs = runEndMs(run, nowMs);
  const originMs = run.methodStartMs ?? startMs;
  const at = (ms: number) => (Math.min(Math.max(ms, startMs), endMs) - startMs) / ((endMs - startMs) / 100);
  const place = (from: number, to: number): Placed => ({ left: at(from), width: at(to) - at(from) });
  const windows = new Map(faultWindows(run, nowMs).map((w) => [w.id, w]));

  const spanSeconds = (endMs - startMs) / 1000;
  const step =
    TICK_STEPS_SECONDS.find((s) => spanSeconds / s <= MAX_TICKS) ?? (TICK_STEPS_SECONDS.at(-1) as number);
  const ticks: TimelineLayout["ticks"] = [];
  const stepMs = step * 1000;
  for (let t = originMs + Math.ceil((startMs - originMs) / stepMs) * stepMs; t <= endMs; t += stepMs) {
    ticks.push({ left: at(t), label: formatOffset(t, originMs) });
  }

  return {
    startMs,
    endMs,
    originMs,
    phases: run.phases.map((p) => {
      const phaseEnd = p.endMs ?? endMs;
      return {
        name: p.name,
        startMs: p.startMs,
        endMs: phaseEnd,
        open: p.endMs === null,
        ...place(p.startMs, phaseEnd),
      };
    }),
    faults: run.faults.map((f) => {
      const window = windows.get(f.id);
      return {
        id: f.id,
        fault: f.fault,
        scheduled: run.methodStartMs === null ? null : at(run.methodStartMs + f.scheduledAtMs),
        window: window === undefined ? null : { ...window, ...place(window.startMs, window.endMs) },
        verified: f.verifiedAtMs === null ? null : at(f.verifiedAtMs),
      };
    }),
    ticks,
  };
}
