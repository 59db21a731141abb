import { randomBytes } from "node:crypto";
import type {
  FaultUnit,
  HealsUnconfirmed,
  Injection,
  JsonObject,
  Target,
  Verification,
} from "../../experiment/fault-unit.js";
import { defaultStateDir, NAME_PREFIX } from "../../netns/state.js";
import { HealIncompleteError, NetworkTargetError } from "./errors.js";
import { answered, type LinkProbeResult, sampleLink } from "./link-probe.js";
import {
  readToxiproxyRecords,
  serverGone,
  type Toxic,
  type ToxicStream,
  type ToxicType,
  ToxiproxyClient,
  type ToxiproxyLink,
} from "./toxiproxy.js";

/** Where the network faults find the host networks and Toxiproxy servers (their state files). */
export interface NetworkFaultOptions {
  /** Default: `defaultStateDir()` at the time of each call. */
  readonly stateDir?: string;
  /** Draws a partition's seed when its config has none (the engine's `--seed`); default: crypto random. */
  readonly random?: () => number;
}

export const stateDirOf = (options: NetworkFaultOptions): string => options.stateDir ?? defaultStateDir();

/**
 * `{ link: { from, to } }` (either may be omitted: any), or `{ proxy }`; `server` picks among several. A link
 * or a proxy is required, which also tells these units apart from same-named ones that target nodes.
 */
const LINK = {
  type: "object",
  additionalProperties: false,
  properties: { from: { type: "string", minLength: 1 }, to: { type: "string", minLength: 1 } },
};
const NAME = { type: "string", minLength: 1 };

export const linkTargetSchema = {
  type: "object",
  additionalProperties: false,
  properties: { link: LINK, proxy: NAME, server: NAME },
  anyOf: [
    { properties: { link: LINK }, required: ["link"] },
    { properties: { proxy: NAME }, required: ["proxy"] },
  ],
};

export interface ResolvedLinks {
  readonly apiUrl: string;
  readonly server: string;
  readonly links: readonly ToxiproxyLink[];
}

/** The proxies a link target names, on the one recorded Toxiproxy server that has them. */
export function resolveLinks(fault: string, target: Target, stateDir: string): ResolvedLinks {
  const link = (target.link ?? {}) as { from?: string; to?: string };
  const proxy = target.proxy as string | undefined;
  const records = readToxiproxyRecords(stateDir).filter(
    (record) => target.server === undefined || record.id === target.server,
  );
  const matches = records
    .map((record) => ({
      record,
      links: record.links.filter(
        (l) =>
          (proxy === undefined || l.proxy === proxy) &&
          (link.from === undefined || l.from === link.from) &&
          (link.to === undefined || l.to === link.to),
      ),
    }))
    .filter((match) => match.links.length > 0);
  const first = matches[0];
  if (first === undefined) {
    const known = records.flatMap((record) => record.links.map((l) => `${l.from}->${l.to}`));
    throw new NetworkTargetError(
      fault,
      `no Toxiproxy link matches ${JSON.stringify(target)} in ${stateDir} (known: ${known.join(", ") || "none"})`,
    );
  }
  if (matches.length > 1) {
    throw new NetworkTargetError(
      fault,
      `links on several Toxiproxy servers match; name one with target.server (${matches.map((m) => m.record.id).join(", ")})`,
    );
  }
  return { apiUrl: first.record.apiUrl, server: first.record.id, links: first.links };
}

/** A toxic to add to every targeted proxy; the name is made unique per injection. */
export interface ToxicPlan {
  readonly type: ToxicType;
  readonly stream: ToxicStream;
  readonly attributes: Readonly<Record<string, number>>;
}

export interface AddedToxic {
  readonly proxy: string;
  readonly name: string;
}

/** Our toxic names: `shk-<fault>-<random>-<stream>`, so an unconfirmed heal can find its own and no other. */
export const toxicPrefix = (fault: string) => `${NAME_PREFIX}${fault}-`;

