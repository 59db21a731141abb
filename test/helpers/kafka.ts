import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Admin, Consumer, ListOffsetTimestamps, stringDeserializers } from "@platformatic/kafka";
import { freePort } from "../../chaos/ports.js";

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

const root = resolve(import.meta.dirname, "../..");

function kafkaPaths(): { java: string; libs: string; log4j: string } {
  const libs = process.env.SHAKEDOWN_KAFKA_LIBS ?? join(root, ".tools/kafka/libs");
  const log4j = process.env.SHAKEDOWN_KAFKA_LOG4J ?? join(root, ".tools/kafka/config/log4j.properties");
  if (!existsSync(libs) || !existsSync(log4j)) {
    throw new Error(`Kafka jars not found at ${libs} (log4j ${log4j}): run \`bash scripts/setup.sh\``);
  }
  return { java: process.env.SHAKEDOWN_JAVA ?? "java", libs, log4j };
}

interface NodePorts {
  id: number;
  port: number;
  advertisedPort: number;
  controllerPort: number;
}

function serverProperties(node: NodePorts, nodes: NodePorts[], logDir: string): string {
  const replicas = nodes.length;
  const properties: Record<string, string | number> = {
    "process.roles": "broker,controller",
    "node.id": node.id,
    "controller.quorum.voters": nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(","),
    "controller.listener.names": "CONTROLLER",
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${node.advertisedPort}`,
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": logDir,
    "num.partitions": 1,
    "default.replication.factor": replicas,
    "min.insync.replicas": replicas === 1 ? 1 : 2,
    "unclean.leader.election.enable": "false",
    "auto.create.topics.enable": "false",
    "offsets.topic.replication.factor": replicas,
    // 50 partitions (the default) make the first group join of every test wait for their creation.
    "offsets.topic.num.partitions": 4,
    "transaction.state.log.replication.factor": replicas,
    "transaction.state.log.min.isr": replicas === 1 ? 1 : 2,
    "transaction.state.log.num.partitions": 4,
    "group.initial.rebalance.delay.ms": 0,
    // Lets consumers use short sessions, so a killed member leaves its group within seconds.
    "group.min.session.timeout.ms": 500,
    // A killed node loses its leaderships after 3 s instead of 9.
    "broker.session.timeout.ms": 3000,
    "broker.heartbeat.interval.ms": 500,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
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
    const { java, libs, log4j } = kafkaPaths();
    const child = spawn(
      java,
      [
        "-Xms128m",
        `-Xmx${this.heap}`,
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        `-Dlog4j.configuration=file:${log4j}`,
        "-cp",
        `${libs}/*`,
        "kafka.Kafka",
        this.propertiesFile,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
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

/**
 * Waits until the node at `bootstrap` answers a metadata request listing `brokers` nodes: at most `tries`
 * attempts `intervalMillis` apart. Throws with the last error when it never does.
 */
export async function waitForKafka(
  bootstrap: string,
  {
    brokers = 1,
    tries = 120,
    intervalMillis = 250,
  }: { brokers?: number; tries?: number; intervalMillis?: number } = {},
): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    const admin = new Admin({
      clientId: "shakedown-health",
      bootstrapBrokers: [bootstrap],
      retries: 0,
      connectTimeout: 1000,
      timeout: 2000,
    });
    try {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      if (metadata.brokers.size >= brokers) return;
      last = new Error(`${metadata.brokers.size} of ${brokers} brokers registered`);
    } catch (error) {
      last = error;
    } finally {
      await admin.close().catch(() => undefined);
    }
    await sleep(intervalMillis);
  }
  throw new Error(`Kafka at ${bootstrap} did not answer metadata after ${tries} tries: ${String(last)}`);
}

/** Picks ports, writes each node's server.properties and formats its log folder with one shared cluster id. */
async function prepareNodes(
  dir: string,
  brokers: number,
  heap: string,
  given: KafkaOptions["ports"],
): Promise<KafkaNode[]> {
  const { java, libs, log4j } = kafkaPaths();
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
  // StorageTool random-uuid would only print a fresh id; every node of one cluster needs the same one.
  const clusterId = Buffer.from(randomUUID().replaceAll("-", ""), "hex").toString("base64url");
  return Promise.all(
    ports.map(async (node) => {
      const logDir = join(dir, `node-${node.id}`, "data");
      mkdirSync(logDir, { recursive: true });
      const propertiesFile = join(dir, `node-${node.id}`, "server.properties");
      writeFileSync(propertiesFile, serverProperties(node, ports, logDir));
      await promisify(execFile)(java, [
        `-Dlog4j.configuration=file:${log4j}`,
        "-cp",
        `${libs}/*`,
        "kafka.tools.StorageTool",
        "format",
        // The "=" form: a base64url id may start with "-", which would read as an option.
        `--cluster-id=${clusterId}`,
        "-c",
        propertiesFile,
      ]);
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

/** Creates a topic and waits until every partition has a leader. */
export async function createTopic(
  bootstrap: string,
  topic: string,
  { partitions = 1, replicas = 1 }: { partitions?: number; replicas?: number } = {},
): Promise<void> {
  const admin = new Admin({ clientId: "shakedown-test-admin", bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas });
    for (let attempt = 0; attempt < 100; attempt++) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const found = metadata.topics.get(topic);
      if (found?.partitions.every((p) => p.leader >= 0)) return;
      await sleep(100);
    }
    throw new Error(`topic ${topic} has partitions without a leader after 100 tries`);
  } finally {
    await admin.close();
  }
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

export interface TopicRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

/**
 * Reads every record of `topic` from the earliest offset to the end offsets at the time of the call, in a
 * fresh consumer group that commits nothing. Throws when they have not all arrived within `deadlineMillis`.
 */
export async function readTopic(
  bootstrap: string,
  topic: string,
  deadlineMillis = 30_000,
): Promise<TopicRecord[]> {
  const consumer = new Consumer({
    clientId: "shakedown-test-reader",
    groupId: `shakedown-reader-${randomUUID()}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  try {
    const earliest = (
      await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST })
    ).get(topic);
    const latest = (
      await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST })
    ).get(topic);
    const expected = (latest ?? []).reduce((sum, end, i) => sum + Number(end - (earliest?.[i] ?? 0n)), 0);
    const records: TopicRecord[] = [];
    if (expected === 0) return records;
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`read ${records.length} of ${expected} records of ${topic} in ${deadlineMillis} ms`),
            ),
          deadlineMillis,
        );
        stream.on("error", reject);
        stream.on("data", (message) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of message.headers) headers[name] = value;
          records.push({
            key: message.key,
            value: message.value,
            headers,
            partition: message.partition,
            offset: message.offset,
          });
          if (records.length === expected) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      await stream.close();
    }
    return records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  } finally {
    await consumer.close(true);
  }
}
