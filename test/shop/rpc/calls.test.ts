import { AsyncLocalStorage } from "node:async_hooks";
import { status } from "@grpc/grpc-js";
import {
  type Context,
  type ContextManager,
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  createRpcClient,
  RpcCallError,
  type RpcClient,
  RpcClientClosedError,
  type RpcClientOptions,
  UnknownMethodError,
} from "../../../fixtures/shop/rpc/index.js";
import {
  EchoClient,
  type EchoReply,
  type EchoServer,
  echoDefinition,
  startEchoServer,
} from "./echo-server.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function serverAndClient(
  options: Partial<RpcClientOptions> = {},
): Promise<{ callee: EchoServer; client: RpcClient }> {
  const callee = await startEchoServer("callee");
  servers.push(callee);
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints: new StaticEndpoints("echo", [callee.address]),
    switches: new SwitchBoard(),
    ...options,
  });
  clients.push(client);
  return { callee, client };
}

/**
 * The smallest context manager that follows async calls, as the agent's NodeSDK installs one. The package
 * that ships it (@opentelemetry/context-async-hooks) is only a transitive dependency here.
 */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(active, () => fn.apply(thisArg, args));
  }

  bind<T>(_context: Context, target: T): T {
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

describe("calls", () => {
  it("every call carries a deadline, and a server slower than it fails the call with DEADLINE_EXCEEDED", async () => {
    const { callee, client } = await serverAndClient({ deadlineMillis: 300, retry: { maxAttempts: 1 } });
    const before = Date.now();
    await client.call("Get", { key: "fast" });
    expect(callee.deadlines[0]).toBeGreaterThan(before);
    expect(callee.deadlines[0]).toBeLessThanOrEqual(Date.now() + 300 + 5);

    callee.behavior = { delayMillis: 3000 };
    const error = await client.call("Get", { key: "slow" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).grpcCode).toBe(status.DEADLINE_EXCEEDED);
  });

  it("a caller's own absolute deadline is the one sent", async () => {
    const { callee, client } = await serverAndClient({ deadlineMillis: 60_000 });
    const deadline = Date.now() + 1500;
    await client.call("Get", { key: "k" }, { deadline: new Date(deadline) });
    // The wire carries a relative grpc-timeout in whole milliseconds, so the server's copy may round up.
    expect(callee.deadlines[0]).toBeLessThanOrEqual(deadline + 5);
    expect(callee.deadlines[0]).toBeGreaterThan(deadline - 1500);
  });

  it("the caller's active trace context travels in the gRPC metadata", async () => {
    const contextManager = new AsyncContextManager();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const { callee, client } = await serverAndClient();
      const tracer = new BasicTracerProvider().getTracer("test");
      const traceId = await tracer.startActiveSpan("caller", async (span) => {
        // An await first: the context must survive it and the client's own awaits.
        await Promise.resolve();
        await client.call("Get", { key: "k" });
        span.end();
        return span.spanContext().traceId;
      });
      const traceparent = String(callee.received[0]?.get("traceparent")[0]);
      expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
      expect(trace.getActiveSpan()).toBeUndefined();
    } finally {
      propagation.disable();
      context.disable();
    }
  });

  it("takes a ServiceClientConstructor as well as a proto-loader definition, by either method name", async () => {
    const { client } = await serverAndClient({ definition: EchoClient });
    await expect(client.call<EchoReply>("Get", { key: "a" })).resolves.toMatchObject({
      key: "a",
      server: "callee",
    });
    await expect(client.call<EchoReply>("get", { key: "b" })).resolves.toMatchObject({ key: "b" });
  });

  it("refuses an unknown method and calls after close() without touching the network", async () => {
    const { callee, client } = await serverAndClient();
    await expect(client.call("Delete", { key: "k" })).rejects.toBeInstanceOf(UnknownMethodError);
    client.close();
    await expect(client.call("Get", { key: "k" })).rejects.toBeInstanceOf(RpcClientClosedError);
    expect(callee.totalCalls()).toBe(0);
  });
});
