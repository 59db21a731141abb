import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/** The repository root, found from here whether this runs from test/ (vitest) or dist/test/ (a child). */
function repositoryRoot(): string {
  let folder = import.meta.dirname;
  while (!existsSync(join(folder, "package.json"))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${import.meta.dirname}`);
    folder = parent;
  }
  return folder;
}

const packageDefinition = loadSync(resolve(repositoryRoot(), "test/shop/rpc/fixtures/echo.proto"));

/** The proto-loader definition of `shakedown.test.Echo` (Get: NO_SIDE_EFFECTS; Put, Touch: unmarked). */
export const echoDefinition = packageDefinition["shakedown.test.Echo"] as grpc.ServiceDefinition;

/** The same service as a ServiceClientConstructor, the other definition shape the RPC client takes. */
export const EchoClient = (
  (grpc.loadPackageDefinition(packageDefinition).shakedown as grpc.GrpcObject).test as grpc.GrpcObject
).Echo as grpc.ServiceClientConstructor;

export type EchoMethod = "Get" | "Put" | "Touch";

export interface EchoRequest {
  key: string;
}

export interface EchoReply {
  key: string;
  server: string;
}

/** What the server does with the next calls; tests change it between calls. */
export interface EchoBehavior {
  /** Answer every call with this status instead of a reply. */
  fail?: grpc.status;
  /** Answer after this delay. */
  delayMillis?: number;
  /** Keep every call open until `release()`. */
  hold?: boolean;
}

export interface EchoServer {
  name: string;
  address: string;
  port: number;
  behavior: EchoBehavior;
  /** Calls received, by method. */
  calls: Record<EchoMethod, number>;
  totalCalls(): number;
  /** Metadata of every call received, in order. */
  received: grpc.Metadata[];
  /** Deadline of every call received, in order (Infinity when the caller set none). */
  deadlines: number[];
  /** Answers every held call. */
  release(): void;
  stop(): Promise<void>;
}

/** A real gRPC Echo server on 127.0.0.1 and a free port, answering `{ key, server: name }`. */
export async function startEchoServer(name: string, behavior: EchoBehavior = {}): Promise<EchoServer> {
  const server = new grpc.Server();
  const held: (() => void)[] = [];
  const echo: EchoServer = {
    name,
    address: "",
    port: 0,
    behavior,
    calls: { Get: 0, Put: 0, Touch: 0 },
    totalCalls: () => echo.calls.Get + echo.calls.Put + echo.calls.Touch,
    received: [],
    deadlines: [],
    release: () => {
      for (const finish of held.splice(0)) finish();
    },
    stop: () =>
      new Promise((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  const handler =
    (method: EchoMethod): grpc.handleUnaryCall<EchoRequest, EchoReply> =>
    (call, callback) => {
      echo.calls[method]++;
      echo.received.push(call.metadata);
      const deadline = call.getDeadline();
      echo.deadlines.push(deadline instanceof Date ? deadline.getTime() : deadline);
      const current = { ...echo.behavior };
      const finish = () => {
        if (current.fail !== undefined) callback({ code: current.fail, details: `${name} fails on purpose` });
        else callback(null, { key: call.request.key, server: name });
      };
      if (current.hold) held.push(finish);
      else if (current.delayMillis !== undefined) setTimeout(finish, current.delayMillis);
      else finish();
    };
  server.addService(echoDefinition, { Get: handler("Get"), Put: handler("Put"), Touch: handler("Touch") });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  echo.port = port;
  echo.address = `127.0.0.1:${port}`;
  return echo;
}
