import { Etcd3 } from "etcd3";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startEtcd, startRedis } from "./servers.js";

describe("real servers for tests", () => {
  it("starts a real Redis that answers PING, and stops it by its PID", async () => {
    const server = await startRedis();
    const redis = new Redis(server.port, server.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    expect(await redis.ping()).toBe("PONG");
    redis.disconnect();
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it("starts a real etcd that stores a key, and stops it by its PID", async () => {
    const server = await startEtcd();
    const client = new Etcd3({ hosts: server.endpoint });
    await client.put("/shakedown/test").value("1");
    expect(await client.get("/shakedown/test").string()).toBe("1");
    client.close();
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });
});
