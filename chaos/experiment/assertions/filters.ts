/** Fields shared by kinds that read a service's entry spans. */
export const spanFilterProperties = {
  service: { type: "string", minLength: 1 },
  operation: { type: "string", minLength: 1 },
} as const;

export interface SpanFilterParams {
  service: string;
  operation?: string;
}

export function spanFilter(params: SpanFilterParams): { service: string; operation?: string } {
  return params.operation === undefined
    ? { service: params.service }
    : { service: params.service, operation: params.operation };
}

export const metricProperties = {
  metric: { type: "string", minLength: 1 },
  attributes: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
} as const;

export interface MetricParams {
  metric: string;
  attributes?: Record<string, string | number | boolean>;
}
