import { randomUUID } from "node:crypto";
import type { Attributes } from "@opentelemetry/api";
import { envDetector } from "@opentelemetry/resources";
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";

/** What the code knows about its service; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it. */
export interface ServiceDefaults {
  serviceName?: string;
  serviceVersion?: string;
}

const UNKNOWN_SERVICE = "unknown_service:node";

let identity: Attributes | undefined;

/**
 * The resource attributes that say which service this process is. Environment wins over code, so whoever
 * launches a node (the chaos supervisor, an operator) can rename it without touching the service.
 */
export function identifyService(defaults: ServiceDefaults = {}): Attributes {
  const version = defaults.serviceVersion ?? process.env.npm_package_version;
  identity = {
    [ATTR_SERVICE_NAME]: defaults.serviceName ?? UNKNOWN_SERVICE,
    // One id per process life, so a restarted node is told apart from its previous self.
    [ATTR_SERVICE_INSTANCE_ID]: randomUUID(),
    ...(version === undefined ? {} : { [ATTR_SERVICE_VERSION]: version }),
    ...envDetector.detect().attributes,
  };
  return identity;
}

export function serviceName(): string {
  return String((identity ?? identifyService())[ATTR_SERVICE_NAME]);
}
