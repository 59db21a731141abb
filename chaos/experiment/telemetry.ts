/**
 * A half-open time range [startMillis, endMillis) in Unix epoch milliseconds. Requests belong to it by
 * their start, except at an edge that is a fault's injection: a request in flight there is the fault's.
 */
export interface AbsoluteWindow {
  readonly startMillis: number;
  readonly endMillis: number;
  /** The window begins at an injection: it also holds the requests in flight then. */
  readonly startsAtInjection?: boolean;
  /** The window ends at an injection: it holds only the requests that ended before it. */
  readonly endsAtInjection?: boolean;
}

/** Which server spans count as a service's requests: its entry spans, optionally of one operation. */
export interface SpanFilter {
  readonly service: string;
  /** The span name, e.g. `POST /api/orders`. */
  readonly operation?: string;
}

export interface MetricSelector {
  readonly name: string;
  /** Series whose attributes include all of these. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** OpenTelemetry's span kinds, by the names experiment files use. */
export const SPAN_KINDS = ["internal", "server", "client", "producer", "consumer"] as const;
export type SpanKindName = (typeof SPAN_KINDS)[number];

/** Which spans to count: a service's spans, narrowed by name, kind and attributes (all must match). */
export interface SpanSelector {
  readonly service: string;
  /** The span name, e.g. `SELECT products`. */
  readonly name?: string;
  readonly kind?: SpanKindName;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** The start of each matching span and the instance (`service.instance.id`) that recorded it. */
export interface SpanStarts {
  /** Every instance of the service that recorded any span in the window, matching or not, sorted. */
  readonly instances: readonly string[];
  readonly spans: readonly { readonly startMillis: number; readonly instance: string }[];
}

/** One request as its entry span recorded it; its outcome is known when it ends. */
export interface RequestOutcome {
  readonly endMillis: number;
  readonly durationMillis: number;
  readonly error: boolean;
}

/**
 * The span event name of a defense decision, as agents/decision.ts records it; repeated here so that the
 * engine need not load the agent (a test keeps the two equal).
 */
export const DECISION_EVENT = "shakedown.defense.decision";

/** Which defense decisions count (agents/decision.ts records them as log records and span events). */
export interface DecisionSelector {
  /** `shakedown.defense`, e.g. `rpc.circuit_breaker`. */
  readonly defense: string;
  /** `shakedown.decision`, e.g. `opened`; any decision of the defense when absent. */
  readonly decision?: string;
  /** The service that recorded it. */
  readonly service?: string;
  /** Further attributes the decision must carry, e.g. `peer.service: recommendations`. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The first matching decision in a window, and whether the window holds any telemetry of the deciding
 * service (of any service when none is named): no decision in a window without data proves nothing.
 */
export interface FirstDecision {
  readonly atMillis: number | null;
  readonly observed: boolean;
}

/**
 * What assertions ask of the run's telemetry. The collector's SQLite answers it for real runs; `null`
 * means no data in the window, which the assertion reports as unknown rather than as zero.
 */
export interface Telemetry {
  requestCounts(filter: SpanFilter, window: AbsoluteWindow): Promise<{ requests: number; errors: number }>;
  latencyQuantileMillis(filter: SpanFilter, quantile: number, window: AbsoluteWindow): Promise<number | null>;
  /** Increase of a cumulative counter over the window, summed over matching series (resets handled). */
  metricIncrease(metric: MetricSelector, window: AbsoluteWindow): Promise<number | null>;
  /**
   * A read-only SQL query against the collector's schema that returns one number (first column of the first
   * row), with the window bound as `@start_ns`, `@end_ns`, `@start_ms`, `@end_ms`.
   */
  sqlScalar(sql: string, window: AbsoluteWindow): Promise<number | null>;
  /** The spans that match, started in the window; `instances` empty means the service was silent. */
  spanStarts(selector: SpanSelector, window: AbsoluteWindow): Promise<SpanStarts>;
  /** The service's requests (entry spans) that ended in the window, by end time. */
  requestOutcomes(filter: SpanFilter, window: AbsoluteWindow): Promise<RequestOutcome[]>;
  firstDecision(selector: DecisionSelector, window: AbsoluteWindow): Promise<FirstDecision>;
}

export interface RecordedSpan {
  readonly service: string;
  /** The span name. */
  readonly operation?: string;
  readonly startMillis: number;
  readonly durationMillis: number;
  readonly error: boolean;
  /** Default "server": recorded spans are a service's requests unless they say otherwise. */
  readonly kind?: SpanKindName;
  /** Default "<service>-1". */
  readonly instance?: string;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** A defense decision: when, by which service, with its attributes (`shakedown.defense`, ...). */
export interface RecordedDecision {
  readonly service: string;
  readonly timeMillis: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

/** A cumulative counter sample. */
export interface RecordedPoint {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly timeMillis: number;
  readonly value: number;
}

const inside = (timeMillis: number, window: AbsoluteWindow) =>
  timeMillis >= window.startMillis && timeMillis < window.endMillis;

/** Nearest-rank quantile, the same definition the collector's queries use. */
export function nearestRank(sorted: readonly number[], quantile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * sorted.length - 1e-9));
  return sorted[rank - 1] ?? null;
}

/** The attributes a decision must carry to match a selector. */
export function decisionAttributes(
  selector: DecisionSelector,
): Readonly<Record<string, string | number | boolean>> {
  return {
    ...selector.attributes,
    "shakedown.defense": selector.defense,
    ...(selector.decision === undefined ? {} : { "shakedown.decision": selector.decision }),
  };
}

/** Telemetry held in memory: for tests, and for runs judged from data recorded elsewhere. */
export class InMemoryTelemetry implements Telemetry {
  constructor(
    private readonly spans: readonly RecordedSpan[] = [],
    private readonly points: readonly RecordedPoint[] = [],
    private readonly decisions: readonly RecordedDecision[] = [],
  ) {}

