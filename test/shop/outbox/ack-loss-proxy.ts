import { createServer, type Server, Socket } from "node:net";

/**
 * A TCP proxy in front of one Kafka broker that can lose the broker's answer to a produce request: the
 * broker has written the batch, the producer never hears so and retries. Written here because the fault is
 * protocol-aware (only Produce responses, matched by correlation id); Toxiproxy cuts bytes, not requests.
 *
 * Kafka frames are a 4-byte big-endian size, then a request header (api key int16, api version int16,
 * correlation id int32, ...) or a response header (correlation id int32, ...).
 */
export interface AckLossProxy {
  port: number;
  /** Produce responses dropped so far. */
  readonly dropped: number;
  /** Drops the next `count` Produce responses, each by closing the client's connection instead of answering. */
  dropProduceResponses(count: number): void;
  close(): Promise<void>;
}

const PRODUCE_API_KEY = 0;

/** Calls `onFrame` with each complete frame (size prefix included) as bytes arrive. */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

export async function startAckLossProxy(listenPort: number, brokerPort: number): Promise<AckLossProxy> {
  let toDrop = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const broker = new Socket();
    sockets.add(client);
    sockets.add(broker);
    const produceRequests = new Set<number>();
    const cut = () => {
      client.destroy();
      broker.destroy();
    };
    client.on("close", () => {
      sockets.delete(client);
      broker.destroy();
    });
    broker.on("close", () => {
      sockets.delete(broker);
      client.destroy();
    });
    client.on("error", cut);
    broker.on("error", cut);
    client.on(
      "data",
      frames((frame) => {
        if (frame.readInt16BE(4) === PRODUCE_API_KEY) produceRequests.add(frame.readInt32BE(8));
        broker.write(frame);
      }),
    );
    broker.on(
      "data",
      frames((frame) => {
        const correlationId = frame.readInt32BE(4);
        if (produceRequests.delete(correlationId) && toDrop > 0) {
          toDrop--;
          dropped++;
          cut();
          return;
        }
        client.write(frame);
      }),
    );
    broker.connect(brokerPort, "127.0.0.1");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolve());
  });
  return {
    port: listenPort,
    get dropped() {
      return dropped;
    },
    dropProduceResponses: (count) => {
      toDrop += count;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
