import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { checkIdempotencyKey, checkOrderBody } from "../../../fixtures/shop/gateway/requests.js";
import { rpcProblemOf } from "../../../fixtures/shop/gateway/rpc-problems.js";
import {
  BulkheadFullError,
  CircuitOpenError,
  HashKeyMissingError,
  NoEndpointsError,
  RpcCallError,
} from "../../../fixtures/shop/rpc/index.js";

const failed = (code: status) => new RpcCallError("catalog", "GetProduct", "127.0.0.1:1", code, "details", 1);

describe("the gateway's one table from RPC errors to HTTP answers", () => {
  it.each([
    ["NOT_FOUND", 404, undefined],
    ["INVALID_ARGUMENT", 400, undefined],
    ["FAILED_PRECONDITION", 409, undefined],
    ["ALREADY_EXISTS", 409, undefined],
    ["UNAVAILABLE", 503, 1],
    ["RESOURCE_EXHAUSTED", 503, 1],
    ["DEADLINE_EXCEEDED", 504, undefined],
    ["INTERNAL", 502, undefined],
    ["UNKNOWN", 502, undefined],
  ] as const)("answers %s with HTTP %i (Retry-After %s)", (name, http, retryAfter) => {
    const problem = rpcProblemOf(failed(status[name]));
    expect([problem?.status, problem?.retryAfterSeconds]).toEqual([http, retryAfter]);
  });

  it("answers the client's own refusals by their code, not by the status they stand for", () => {
    expect(rpcProblemOf(new CircuitOpenError("recommendations", "Recommend", "open"))).toMatchObject({
      status: 503,
      slug: "circuit-open",
      retryAfterSeconds: 5,
    });
    expect(rpcProblemOf(new NoEndpointsError("orders", "PlaceOrder", 0, 0))).toMatchObject({
      status: 503,
      slug: "no-endpoints",
    });
    expect(rpcProblemOf(new BulkheadFullError("catalog", "GetProduct", 1, 0))).toMatchObject({ status: 503 });
    expect(rpcProblemOf(new HashKeyMissingError("catalog", "GetProduct"))).toMatchObject({ status: 500 });
    expect(rpcProblemOf(new Error("not an RPC error"))).toBeUndefined();
  });
});

describe("checks of what callers send", () => {
  it("requires an Idempotency-Key of 1 to 128 printable characters", () => {
    expect(checkIdempotencyKey("order 7, attempt 1")).toEqual({ ok: true, value: "order 7, attempt 1" });
    for (const bad of [undefined, "", "k".repeat(129), "tab\there", "é"]) {
      expect(checkIdempotencyKey(bad)).toMatchObject({ ok: false, invalid: [{ name: "Idempotency-Key" }] });
    }
  });

  it("names every invalid item field", () => {
    expect(checkOrderBody({ items: [{ productId: "1", quantity: 2 }] })).toEqual({
      ok: true,
      value: [{ productId: "1", quantity: 2 }],
    });
    expect(checkOrderBody(undefined)).toMatchObject({ ok: false, invalid: [{ name: "body" }] });
    expect(checkOrderBody({ items: [] })).toMatchObject({ ok: false, invalid: [{ name: "items" }] });
    const checked = checkOrderBody({
      items: [{ productId: "", quantity: 1.5 }, "x", { productId: "2", quantity: 1 }],
    });
    expect(checked.ok ? [] : checked.invalid.map((p) => p.name)).toEqual([
      "items[0].productId",
      "items[0].quantity",
      "items[1]",
    ]);
  });
});
