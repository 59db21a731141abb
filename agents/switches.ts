/**
 * Runtime on/off switches for defenses. Every defense in the shop reads its switch on each decision, so a
 * negative control can turn a defense off in a running process (through the agent's control endpoint) and
 * the same process then behaves as if the defense were never written.
 */
export class Switch {
  private on: boolean;

  constructor(
    readonly name: string,
    initiallyOn = true,
  ) {
    this.on = initiallyOn;
  }

  get enabled(): boolean {
    return this.on;
  }

  set(on: boolean): void {
    this.on = on;
  }
}

/**
 * Names of switches a process starts with turned off, comma-separated. The engine sets it for every node it
 * starts while a negative control runs, so a node restarted mid-control (a crash, a kill) comes up with the
 * control's defenses off instead of silently on.
 */
export const SWITCHES_OFF_ENV = "SHAKEDOWN_SWITCHES_OFF";

export class SwitchBoard {
  private readonly switches = new Map<string, Switch>();

  /** `startOff`: switches that start turned off whatever their definition says. */
  constructor(private readonly startOff: ReadonlySet<string> = new Set()) {}

  /** The switch of that name, created on first use; defining it twice returns the same switch. */
  define(name: string, initiallyOn = true): Switch {
    let found = this.switches.get(name);
    if (found === undefined) {
      found = new Switch(name, initiallyOn && !this.startOff.has(name));
      this.switches.set(name, found);
    }
    return found;
  }

  get(name: string): Switch | undefined {
    return this.switches.get(name);
  }

  snapshot(): Record<string, boolean> {
    return Object.fromEntries([...this.switches].map(([name, s]) => [name, s.enabled]));
  }
}

/** The process's switches; the agent's control endpoint reads and sets these. */
export const switchboard = new SwitchBoard(switchesOff(process.env[SWITCHES_OFF_ENV]));

/** The names in a `SHAKEDOWN_SWITCHES_OFF` value. */
function switchesOff(value: string | undefined): Set<string> {
  return new Set(
    (value ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}
