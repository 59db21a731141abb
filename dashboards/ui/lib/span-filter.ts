import type { SpanDetail } from "../../../collector/query/traces.js";

/**
 * A predicate for the filter box inside a trace: every whitespace-separated word must occur, case-insensitively,
 * in the span's name, service, ids, status message, event names or attribute keys and values (span and
 * resource). A word `key=value` matches an attribute whose key and text value are exactly those.
 * Undefined for a blank query, which filters nothing.
 */
export function spanMatcher(query: string): ((span: SpanDetail) => boolean) | undefined {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const haystacks = new WeakMap<SpanDetail, string>();
  const haystack = (span: SpanDetail): string => {
    let text = haystacks.get(span);
    if (text === undefined) {
      text = [
        span.name,
        span.service,
        span.serviceInstanceId,
        span.spanId,
        span.kindName,
        span.status.message,
        ...span.events.map((e) => e.name),
        JSON.stringify(span.attributes),
        JSON.stringify(span.resource.attributes),
      ]
        .join("\n")
        .toLowerCase();
      haystacks.set(span, text);
    }
    return text;
  };
  const pair = (span: SpanDetail, word: string): boolean => {
    const at = word.indexOf("=");
    const key = word.slice(0, at);
    const value = word.slice(at + 1);
    for (const attributes of [span.attributes, span.resource.attributes]) {
      for (const [k, v] of Object.entries(attributes)) {
        if (k.toLowerCase() !== key) continue;
        const text = typeof v === "string" ? v : JSON.stringify(v);
        if (text.toLowerCase() === value) return true;
      }
    }
    return false;
  };
  return (span) =>
    words.every((word) => (word.indexOf("=") > 0 ? pair(span, word) : haystack(span).includes(word)));
}
