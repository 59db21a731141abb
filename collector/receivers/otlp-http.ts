import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gunzip } from "node:zlib";
import {
  BadDataError,
  BodyTooLargeError,
  CollectorError,
  ERROR_STATUS,
  isCollectorError,
  SaturatedError,
  UnsupportedMediaTypeError,
} from "../errors.js";
import { encodeStatus, jsonResponse, SIGNALS, type Signal } from "../otlp/signals.js";
import type { StoreWriter } from "../store/writer.js";
import { bearerAllows } from "./auth.js";
import { ingest } from "./ingest.js";

export interface OtlpHttpOptions {
  host: string;
  port: number;
  writer: StoreWriter;
  token?: string;
  /** Largest accepted body, compressed or after decompression. */
  maxBodyBytes: number;
}

export interface OtlpHttpReceiver {
  port: number;
  close(): Promise<void>;
  /** Client connections open now: what a close that has not finished waits for. */
  openConnections(): number;
}

type Encoding = "protobuf" | "json";

function mediaType(request: IncomingMessage): Encoding {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  if (type === "application/json") return "json";
  throw new UnsupportedMediaTypeError(type);
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > limit) {
      request.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners("data");
        request.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks, size)));
    request.on("error", reject);
  });
}

function inflate(body: Buffer, encoding: string, limit: number): Promise<Buffer> {
  if (encoding === "" || encoding === "identity") return Promise.resolve(body);
  if (encoding !== "gzip") {
    return Promise.reject(new UnsupportedMediaTypeError(`content-encoding ${encoding}`));
  }
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
        reject(new BodyTooLargeError(limit));
      else reject(new BadDataError(`gzip body does not inflate: ${error.message}`));
    });
  });
}

function decode(signal: Signal, body: Buffer, encoding: Encoding): unknown {
  if (encoding === "protobuf") return signal.decodeProtobuf(body);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new BadDataError(`body is not valid JSON: ${(error as Error).message}`);
  }
}

function respond(
  response: ServerResponse,
  status: number,
  encoding: Encoding,
  body: Uint8Array | string,
): void {
  response.writeHead(status, {
    "content-type": encoding === "protobuf" ? "application/x-protobuf" : "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

function respondError(response: ServerResponse, encoding: Encoding, error: unknown): void {
  const known = isCollectorError(error) ? error : new CollectorError("SHAKEDOWN_WRITE_FAILED", String(error));
  const status = ERROR_STATUS[known.code];
  if (error instanceof SaturatedError) response.setHeader("retry-after", String(error.retryAfterSeconds));
  else if (status.http === 503) response.setHeader("retry-after", "1");
  const body =
    encoding === "protobuf"
      ? encodeStatus(status.grpc, known.message)
      : JSON.stringify({ code: status.grpc, message: known.message });
  respond(response, status.http, encoding, body);
}

/** OTLP/HTTP: POST /v1/traces, /v1/metrics, /v1/logs with protobuf or JSON bodies, gzip or plain. */
export function startOtlpHttpReceiver(options: OtlpHttpOptions): Promise<OtlpHttpReceiver> {
  const byPath = new Map(SIGNALS.map((signal) => [signal.httpPath, signal]));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const signal = byPath.get(path);
    // Errors are answered in the encoding the client asked for; JSON where it named none we know.
    let encoding: Encoding = "json";
    if (signal === undefined) {
      request.resume();
      respond(response, 404, "json", JSON.stringify({ code: 5, message: `no OTLP endpoint at ${path}` }));
      return;
    }
    if (request.method !== "POST") {
      request.resume();
      response.setHeader("allow", "POST");
      respond(
        response,
        405,
        "json",
        JSON.stringify({ code: 12, message: `${request.method} is not allowed; use POST` }),
      );
      return;
    }
    try {
      if (!bearerAllows(options.token, request.headers.authorization)) {
        request.resume();
        respond(
          response,
          401,
          "json",
          JSON.stringify({ code: 16, message: "missing or wrong bearer token" }),
        );
        return;
      }
      encoding = mediaType(request);
      // Refuse before reading the body: an overloaded collector must not buffer what it cannot store.
      options.writer.admit(1);
      const raw = await readBody(request, options.maxBodyBytes);
      const body = await inflate(
        raw,
        String(request.headers["content-encoding"] ?? "").toLowerCase(),
        options.maxBodyBytes,
      );
      const result = await ingest(signal, decode(signal, body, encoding), options.writer);
      const answer =
        encoding === "protobuf"
          ? signal.encodeResponse(result.rejected, result.rejected > 0 ? result.errorMessage : "")
          : jsonResponse(signal, result.rejected, result.rejected > 0 ? result.errorMessage : "");
      respond(response, 200, encoding, answer);
    } catch (error) {
      request.resume();
      respondError(response, encoding, error);
    }
  }

  // Answers not yet finished, and whether close has begun: see `close` below.
  const answering = new Set<ServerResponse>();
  let closing = false;
  const server: Server = createServer((request, response) => {
    answering.add(response);
    response.once("close", () => answering.delete(response));
    if (closing) response.setHeader("connection", "close");
    void handle(request, response);
  });
  server.keepAliveTimeout = 65_000;
  const connections = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        // `server.close` waits for every open connection, and a keep-alive connection busy when it is called
        // stays open as long as its client keeps sending: an exporter posting every second would keep the
        // collector from closing for good. So from now on every answer ends its connection, and a connection
        // whose answer was already under way is closed as soon as it is idle.
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            server.close(() => done());
            for (const response of answering) {
              if (!response.headersSent) response.setHeader("connection", "close");
              else response.once("finish", () => setImmediate(() => server.closeIdleConnections()));
            }
            server.closeIdleConnections();
          }),
        openConnections: () => connections.size,
      });
    });
  });
}
