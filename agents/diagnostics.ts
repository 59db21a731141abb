/**
 * The agent's own problems, one JSON line on stderr each. They never go through the app's logger or OTLP,
 * because those may be what is failing. Level 40 is pino's "warn", so readers of pino lines parse them too.
 */
export function reportProblem(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    `${JSON.stringify({ level: 40, time: Date.now(), name: "shakedown-agent", msg, ...fields })}\n`,
  );
}
