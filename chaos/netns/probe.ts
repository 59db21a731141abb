import { isIPv4 } from "node:net";
import { findTool, ipTool, mustRun } from "./command.js";
import { NetnsInvalidError } from "./errors.js";

export interface TcpProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly timeoutMillis: number;
}

/** `connected` and `refused` both prove the path works (a refusal is an answer); the rest prove it does not. */
export type TcpProbeOutcome = "connected" | "refused" | "timeout" | "unreachable" | "error";

export interface TcpProbeResult {
  readonly host: string;
  readonly port: number;
  readonly outcome: TcpProbeOutcome;
  readonly millis: number;
}

export const reachable = (outcome: TcpProbeOutcome): boolean =>
  outcome === "connected" || outcome === "refused";

// Runs inside the namespace: Node cannot enter another network namespace (setns is per thread and not
// exposed), and a Node process takes ~60 ms to start where bash takes ~5, which matters for the time from
// inject to verified. One connect per target, all at once, each bounded by coreutils' `timeout`; bash's
// /dev/tcp does the connect. Targets come as arguments, never spliced into the script.
const PROBE_SCRIPT = `
for target in "$@"; do
  (
    set -- $target
    start=$EPOCHREALTIME
    if output=$(timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1); then
      outcome=connected
    elif [ $? -eq 124 ]; then
      outcome=timeout
    else
      case "$output" in
        *refused*) outcome=refused ;;
        *unreachable*) outcome=unreachable ;;
        *) outcome=error ;;
      esac
    fi
    end=$EPOCHREALTIME
    echo "$1 $2 $outcome \${start//[.,]/} \${end//[.,]/}"
  ) &
done
wait
`;

const OUTCOMES = new Set<string>(["connected", "refused", "timeout", "unreachable", "error"]);

/** TCP connects from inside a namespace (a node's host) to each target, concurrently, each bounded in time. */
export async function probeTcpFrom(
  namespace: string,
  targets: readonly TcpProbeTarget[],
  signal?: AbortSignal,
): Promise<TcpProbeResult[]> {
  if (targets.length === 0) return [];
  for (const target of targets) {
    if (!isIPv4(target.host) || !Number.isInteger(target.port) || target.port < 1 || target.port > 65_535) {
      throw new NetnsInvalidError(`cannot probe ${target.host}:${target.port}`);
    }
  }
  const bash = findTool("bash") ?? "bash";
  const args = targets.map((t) => `${t.host} ${t.port} ${(Math.max(1, t.timeoutMillis) / 1000).toFixed(3)}`);
  const longest = Math.max(...targets.map((target) => target.timeoutMillis));
  const output = await mustRun(
    ipTool(),
    ["netns", "exec", namespace, bash, "-c", PROBE_SCRIPT, "probe", ...args],
    {
      timeoutMillis: longest + 10_000,
      ...(signal === undefined ? {} : { signal }),
    },
  );
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  // Results arrive in completion order; match them back to the targets, which may repeat.
  const pending = lines.map((line) => line.trim().split(" "));
  return targets.map((target) => {
    const index = pending.findIndex(([host, port]) => host === target.host && Number(port) === target.port);
    const [, , outcome = "error", start = "0", end = "0"] =
      index === -1 ? [] : (pending.splice(index, 1)[0] ?? []);
    return {
      host: target.host,
      port: target.port,
      outcome: (OUTCOMES.has(outcome) ? outcome : "error") as TcpProbeOutcome,
      millis: Math.round((Number(end) - Number(start)) / 100) / 10,
    };
  });
}
