import { BadDataError } from "../errors.js";
import { batchSize } from "../model.js";
import type { Signal } from "../otlp/signals.js";
import type { Loose } from "../otlp/values.js";
import type { StoreWriter } from "../store/writer.js";

export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

/**
 * The path every OTLP request takes after decoding, whatever its transport: normalise, write, and resolve
 * once the accepted items are committed. A request whose every item was rejected is bad data as a whole.
 */
export async function ingest(signal: Signal, request: Loose, writer: StoreWriter): Promise<IngestResult> {
  const normalized = signal.normalize(request);
  const accepted = batchSize(normalized.batch);
  if (accepted === 0 && normalized.rejected > 0) {
    throw new BadDataError(`every item was rejected; first: ${normalized.firstError}`);
  }
  await writer.write(normalized.batch);
  return { accepted, rejected: normalized.rejected, errorMessage: normalized.firstError };
}
