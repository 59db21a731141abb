import { randomBytes } from "node:crypto";
import { type SignalName, signalNamed } from "../../collector/otlp/signals.js";

/** Hand-built OTLP requests for tests: JSON objects, and the same objects encoded as protobuf. */

export type { SignalName };

export const hexId = (bytes: 8 | 16) => randomBytes(bytes).toString("hex");

export function encodeProtobuf(signal: SignalName, request: object): Buffer {
  return Buffer.from(signalNamed(signal).encodeRequest(request));
}

export interface TestSpan {
  traceId: string;
  spanId: string;
  name: string;
  startNs: bigint;
  durationNs?: bigint;
}

export function spansRequest(service: string, spans: TestSpan[]): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: "test" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              name: s.name,
              kind: 2,
              startTimeUnixNano: String(s.startNs),
              endTimeUnixNano: String(s.startNs + (s.durationNs ?? 1_000_000n)),
              attributes: [{ key: "test.index", value: { intValue: "1" } }],
            })),
          },
        ],
      },
    ],
  };
}

/** `count` spans, each its own trace, starting now. */
export function randomSpans(count: number, name = "op"): TestSpan[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: count }, (_, i) => ({
    traceId: hexId(16),
    spanId: hexId(8),
    name,
    startNs: now + BigInt(i),
  }));
}

export async function post(
  url: string,
  body: Uint8Array | string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}
