import {
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { CollectorError, ERROR_STATUS, isCollectorError } from "../errors.js";
import { SIGNALS, type Signal } from "../otlp/signals.js";
import type { StoreWriter } from "../store/writer.js";
import { bearerAllows } from "./auth.js";
import { ingest } from "./ingest.js";

export interface OtlpGrpcOptions {
  host: string;
  port: number;
  writer: StoreWriter;
  token?: string;
  maxBodyBytes: number;
}

export interface OtlpGrpcReceiver {
  port: number;
  close(): Promise<void>;
}

const identity = (buffer: Buffer) => buffer;

function toServiceError(error: unknown): Partial<ServiceError> {
  const known = isCollectorError(error) ? error : new CollectorError("SHAKEDOWN_WRITE_FAILED", String(error));
  return { code: ERROR_STATUS[known.code].grpc, details: known.message };
}

/**
 * OTLP/gRPC: the three standard Export services. Messages stay raw bytes through grpc-js and are decoded by
 * the same protobuf definitions the HTTP receiver uses, so both transports share one code path.
 */
export function startOtlpGrpcReceiver(options: OtlpGrpcOptions): Promise<OtlpGrpcReceiver> {
  const server = new Server({
    "grpc.max_receive_message_length": options.maxBodyBytes,
  });

  const exporter =
    (signal: Signal): handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      const authorization = call.metadata.get("authorization")[0];
      if (!bearerAllows(options.token, typeof authorization === "string" ? authorization : undefined)) {
        callback({ code: status.UNAUTHENTICATED, details: "missing or wrong bearer token" });
        return;
      }
      Promise.resolve()
        .then(() => {
          options.writer.admit(1);
          return ingest(signal, signal.decodeProtobuf(call.request), options.writer);
        })
        .then(
          (result) =>
            callback(
              null,
              Buffer.from(
                signal.encodeResponse(result.rejected, result.rejected > 0 ? result.errorMessage : ""),
              ),
            ),
          (error) => callback(toServiceError(error)),
        );
    };

  for (const signal of SIGNALS) {
    const definition: ServiceDefinition = {
      Export: {
        path: signal.grpcPath,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    };
    server.addService(definition, { Export: exporter(signal) });
  }

  return new Promise((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (error, port) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.tryShutdown(() => done());
          }),
      });
    });
  });
}
