import { writeSync } from "node:fs";

/**
 * Crash points: named steps in a service's code where the process, once the point is armed through the
 * control endpoint, kills itself with SIGKILL. A signal from outside lands wherever the process happens to
 * be; a crash point lands between two chosen statements (the outbox relay after the broker's ack and before
 * marking the rows sent), which is the window a defense must cover. SIGKILL, not `process.exit`: no exit
 * handler, no flush, no graceful close runs, as in a real crash.
 */
export class CrashPoint {
  private armedFlag = false;

  constructor(readonly name: string) {}

  get armed(): boolean {
    return this.armedFlag;
  }

  arm(armed: boolean): void {
    this.armedFlag = armed;
  }

  /** Call at the step: returns at once unless armed, and never returns when armed. */
  reached(): void {
    if (!this.armedFlag) return;
    // Synchronous, so the line is in the node's log before the process is gone.
    writeSync(
      2,
      `${JSON.stringify({ level: 50, msg: "crash point reached: SIGKILL", crashPoint: this.name, pid: process.pid })}\n`,
    );
    process.kill(process.pid, "SIGKILL");
  }
}

export class CrashPoints {
  private readonly points = new Map<string, CrashPoint>();

  /** The point of that name, created on first use: a module defines its points as it loads. */
  define(name: string): CrashPoint {
    let point = this.points.get(name);
    if (point === undefined) {
      point = new CrashPoint(name);
      this.points.set(name, point);
    }
    return point;
  }

  get(name: string): CrashPoint | undefined {
    return this.points.get(name);
  }

  /** Every defined point and whether it is armed. */
  snapshot(): Record<string, boolean> {
    return Object.fromEntries([...this.points].map(([name, point]) => [name, point.armed]));
  }
}

/** The process's crash points, which the agent's control endpoint arms. */
export const crashPoints = new CrashPoints();
