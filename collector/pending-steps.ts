/**
 * The steps of a close that have started and not settled, each with an optional detail read when asked: a
 * close that hangs can then name the step it waits on (and what that step waits on) instead of just hanging.
 */
export class PendingSteps {
  private readonly pending = new Map<symbol, { name: string; detail: () => string }>();

  /** Runs `work` as the step `name`; `detail` says, while it runs, what it is still waiting for. */
  async run<T>(name: string, work: () => Promise<T>, detail: () => string = () => ""): Promise<T> {
    const key = Symbol(name);
    this.pending.set(key, { name, detail });
    try {
      return await work();
    } finally {
      this.pending.delete(key);
    }
  }

  /** "scraper (waiting for 2 scrapes: …)", one per unsettled step, in the order they started. */
  list(): string[] {
    return [...this.pending.values()].map(({ name, detail }) => {
      const said = detail();
      return said === "" ? name : `${name} (${said})`;
    });
  }
}
