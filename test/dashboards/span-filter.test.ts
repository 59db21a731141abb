import { describe, expect, it } from "vitest";
import type { SpanDetail } from "../../collector/query/traces.js";
import { parseAttributeFilters, prefixedParams } from "../../dashboards/ui/lib/query-params.js";
import { parseRoute, routeHash } from "../../dashboards/ui/lib/route.js";
import { spanMatcher } from "../../dashboards/ui/lib/span-filter.js";

const span = {
  spanId: "00f067aa0ba902b7",
  name: "orders publish",
  service: "orders",
  serviceInstanceId: "orders-1",
  kindName: "PRODUCER",
  status: { code: 0, message: "" },
  events: [{ name: "breaker.open", timeUnixNano: "1", attributes: {}, droppedAttributesCount: 0 }],
  attributes: { "messaging.system": "kafka", "retry.count": 2 },
  resource: { attributes: { "service.name": "orders" }, schemaUrl: "", droppedAttributesCount: 0 },
} as unknown as SpanDetail;

describe("the span filter", () => {
  it("matches when every word occurs somewhere in the span, in any case", () => {
    expect(spanMatcher("ORDERS kafka")?.(span)).toBe(true);
    expect(spanMatcher("breaker.open")?.(span)).toBe(true);
    expect(spanMatcher("orders redis")?.(span)).toBe(false);
    expect(spanMatcher("   ")).toBeUndefined();
  });

  it("matches key=value against one attribute exactly", () => {
    expect(spanMatcher("retry.count=2")?.(span)).toBe(true);
    expect(spanMatcher("retry.count=20")?.(span)).toBe(false);
    expect(spanMatcher("service.name=orders")?.(span)).toBe(true);
  });
});

describe("the URL state of the views", () => {
  it("reads attribute filters one per line and refuses keys the API cannot match", () => {
    expect(parseAttributeFilters('http.route=/orders\n\n retry = true \nbad\na"b=1')).toEqual({
      filters: { "http.route": "/orders", retry: "true" },
      invalid: ["bad", 'a"b=1'],
    });
    expect(prefixedParams(new URLSearchParams("attr.a=1&service=x&attr.b.c=2"), "attr.")).toEqual({
      a: "1",
      "b.c": "2",
    });
  });

  it("round-trips a view, its id and its parameters through the hash", () => {
    const hash = routeHash("trace", "4bf92f35", { span: "00f0" });
    expect(hash).toBe("#/trace/4bf92f35?span=00f0");
    const route = parseRoute(hash);
    expect([route.view, route.id, route.params.get("span")]).toEqual(["trace", "4bf92f35", "00f0"]);
    expect(parseRoute("#/service/a%2Fb").id).toBe("a/b");
    expect(parseRoute("").view).toBe("overview");
    expect(parseRoute("#/nope").view).toBe("unknown");
  });
});
