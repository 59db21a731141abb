import { seededRandom } from "../faults/context.js";

/**
 * The placeholders a request template may hold in its path, header values and body, filled per request:
 *
 * - `{{key}}`: a fresh idempotency key, the same one everywhere in one request;
 * - `{{token}}`: the token a flood's login got (floods only);
 * - `{{cycle N}}`: 1, 2, … N in turn, by the request's sequence number (spreads reads over N ids);
 * - `{{shuffle N}}`: 1 … N, each exactly once per round of N requests, in a scattered order that is the same
 *   in every run. Ids from 1 to some M ≤ N that exist and ids above M that do not then come interleaved, in
 *   the proportion M : N − M (`/products/{{shuffle 2000}}`: one existing product in ten).
 */

/** The largest N of `{{cycle N}}` and `{{shuffle N}}`; a shuffle keeps a permutation of N numbers in memory. */
export const MAX_TEMPLATE_RANGE = 1_000_000;

const RANGE = /\{\{(cycle|shuffle) (\d+)\}\}/g;
const ANY_PLACEHOLDER = /\{\{([^}]*)\}\}/g;

/** What changes from one request to the next. */
export interface TemplateValues {
  /** Replaces `{{key}}`; null when the template has none. */
  readonly key: string | null;
  /** The request's 0-based sequence number within its flood or burst. */
  readonly sequence: number;
  /** Replaces `{{token}}`; absent or null leaves it as written. */
  readonly token?: string | null;
}

/** The template with every placeholder filled for one request. */
export function fillTemplate(text: string, values: TemplateValues): string {
  const keyed = values.key === null ? text : text.replaceAll("{{key}}", values.key);
  const signed = values.token == null ? keyed : keyed.replaceAll("{{token}}", values.token);
  return signed.replace(RANGE, (_, form: string, size: string) => {
    const n = Number(size);
    const position = values.sequence % n;
    return String(form === "cycle" ? position + 1 : (permutation(n)[position] as number));
  });
}

/** True when the template holds `{{key}}`, so each request needs a fresh key. */
export function hasKeyPlaceholder(text: string): boolean {
  return text.includes("{{key}}");
}

/** Why a template cannot be filled (an unknown placeholder, a range of 0 or too large); null when it can. */
export function templateProblem(text: string): string | null {
  for (const [placeholder, inner] of text.matchAll(ANY_PLACEHOLDER)) {
    if (inner === "key" || inner === "token") continue;
    const range = /^(cycle|shuffle) (\d+)$/.exec(inner as string);
    if (range === null)
      return `unknown placeholder ${placeholder} (known: {{key}}, {{token}}, {{cycle N}}, {{shuffle N}})`;
    const n = Number(range[2]);
    if (n < 1 || n > MAX_TEMPLATE_RANGE)
      return `${placeholder}: N must be an integer from 1 to ${MAX_TEMPLATE_RANGE}`;
  }
  return null;
}

const permutations = new Map<number, Uint32Array>();

/**
 * 1 … n in a fixed pseudo-random order: a Fisher–Yates shuffle driven by mulberry32 seeded with n, so the
 * same n gives the same order in every process and every run.
 */
function permutation(n: number): Uint32Array {
  const known = permutations.get(n);
  if (known !== undefined) return known;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i + 1;
  const random = seededRandom(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i] as number;
    order[i] = order[j] as number;
    order[j] = swap;
  }
  permutations.set(n, order);
  return order;
}