/** Adds every toxic to every proxy; if one fails, removes those already added before rethrowing. */
export async function addToxics(
  client: ToxiproxyClient,
  fault: string,
  proxies: readonly string[],
  plans: readonly ToxicPlan[],
): Promise<AddedToxic[]> {
  const suffix = randomBytes(3).toString("hex");
  const added: AddedToxic[] = [];
  try {
    for (const proxy of proxies) {
      for (const plan of plans) {
        const toxic: Toxic = { name: `${toxicPrefix(fault)}${suffix}-${plan.stream}`, toxicity: 1, ...plan };
        await client.addToxic(proxy, toxic);
        added.push({ proxy, name: toxic.name });
      }
    }
  } catch (error) {
    await removeToxics(client.apiUrl, added);
    throw error;
  }
  return added;
}

/**
 * Removes toxics by exact name. An already removed toxic is fine (a second heal), and so is a server that is
 * gone (its toxics went with it). Returns false in that last case.
 */
export async function removeToxics(apiUrl: string, toxics: readonly AddedToxic[]): Promise<boolean> {
  const client = new ToxiproxyClient(apiUrl);
  for (const toxic of toxics) {
    try {
      await client.removeToxic(toxic.proxy, toxic.name);
    } catch (error) {
      if (serverGone(error)) return false;
      throw error;
    }
  }
  return true;
}

/** The toxics of `added` that the server no longer lists (none missing means all are in place). */
export async function missingToxics(apiUrl: string, added: readonly AddedToxic[]): Promise<AddedToxic[]> {
  const client = new ToxiproxyClient(apiUrl);
  const missing: AddedToxic[] = [];
  for (const proxy of new Set(added.map((toxic) => toxic.proxy))) {
    const listed = new Set((await client.toxics(proxy))?.map((toxic) => toxic.name) ?? []);
    missing.push(...added.filter((toxic) => toxic.proxy === proxy && !listed.has(toxic.name)));
  }
  return missing;
}

/**
 * Removes, from the links a target names, every toxic whose name this fault's prefix starts: what an engine
 * that died inside inject may have added. Proxies and a server that are gone hold nothing to remove.
 */
export async function removeOwnToxics(fault: string, target: Target, stateDir: string): Promise<void> {
  let resolved: ResolvedLinks;
  try {
    resolved = resolveLinks(fault, target, stateDir);
  } catch {
    return;
  }
  const client = new ToxiproxyClient(resolved.apiUrl);
  try {
    for (const link of resolved.links) {
      for (const toxic of (await client.toxics(link.proxy)) ?? []) {
        if (toxic.name.startsWith(toxicPrefix(fault))) await client.removeToxic(link.proxy, toxic.name);
      }
    }
  } catch (error) {
    if (!serverGone(error)) throw error;
  }
}

/** What one link did before the fault (the baseline) or during it: several probes and their median. */
export interface LinkSample {
  readonly outcome: LinkProbeResult["outcome"];
  readonly medianMillis: number | null;
  readonly firstChunkBytes: number;
}

export async function sample(listen: string, samples: number, waitMillis: number): Promise<LinkSample> {
  const { results, medianMillis } = await sampleLink(listen, samples, waitMillis);
  const last = results[results.length - 1] as LinkProbeResult;
  const firstAnswer = results.find((result) => answered(result.outcome));
  return {
    outcome: firstAnswer?.outcome ?? last.outcome,
    medianMillis,
    firstChunkBytes: firstAnswer?.firstChunkBytes ?? 0,
  };
}

export const describeSample = (s: LinkSample) =>
  s.medianMillis === null ? s.outcome : `${s.outcome} in ${s.medianMillis.toFixed(1)} ms`;

/** One kind of link fault: its Toxiproxy toxics and how to tell from probes that they took effect. */
export interface LinkFaultKind<C> {
  readonly name: string;
  readonly description: string;
  readonly configSchema: object;
  /** The config with defaults applied (it has passed `configSchema`). */
  parse(config: JsonObject): C;
  toxics(config: C): ToxicPlan[];
  /** Probes per link, before and during the fault; latency needs several, a reset one. */
  readonly samples: number;
  /** How long a probe during the fault waits for an answer. */
  waitMillis(config: C, before: LinkSample): number;
  /** Whether one link's probes during the fault show its effect, compared with before it. */
  judge(config: C, before: LinkSample, during: LinkSample): Verification;
}

