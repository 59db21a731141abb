import { BadDataError } from "../errors.js";
import type { LogRow } from "../model.js";
import { type Normalized, normalizeRequest } from "./normalized.js";
import { anyValue, attributes, enumValue, id, int64, type Loose, string, uint32 } from "./values.js";

const SEVERITY_NAMES = [
  "UNSPECIFIED",
  ...["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((level) =>
    ["", "2", "3", "4"].map((suffix) => `${level}${suffix}`),
  ),
];
const SEVERITY_NUMBERS = Object.fromEntries(SEVERITY_NAMES.map((name, n) => [`SEVERITY_NUMBER_${name}`, n]));

export function logRow(log: Loose): LogRow {
  if (log === null || typeof log !== "object") throw new BadDataError("log record is not an object");
  const body = anyValue(log.body);
  const severityNumber = enumValue(log.severityNumber, SEVERITY_NUMBERS, "log.severityNumber");
  if (severityNumber < 0 || severityNumber > 24) {
    throw new BadDataError(`log.severityNumber ${severityNumber} is outside 0..24`);
  }
  return {
    timeUnixNano: int64(log.timeUnixNano, "log.timeUnixNano"),
    observedTimeUnixNano: int64(log.observedTimeUnixNano, "log.observedTimeUnixNano"),
    severityNumber,
    severityText: string(log.severityText, "log.severityText"),
    body: JSON.stringify(body),
    bodyText: body === null ? "" : typeof body === "string" ? body : JSON.stringify(body),
    attributes: JSON.stringify(attributes(log.attributes)),
    droppedAttributesCount: uint32(log.droppedAttributesCount, "log.droppedAttributesCount"),
    flags: uint32(log.flags, "log.flags"),
    traceId: id(log.traceId, 16, "log.traceId"),
    spanId: id(log.spanId, 8, "log.spanId"),
    eventName: string(log.eventName, "log.eventName"),
  };
}

export function normalizeLogs(request: Loose): Normalized<LogRow> {
  return normalizeRequest(
    request,
    { resources: "resourceLogs", scopes: "scopeLogs", items: "logRecords" },
    (items) => items.length,
    (items, reject) => {
      const rows: LogRow[] = [];
      for (const log of items) {
        try {
          rows.push(logRow(log));
        } catch (error) {
          reject(error, 1);
        }
      }
      return rows;
    },
  );
}
