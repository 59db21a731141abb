import type { WriteBatch } from "../../../collector/model.js";
import { from, KIND, resource, STATUS, span } from "./fixtures.js";

/**
 * Five traces through the shop, each starting on a whole second:
 * - checkout (0 s): gateway → orders (rpc) → Kafka → ledger (a consumer child of the producer, also linked to it)
 * - browse (1 s): gateway → catalog
 * - failed (2 s): gateway → orders, both failing
 * - orphan (3 s): catalog spans whose root never arrived
 * - linked (4 s): a ledger consumer in its own trace, linked to checkout's producer span
 */
export function shopTraces(): WriteBatch[] {
  const gateway = resource("gateway", "gateway-1", { "deployment.environment": "test" });
  const orders = resource("orders", "orders-1");
  const catalog = resource("catalog", "catalog-1", { "deployment.environment": "prod" });
  const ledger = resource("ledger", "ledger-1");
  return [
    from(gateway, {
      spans: [
        span({
          trace: "checkout",
          id: "g1",
          name: "POST /orders",
          kind: KIND.server,
          startMs: 0,
          durationMs: 120,
          attributes: { "http.method": "POST", "http.status_code": 201 },
        }),
        span({
          trace: "checkout",
          id: "g2",
          parent: "g1",
          name: "orders/Create",
          kind: KIND.client,
          startMs: 5,
          durationMs: 100,
        }),
        span({
          trace: "browse",
          id: "b1",
          name: "GET /products",
          kind: KIND.server,
          startMs: 1000,
          durationMs: 40,
          attributes: { "http.method": "GET", "http.status_code": 200 },
        }),
        span({
          trace: "browse",
          id: "b2",
          parent: "b1",
          name: "catalog/List",
          kind: KIND.client,
          startMs: 1005,
          durationMs: 30,
        }),
        span({
          trace: "failed",
          id: "f1",
          name: "POST /orders",
          kind: KIND.server,
          startMs: 2000,
          durationMs: 300,
          status: STATUS.error,
          attributes: { "http.method": "POST", "http.status_code": 500 },
        }),
        span({
          trace: "failed",
          id: "f2",
          parent: "f1",
          name: "orders/Create",
          kind: KIND.client,
          startMs: 2005,
          durationMs: 290,
          status: STATUS.error,
        }),
      ],
    }),
    from(orders, {
      spans: [
        span({
          trace: "checkout",
          id: "o1",
          parent: "g2",
          name: "orders/Create",
          kind: KIND.server,
          startMs: 10,
          durationMs: 90,
        }),
        span({
          trace: "checkout",
          id: "o2",
          parent: "o1",
          name: "orders publish",
          kind: KIND.producer,
          startMs: 50,
          durationMs: 5,
        }),
        span({
          trace: "failed",
          id: "f3",
          parent: "f2",
          name: "orders/Create",
          kind: KIND.server,
          startMs: 2010,
          durationMs: 280,
          status: STATUS.error,
          attributes: { "db.rows": 3, retry: true },
        }),
      ],
    }),
    from(catalog, {
      spans: [
        span({
          trace: "browse",
          id: "b3",
          parent: "b2",
          name: "catalog/List",
          kind: KIND.server,
          startMs: 1010,
          durationMs: 20,
        }),
        span({
          trace: "orphan",
          id: "c1",
          parent: "missing",
          name: "catalog/Get",
          kind: KIND.server,
          startMs: 3000,
          durationMs: 10,
        }),
        span({
          trace: "orphan",
          id: "c2",
          parent: "c1",
          name: "cache lookup",
          startMs: 3002,
          durationMs: 2,
          attributes: { "cache.key": "" },
        }),
      ],
    }),
    from(ledger, {
      spans: [
        span({
          trace: "checkout",
          id: "l1",
          parent: "o2",
          name: "orders process",
          kind: KIND.consumer,
          startMs: 200,
          durationMs: 30,
          links: [{ trace: "checkout", id: "o2" }],
        }),
        span({
          trace: "linked",
          id: "k1",
          name: "orders process batch",
          kind: KIND.consumer,
          startMs: 4000,
          durationMs: 50,
          links: [{ trace: "checkout", id: "o2" }],
        }),
      ],
    }),
  ];
}