const BASELINE_WAIT_MILLIS = 2_000;
const HEAL_ATTEMPTS = 3;

interface LinkInjection {
  readonly proxy: string;
  readonly from: string;
  readonly to: string;
  readonly listen: string;
  readonly before: LinkSample;
}

/**
 * A FaultUnit over Toxiproxy links (Toxiproxy's own model: one toxic type per file, the plumbing shared):
 * inject measures each link, adds the toxics; verify probes again and asks the kind to judge; heal removes
 * the toxics by name and checks that the links answer again.
 */
export function linkFault<C extends JsonObject>(
  kind: LinkFaultKind<C>,
  options: NetworkFaultOptions = {},
): FaultUnit & HealsUnconfirmed {
  return {
    name: kind.name,
    description: kind.description,
    configSchema: kind.configSchema,
    targetSchema: linkTargetSchema,

    async inject(target: Target, config: JsonObject, signal: AbortSignal): Promise<Injection> {
      const parsed = kind.parse(config);
      const resolved = resolveLinks(kind.name, target, stateDirOf(options));
      const links: LinkInjection[] = await Promise.all(
        resolved.links.map(async (link) => ({
          proxy: link.proxy,
          from: link.from,
          to: link.to,
          listen: link.listen,
          before: await sample(link.listen, kind.samples, BASELINE_WAIT_MILLIS),
        })),
      );
      signal.throwIfAborted();
      const client = new ToxiproxyClient(resolved.apiUrl);
      const toxics = await addToxics(
        client,
        kind.name,
        links.map((link) => link.proxy),
        kind.toxics(parsed),
      );
      return {
        fault: kind.name,
        method: "toxiproxy",
        apiUrl: resolved.apiUrl,
        server: resolved.server,
        config: parsed,
        links: links as unknown as JsonObject[],
        toxics: toxics as unknown as JsonObject[],
      };
    },

    async verify(injection: Injection): Promise<Verification> {
      const apiUrl = injection.apiUrl as string;
      const toxics = injection.toxics as unknown as AddedToxic[];
      const missing = await missingToxics(apiUrl, toxics);
      if (missing.length > 0) {
        return {
          tookEffect: false,
          evidence: `toxics not listed by Toxiproxy: ${missing.map((t) => `${t.proxy}/${t.name}`).join(", ")}`,
        };
      }
      const config = injection.config as C;
      const links = injection.links as unknown as LinkInjection[];
      const verdicts = await Promise.all(
        links.map(async (link) => {
          const during = await sample(link.listen, kind.samples, kind.waitMillis(config, link.before));
          const verdict = kind.judge(config, link.before, during);
          return {
            tookEffect: verdict.tookEffect,
            evidence: `${link.from}->${link.to}: ${verdict.evidence}`,
          };
        }),
      );
      return {
        tookEffect: verdicts.every((verdict) => verdict.tookEffect),
        evidence: verdicts.map((verdict) => verdict.evidence).join("; "),
      };
    },

    async heal(injection: Injection): Promise<void> {
      const apiUrl = injection.apiUrl as string;
      if (!(await removeToxics(apiUrl, injection.toxics as unknown as AddedToxic[]))) return;
      await checkLinksAnswer(kind.name, injection.links as unknown as LinkInjection[]);
    },

    async healUnconfirmed(target: Target): Promise<void> {
      await removeOwnToxics(kind.name, target, stateDirOf(options));
    },
  };
}

/** Every link that answered before the fault answers again (a few tries, each bounded). */
export async function checkLinksAnswer(
  fault: string,
  links: readonly { from: string; to: string; listen: string; before: LinkSample }[],
): Promise<void> {
  const failing: string[] = [];
  for (const link of links.filter((l) => answered(l.before.outcome))) {
    let last: LinkSample | null = null;
    for (let attempt = 0; attempt < HEAL_ATTEMPTS; attempt++) {
      last = await sample(link.listen, 1, BASELINE_WAIT_MILLIS);
      if (answered(last.outcome)) break;
    }
    if (last !== null && !answered(last.outcome)) {
      failing.push(`${link.from}->${link.to} ${describeSample(last)}`);
    }
  }
  if (failing.length > 0) throw new HealIncompleteError(fault, failing.join("; "));
}
