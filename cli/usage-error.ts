/** Wrong flags or arguments: the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  readonly isUsageError = true;
  override name = "UsageError";
}

export function isUsageError(error: unknown): error is UsageError {
  return typeof error === "object" && error !== null && (error as UsageError).isUsageError === true;
}

/** Runs a flag parser, turning its complaint into a UsageError that names the flag. */
export function flag<T>(name: string, parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new UsageError(`${name}: ${(error as Error).message}`);
    }
  };
}
