import type Database from "better-sqlite3";
import type { LogRow, ResourceRow, ScopeRow, SeriesRow, WriteBatch } from "../model.js";

/** Writes normalised batches into the schema; callers wrap calls in a transaction. */
export interface Inserter {
  insert(batch: WriteBatch): void;
}

const hexBytes = (hex: string): Buffer | null => (hex === "" ? null : Buffer.from(hex, "hex"));

export function createInserter(db: Database.Database): Inserter {
  const resourceIds = new Map<string, number>();
  const scopeIds = new Map<string, number>();
  const seriesIds = new Map<string, number>();

  const findResource = db.prepare<[string], { id: number }>("SELECT id FROM resources WHERE key = ?");
  const addResource = db.prepare(
    `INSERT INTO resources (key, service_name, service_instance_id, attributes, dropped_attributes_count, schema_url)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const findScope = db.prepare<[string], { id: number }>("SELECT id FROM scopes WHERE key = ?");
  const addScope = db.prepare(
    `INSERT INTO scopes (key, name, version, attributes, dropped_attributes_count, schema_url)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const findSeries = db.prepare<[string], { id: number }>("SELECT id FROM metric_series WHERE key = ?");
  const addSeries = db.prepare(
    `INSERT INTO metric_series (key, resource_id, scope_id, service_name, name, description, unit, type,
       temporality, monotonic, attributes, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addSpan = db.prepare(
    `INSERT INTO spans (trace_id, span_id, parent_span_id, trace_state, flags, name, kind, start_ns, end_ns,
       duration_ns, status_code, status_message, service_name, resource_id, scope_id, attributes, events, links,
       dropped_attributes_count, dropped_events_count, dropped_links_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addPoint = db.prepare(
    `INSERT INTO metric_points (series_id, start_ns, time_ns, value, count, sum, min, max, flags, detail, exemplars)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addLog = db.prepare(
    `INSERT INTO logs (ts_ns, time_ns, observed_ns, severity_number, severity_text, body, attributes,
       dropped_attributes_count, flags, trace_id, span_id, event_name, service_name, resource_id, scope_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addLogText = db.prepare("INSERT INTO logs_fts (rowid, body) VALUES (?, ?)");

  function internResource(resource: ResourceRow): number {
    const key = `${resource.attributes}\u0000${resource.droppedAttributesCount}\u0000${resource.schemaUrl}`;
    let id = resourceIds.get(key) ?? findResource.get(key)?.id;
    if (id === undefined) {
      id = Number(
        addResource.run(
          key,
          resource.serviceName,
          resource.serviceInstanceId,
          resource.attributes,
          resource.droppedAttributesCount,
          resource.schemaUrl,
        ).lastInsertRowid,
      );
    }
    resourceIds.set(key, id);
    return id;
  }

  function internScope(scope: ScopeRow): number {
    const key = `${scope.name}\u0000${scope.version}\u0000${scope.attributes}\u0000${scope.droppedAttributesCount}\u0000${scope.schemaUrl}`;
    let id = scopeIds.get(key) ?? findScope.get(key)?.id;
    if (id === undefined) {
      id = Number(
        addScope.run(
          key,
          scope.name,
          scope.version,
          scope.attributes,
          scope.droppedAttributesCount,
          scope.schemaUrl,
        ).lastInsertRowid,
      );
    }
    scopeIds.set(key, id);
    return id;
  }

  function internSeries(resourceId: number, scopeId: number, serviceName: string, series: SeriesRow): number {
    const key = `${resourceId}\u0000${scopeId}\u0000${series.name}\u0000${series.type}\u0000${series.unit}\u0000${series.temporality}\u0000${series.attributes}`;
    let id = seriesIds.get(key) ?? findSeries.get(key)?.id;
    if (id === undefined) {
      id = Number(
        addSeries.run(
          key,
          resourceId,
          scopeId,
          serviceName,
          series.name,
          series.description,
          series.unit,
          series.type,
          series.temporality,
          series.monotonic ? 1 : 0,
          series.attributes,
          series.metadata,
        ).lastInsertRowid,
      );
    }
    seriesIds.set(key, id);
    return id;
  }

  function insertLog(log: LogRow, serviceName: string, resourceId: number, scopeId: number): void {
    const ts = log.timeUnixNano !== 0n ? log.timeUnixNano : log.observedTimeUnixNano;
    const id = addLog.run(
      ts,
      log.timeUnixNano,
      log.observedTimeUnixNano,
      log.severityNumber,
      log.severityText,
      log.body,
      log.attributes,
      log.droppedAttributesCount,
      log.flags,
      hexBytes(log.traceId),
      hexBytes(log.spanId),
      log.eventName,
      serviceName,
      resourceId,
      scopeId,
    ).lastInsertRowid;
    if (log.bodyText !== "") addLogText.run(id, log.bodyText);
  }

  return {
    insert(batch) {
      for (const group of batch.spans) {
        const resourceId = internResource(group.resource);
        const scopeId = internScope(group.scope);
        const service = group.resource.serviceName;
        for (const span of group.rows) {
          addSpan.run(
            Buffer.from(span.traceId, "hex"),
            Buffer.from(span.spanId, "hex"),
            hexBytes(span.parentSpanId),
            span.traceState,
            span.flags,
            span.name,
            span.kind,
            span.startTimeUnixNano,
            span.endTimeUnixNano,
            span.endTimeUnixNano - span.startTimeUnixNano,
            span.statusCode,
            span.statusMessage,
            service,
            resourceId,
            scopeId,
            span.attributes,
            span.events,
            span.links,
            span.droppedAttributesCount,
            span.droppedEventsCount,
            span.droppedLinksCount,
          );
        }
      }
      for (const group of batch.metrics) {
        const resourceId = internResource(group.resource);
        const scopeId = internScope(group.scope);
        for (const { series, points } of group.rows) {
          const seriesId = internSeries(resourceId, scopeId, group.resource.serviceName, series);
          for (const p of points) {
            addPoint.run(
              seriesId,
              p.startTimeUnixNano,
              p.timeUnixNano,
              p.value,
              p.count,
              p.sum,
              p.min,
              p.max,
              p.flags,
              p.detail,
              p.exemplars,
            );
          }
        }
      }
      for (const group of batch.logs) {
        const resourceId = internResource(group.resource);
        const scopeId = internScope(group.scope);
        for (const log of group.rows) insertLog(log, group.resource.serviceName, resourceId, scopeId);
      }
    },
  };
}
