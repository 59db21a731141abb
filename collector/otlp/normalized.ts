import { BadDataError } from "../errors.js";
import type { ResourceRow, ScopedRows, ScopeRow } from "../model.js";
import { attributes, type Loose, string, uint32 } from "./values.js";

/** What one request normalised to: accepted rows plus the items rejected individually (partial success). */
export interface Normalized<T> {
  groups: ScopedRows<T>[];
  rejected: number;
  /** The first rejection's reason, for the partial-success message. */
  firstError: string;
}

export function resourceRow(resource: Loose, schemaUrl: Loose): ResourceRow {
  const attrs = attributes(resource?.attributes);
  const serviceName = attrs["service.name"];
  const instance = attrs["service.instance.id"];
  return {
    attributes: JSON.stringify(attrs),
    droppedAttributesCount: uint32(resource?.droppedAttributesCount, "resource.droppedAttributesCount"),
    schemaUrl: string(schemaUrl, "schemaUrl"),
    serviceName: typeof serviceName === "string" && serviceName !== "" ? serviceName : "unknown_service",
    serviceInstanceId: typeof instance === "string" ? instance : "",
  };
}

export function scopeRow(scope: Loose, schemaUrl: Loose): ScopeRow {
  return {
    name: string(scope?.name, "scope.name"),
    version: string(scope?.version, "scope.version"),
    attributes: JSON.stringify(attributes(scope?.attributes)),
    droppedAttributesCount: uint32(scope?.droppedAttributesCount, "scope.droppedAttributesCount"),
    schemaUrl: string(schemaUrl, "schemaUrl"),
  };
}

/**
 * Walks resource → scope → items, normalising each item on its own so that one bad item is rejected and
 * counted while its neighbours are kept. A request that is not shaped like OTLP at all fails as a whole.
 */
export function normalizeRequest<T>(
  request: Loose,
  fields: { resources: string; scopes: string; items: string },
  countItems: (items: Loose[]) => number,
  normalizeItems: (items: Loose[], reject: (error: unknown, items: number) => void) => T[],
): Normalized<T> {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw new BadDataError("request body is not an OTLP export request object");
  }
  const result: Normalized<T> = { groups: [], rejected: 0, firstError: "" };
  const reject = (error: unknown, items: number) => {
    if (!(error instanceof BadDataError)) throw error;
    result.rejected += items;
    if (result.firstError === "") result.firstError = error.message;
  };
  for (const resourceEntry of asArray(request[fields.resources], fields.resources)) {
    const scopes = asArray(resourceEntry?.[fields.scopes], fields.scopes);
    let resource: ResourceRow;
    try {
      resource = resourceRow(resourceEntry?.resource, resourceEntry?.schemaUrl);
    } catch (error) {
      reject(
        error,
        scopes.reduce((n, s) => n + countItems(asArray(s?.[fields.items], fields.items)), 0),
      );
      continue;
    }
    for (const scopeEntry of scopes) {
      const items = asArray(scopeEntry?.[fields.items], fields.items);
      let scope: ScopeRow;
      try {
        scope = scopeRow(scopeEntry?.scope, scopeEntry?.schemaUrl);
      } catch (error) {
        reject(error, countItems(items));
        continue;
      }
      const rows = normalizeItems(items, reject);
      if (rows.length > 0) result.groups.push({ resource, scope, rows });
    }
  }
  return result;
}

function asArray(value: Loose, field: string): Loose[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  throw new BadDataError(`${field} is not an array`);
}
