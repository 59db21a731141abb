import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { createEtcdClient, type Registration, register } from "../../../fixtures/shop/registry/index.js";
import { type Order, type OrderItem, shopService } from "../../../fixtures/shop/runtime/proto.js";
import { seedProducts } from "../../../fixtures/shop/store/products.js";

/**
 * A real gRPC server implementing the Orders contract in memory, registered in a real etcd as "orders", so
 * the gateway can be tested before (and apart from) the real orders service. It keeps the contract's
 * promises: the same (user, key) and items answer the stored order with `replayed: true`, another body under
 * that key is FAILED_PRECONDITION, as is a quantity above stock; unknown products and orders are NOT_FOUND.
 */
export interface FakeOrders {
  address: string;
  /** Calls received, by method. */
  calls: { PlaceOrder: number; GetOrder: number };
  /** Idempotency keys and order ids answered UNAVAILABLE, as a failing orders service would. */
  failing: Set<string>;
  /** Withdraws the registry key (revokes the lease) or puts it back. */
  deregister(): Promise<void>;
  reregister(): Promise<void>;
  stop(): Promise<void>;
}

const fail = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

export async function startFakeOrders(etcdEndpoint: string): Promise<FakeOrders> {
  const stock = new Map(seedProducts().map((p) => [p.id, p.stock]));
  const prices = new Map(seedProducts().map((p) => [p.id, p.priceCents]));
  const keys = new Map<string, { hash: string; orderId: string }>();
  const orders = new Map<string, Order>();
  const calls = { PlaceOrder: 0, GetOrder: 0 };
  const failing = new Set<string>();

  const server = new grpc.Server();
  server.addService(shopService("Orders").service, {
    PlaceOrder: (
      call: grpc.ServerUnaryCall<{ idempotencyKey: string; userId: string; items: OrderItem[] }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      calls.PlaceOrder++;
      const { idempotencyKey, userId, items } = call.request;
      if (failing.has(idempotencyKey)) return callback(fail(grpc.status.UNAVAILABLE, "orders is failing"));
      const hash = createHash("sha256").update(JSON.stringify(items)).digest("hex");
      const known = keys.get(`${userId}\u0000${idempotencyKey}`);
      if (known !== undefined) {
        if (known.hash !== hash) {
          return callback(
            fail(grpc.status.FAILED_PRECONDITION, "this Idempotency-Key was used for a different order"),
          );
        }
        return callback(null, { order: orders.get(known.orderId), replayed: true });
      }
      for (const item of items) {
        const available = stock.get(item.productId);
        if (available === undefined) {
          return callback(fail(grpc.status.NOT_FOUND, `product ${item.productId} does not exist`));
        }
        if (available < item.quantity) {
          return callback(
            fail(grpc.status.FAILED_PRECONDITION, `only ${available} of product ${item.productId} left`),
          );
        }
      }
      for (const item of items) stock.set(item.productId, (stock.get(item.productId) ?? 0) - item.quantity);
      const id = `order-${orders.size + 1}`;
      const order: Order = {
        id,
        userId,
        items,
        totalCents: items.reduce((sum, i) => sum + (prices.get(i.productId) ?? 0) * i.quantity, 0),
        status: "placed",
        createdAtUnixMillis: Date.now(),
      };
      orders.set(id, order);
      keys.set(`${userId}\u0000${idempotencyKey}`, { hash, orderId: id });
      callback(null, { order, replayed: false });
    },
    GetOrder: (
      call: grpc.ServerUnaryCall<{ id: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      calls.GetOrder++;
      if (failing.has(call.request.id)) return callback(fail(grpc.status.UNAVAILABLE, "orders is failing"));
      const order = orders.get(call.request.id);
      if (order === undefined)
        return callback(fail(grpc.status.NOT_FOUND, `order ${call.request.id} does not exist`));
      callback(null, { order });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const etcd = createEtcdClient({ hosts: etcdEndpoint });
  const registerNow = async () => {
    const registration = register({
      etcd,
      service: "orders",
      instanceId: "orders-fake",
      address,
      ttlSeconds: 3,
    });
    await registration.ready();
    return registration;
  };
  let registration: Registration | undefined = await registerNow();

  return {
    address,
    calls,
    failing,
    deregister: async () => {
      await registration?.close();
      registration = undefined;
    },
    reregister: async () => {
      registration ??= await registerNow();
    },
    stop: async () => {
      await registration?.close();
      etcd.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