  private ofOperation(filter: SpanFilter): RecordedSpan[] {
    return this.spans.filter(
      (span) =>
        span.service === filter.service &&
        (filter.operation === undefined || span.operation === filter.operation),
    );
  }

  private select(filter: SpanFilter, window: AbsoluteWindow): RecordedSpan[] {
    return this.ofOperation(filter).filter((span) => {
      const endMillis = span.startMillis + span.durationMillis;
      const started =
        inside(span.startMillis, window) ||
        (window.startsAtInjection === true &&
          span.startMillis < window.startMillis &&
          endMillis > window.startMillis);
      return started && (window.endsAtInjection !== true || endMillis <= window.endMillis);
    });
  }

  async requestOutcomes(filter: SpanFilter, window: AbsoluteWindow) {
    return this.ofOperation(filter)
      .map((span) => ({
        endMillis: span.startMillis + span.durationMillis,
        durationMillis: span.durationMillis,
        error: span.error,
      }))
      .filter((outcome) => inside(outcome.endMillis, window))
      .sort((a, b) => a.endMillis - b.endMillis);
  }

  async firstDecision(selector: DecisionSelector, window: AbsoluteWindow) {
    const wanted = Object.entries(decisionAttributes(selector));
    const ofService = (service: string) => selector.service === undefined || service === selector.service;
    const times = this.decisions
      .filter(
        (decision) =>
          ofService(decision.service) &&
          inside(decision.timeMillis, window) &&
          wanted.every(([key, value]) => decision.attributes[key] === value),
      )
      .map((decision) => decision.timeMillis);
    const observed =
      this.spans.some((span) => ofService(span.service) && inside(span.startMillis, window)) ||
      this.decisions.some((decision) => ofService(decision.service) && inside(decision.timeMillis, window));
    return { atMillis: times.length === 0 ? null : Math.min(...times), observed };
  }

  async requestCounts(filter: SpanFilter, window: AbsoluteWindow) {
    const spans = this.select(filter, window);
    return { requests: spans.length, errors: spans.filter((span) => span.error).length };
  }

  async latencyQuantileMillis(filter: SpanFilter, quantile: number, window: AbsoluteWindow) {
    const durations = this.select(filter, window).map((span) => span.durationMillis);
    return nearestRank(
      durations.sort((a, b) => a - b),
      quantile,
    );
  }

  async metricIncrease(metric: MetricSelector, window: AbsoluteWindow) {
    const series = new Map<string, RecordedPoint[]>();
    for (const point of this.points) {
      if (point.name !== metric.name || point.timeMillis >= window.endMillis) continue;
      const matches = Object.entries(metric.attributes ?? {}).every(
        ([key, value]) => point.attributes[key] === value,
      );
      if (!matches) continue;
      const key = JSON.stringify(Object.entries(point.attributes).sort());
      series.set(key, [...(series.get(key) ?? []), point]);
    }
    let total: number | null = null;
    for (const points of series.values()) {
      points.sort((a, b) => a.timeMillis - b.timeMillis);
      const before = points.filter((point) => point.timeMillis < window.startMillis).at(-1);
      const within = points.filter((point) => inside(point.timeMillis, window));
      if (within.length === 0) continue;
      let previous = before?.value ?? (within[0] as RecordedPoint).value;
      let increase = 0;
      for (const point of within) {
        // A drop means the process restarted and its counter began again from zero.
        increase += point.value >= previous ? point.value - previous : point.value;
        previous = point.value;
      }
      total = (total ?? 0) + increase;
    }
    return total;
  }

  async spanStarts(selector: SpanSelector, window: AbsoluteWindow): Promise<SpanStarts> {
    const instanceOf = (span: RecordedSpan) => span.instance ?? `${span.service}-1`;
    const ofService = this.spans.filter(
      (span) => span.service === selector.service && inside(span.startMillis, window),
    );
    const matching = ofService.filter(
      (span) =>
        (selector.name === undefined || span.operation === selector.name) &&
        (selector.kind === undefined || (span.kind ?? "server") === selector.kind) &&
        Object.entries(selector.attributes ?? {}).every(
          ([key, value]) => String(span.attributes?.[key]) === String(value),
        ),
    );
    return {
      instances: [...new Set(ofService.map(instanceOf))].sort(),
      spans: matching.map((span) => ({ startMillis: span.startMillis, instance: instanceOf(span) })),
    };
  }

  async sqlScalar(): Promise<number | null> {
    throw new Error("in-memory telemetry cannot answer SQL; run against the collector's database");
  }
}
