import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Consumer, ListOffsetTimestamps } from "@platformatic/kafka";
import { freePort } from "../../chaos/ports.js";
import {
  formatKafkaNode,
  kafkaCommand,
  type NodePorts,
  newClusterId,
  waitForKafka,
} from "../../fixtures/shop/topology/kafka.js";

export {
  createTopic,
  readTopic,
  type TopicRecord,
  waitForKafka,
} from "../../fixtures/shop/topology/kafka.js";

/**
 * A real Apache Kafka (KRaft mode, from the jars scripts/setup.sh installs) for tests: 1 node acting as broker
 * and controller, or 3 such nodes for the HA case (replication factor 3, min.insync.replicas 2). Each node
 * listens on free loopback ports, keeps its log in a temp folder and is stopped by the PID this helper started.
 */

export interface KafkaCluster {
  /** `127.0.0.1:port` of the first node; clients discover the others from it. */
  bootstrap: string;
  /** `127.0.0.1:port` of every node, in node order (node.id = index + 1). */
  brokers: string[];
  /** PIDs of the running nodes, in node order; 0 for a node killed and not restarted. */
  pids: number[];
  /** SIGTERM to every node, wait for each to exit, remove the data folders. */
  stop(): Promise<void>;
  /** SIGKILL node `index` (0-based) as a crash, keeping its log folder for `restartBroker`. */
  killBroker(index: number): Promise<void>;
  /** Starts node `index` again on the same ports and log folder, and waits until the cluster sees it. */
  restartBroker(index: number): Promise<void>;
  /** What node `index` wrote to stdout and stderr so far. */
  output(index: number): string;
}

export interface KafkaOptions {
  brokers?: 1 | 3;
  /** Maximum heap of each JVM. Default "384m": the machine has 2 cores and tests run beside other servers. */
  heap?: string;
  /**
   * Client ports per node, for a test that puts a proxy in front of the brokers: each node listens on
   * `listen` and tells clients (metadata) to connect to `advertised`, where the proxy listens. Default: free
   * ports, advertised as they are.
   */
  ports?: { listen: number; advertised: number }[];
}

class KafkaNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = "";

  constructor(
    readonly ports: NodePorts,
    private readonly propertiesFile: string,
    private readonly heap: string,
  ) {}

  get pid(): number {
    return this.running ? (this.child?.pid ?? 0) : 0;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.log;
  }

  start(): void {
    const { command, args } = kafkaCommand(this.propertiesFile, this.heap);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const append = (chunk: Buffer) => {
      this.log += chunk.toString();
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    this.child = child;
  }

  async stop(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (this.running) this.child?.kill(signal);
    if (signal === "SIGTERM") {
      // A broker shuts down cleanly in about 4 s; one that hangs is killed after 30 s.
      const stopped = await Promise.race([this.exited.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped && this.running) this.child?.kill("SIGKILL");
    }
    await this.exited;
  }
}

/** Picks ports, writes each node's server.properties and formats its log folder with one shared cluster id. */
async function prepareNodes(
  dir: string,
  brokers: number,
  heap: string,
  given: KafkaOptions["ports"],
): Promise<KafkaNode[]> {
  const ports: NodePorts[] = [];
  for (let id = 1; id <= brokers; id++) {
    const port = given?.[id - 1]?.listen ?? (await freePort());
    ports.push({
      id,
      port,
      advertisedPort: given?.[id - 1]?.advertised ?? port,
      controllerPort: await freePort(),
    });
  }
  const clusterId = newClusterId();
  return Promise.all(
    ports.map(async (node) => {
      const propertiesFile = await formatKafkaNode(dir, node, ports, clusterId);
      return new KafkaNode(node, propertiesFile, heap);
    }),
  );
}

export async function startKafka({
  brokers = 1,
  heap = "384m",
  ports: given,
}: KafkaOptions = {}): Promise<KafkaCluster> {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-kafka-"));
  let nodes: KafkaNode[];
  try {
    nodes = await prepareNodes(dir, brokers, heap, given);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const address = (node: KafkaNode) => `127.0.0.1:${node.ports.advertisedPort}`;
  for (const node of nodes) node.start();
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop("SIGTERM")));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForKafka(address(nodes[0] as KafkaNode), { brokers });
  } catch (error) {
    const output = nodes.map((node) => node.output().slice(-2000)).join("\n---\n");
    await stop();
    throw new Error(`${String(error)}\n${output}`);
  }
  const node = (index: number): KafkaNode => {
    const found = nodes[index];
    if (found === undefined) throw new Error(`no Kafka node ${index}: the cluster has ${nodes.length}`);
    return found;
  };
  return {
    bootstrap: address(nodes[0] as KafkaNode),
    brokers: nodes.map(address),
    get pids() {
      return nodes.map((n) => n.pid);
    },
    stop,
    killBroker: (index) => node(index).stop("SIGKILL"),
    restartBroker: async (index) => {
      const restarted = node(index);
      if (restarted.running) throw new Error(`Kafka node ${index} is still running`);
      restarted.start();
      await waitForKafka(address(restarted), { brokers });
    },
    output: (index) => node(index).output(),
  };
}

/** The next offset to be written of each partition of `topic`, indexed by partition. */
export async function endOffsets(bootstrap: string, topic: string): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: "shakedown-test-offsets",
    groupId: `shakedown-offsets-${randomUUID()}`,
    bootstrapBrokers: [bootstrap],
  });
  try {
    return (
      (await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST })).get(topic) ??
      []
    );
  } finally {
    await consumer.close(true);
  }
}
