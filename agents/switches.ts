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

export class SwitchBoard {
  private readonly switches = new Map<string, Switch>();

  /** The switch of that name, created on first use; defining it twice returns the same switch. */
  define(name: string, initiallyOn = true): Switch {
    let found = this.switches.get(name);
    if (found === undefined) {
      found = new Switch(name, initiallyOn);
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
export const switchboard = new SwitchBoard();
