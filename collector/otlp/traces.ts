import { BadDataError } from "../errors.js";
import type { SpanEvent, SpanLink, SpanRow } from "../model.js";
import { type Normalized, normalizeRequest } from "./normalized.js";
import { attributes, enumValue, id, int64, type Loose, list, string, uint32 } from "./values.js";

const SPAN_KINDS = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function event(e: Loose): SpanEvent {
  return {
    timeUnixNano: int64(e?.timeUnixNano, "event.timeUnixNano").toString(),
    name: string(e?.name, "event.name"),
    attributes: attributes(e?.attributes),
    droppedAttributesCount: uint32(e?.droppedAttributesCount, "event.droppedAttributesCount"),
  };
}

function link(l: Loose): SpanLink {
  const traceId = id(l?.traceId, 16, "link.traceId");
  const spanId = id(l?.spanId, 8, "link.spanId");
  if (traceId === "" || spanId === "") throw new BadDataError("link has an empty trace or span id");
  return {
    traceId,
    spanId,
    traceState: string(l?.traceState, "link.traceState"),
    attributes: attributes(l?.attributes),
    droppedAttributesCount: uint32(l?.droppedAttributesCount, "link.droppedAttributesCount"),
    flags: uint32(l?.flags, "link.flags"),
  };
}

export function spanRow(span: Loose): SpanRow {
  if (span === null || typeof span !== "object") throw new BadDataError("span is not an object");
  const traceId = id(span.traceId, 16, "span.traceId");
  const spanId = id(span.spanId, 8, "span.spanId");
  if (traceId === "") throw new BadDataError("span.traceId is empty");
  if (spanId === "") throw new BadDataError("span.spanId is empty");
  const start = int64(span.startTimeUnixNano, "span.startTimeUnixNano");
  const end = int64(span.endTimeUnixNano, "span.endTimeUnixNano");
  const events = list(span.events);
  const links = list(span.links);
  return {
    traceId,
    spanId,
    parentSpanId: id(span.parentSpanId, 8, "span.parentSpanId"),
    traceState: string(span.traceState, "span.traceState"),
    flags: uint32(span.flags, "span.flags"),
    name: string(span.name, "span.name"),
    kind: enumValue(span.kind, SPAN_KINDS, "span.kind"),
    startTimeUnixNano: start,
    // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
    endTimeUnixNano: end < start ? start : end,
    attributes: JSON.stringify(attributes(span.attributes)),
    droppedAttributesCount: uint32(span.droppedAttributesCount, "span.droppedAttributesCount"),
    events: events.length === 0 ? "[]" : JSON.stringify(events.map(event)),
    droppedEventsCount: uint32(span.droppedEventsCount, "span.droppedEventsCount"),
    links: links.length === 0 ? "[]" : JSON.stringify(links.map(link)),
    droppedLinksCount: uint32(span.droppedLinksCount, "span.droppedLinksCount"),
    statusCode: enumValue(span.status?.code, STATUS_CODES, "span.status.code"),
    statusMessage: string(span.status?.message, "span.status.message"),
  };
}

export function normalizeTraces(request: Loose): Normalized<SpanRow> {
  return normalizeRequest(
    request,
    { resources: "resourceSpans", scopes: "scopeSpans", items: "spans" },
    (items) => items.length,
    (items, reject) => {
      const rows: SpanRow[] = [];
      for (const span of items) {
        try {
          rows.push(spanRow(span));
        } catch (error) {
          reject(error, 1);
        }
      }
      return rows;
    },
  );
}
