/**
 * The JSON schema of an experiment file's structure. Kind-specific fields of probes and assertions, checker
 * configs and fault configs are validated afterwards against the schemas their registries carry.
 */

export const DURATION_PATTERN = "^\\d+(\\.\\d+)?(ms|s|m|h)$";
export const NAME_PATTERN = "^[a-z][a-z0-9_]*$";
export const ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";

const DURATION_SCHEMA = { type: "string", pattern: DURATION_PATTERN };

/** A measurement's window (`run`, `{ before: id }`, `{ during: id, offset }`, ...); self-contained, so kinds reuse it. */
export const WINDOW_SCHEMA = {
  anyOf: [
    { const: "run" },
    {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: {
        before: { type: "string", pattern: ID_PATTERN },
        during: { type: "string", pattern: ID_PATTERN },
        after: { type: "string", pattern: ID_PATTERN },
        last: DURATION_SCHEMA,
        offset: DURATION_SCHEMA,
        length: DURATION_SCHEMA,
      },
    },
  ],
};

export const experimentSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Shakedown experiment",
  type: "object",
  required: ["title", "method"],
  additionalProperties: false,
  properties: {
    title: { type: "string", minLength: 1 },
    description: { type: "string" },
    profile: { enum: ["default", "ha"] },
    topology: {
      type: "object",
      additionalProperties: false,
      properties: {
        env: {
          type: "object",
          propertyNames: { pattern: "^[A-Z_][A-Z0-9_]*$" },
          additionalProperties: { type: "string" },
        },
        network: { enum: ["loopback", "netns"] },
      },
    },
    steadyState: {
      type: "object",
      required: ["probes"],
      additionalProperties: false,
      properties: {
        title: { type: "string" },
        probes: { type: "array", items: { $ref: "#/definitions/measurement" } },
      },
    },
    load: {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: { flood: { $ref: "#/definitions/flood" }, k6: { $ref: "#/definitions/k6" } },
    },
    method: { type: "array", minItems: 1, items: { $ref: "#/definitions/action" } },
    assertions: { type: "array", items: { $ref: "#/definitions/measurement" } },
    controls: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "disable"],
        additionalProperties: false,
        properties: {
          name: { type: "string", minLength: 1 },
          description: { type: "string" },
          disable: { type: "array", minItems: 1, items: { type: "string", pattern: ID_PATTERN } },
          expect: { const: "fail" },
        },
      },
    },
    rollbacks: {
      type: "array",
      items: {
        type: "object",
        required: ["fault"],
        additionalProperties: false,
        properties: {
          fault: { type: "string", pattern: NAME_PATTERN },
          target: { type: "object" },
          config: { type: "object" },
        },
      },
    },
  },
  definitions: {
    duration: { type: "string", pattern: DURATION_PATTERN },
    action: {
      type: "object",
      required: ["at", "fault"],
      additionalProperties: false,
      properties: {
        id: { type: "string", pattern: ID_PATTERN },
        at: { $ref: "#/definitions/duration" },
        fault: { type: "string", pattern: NAME_PATTERN },
        target: { type: "object" },
        config: { type: "object" },
        duration: { $ref: "#/definitions/duration" },
      },
    },
    window: WINDOW_SCHEMA,
    measurement: {
      type: "object",
      required: ["name", "kind"],
      properties: {
        name: { type: "string", minLength: 1 },
        kind: { type: "string", pattern: NAME_PATTERN },
        description: { type: "string" },
        window: { $ref: "#/definitions/window" },
        min: { type: "number" },
        max: { type: "number" },
      },
    },
    request: {
      type: "object",
      required: ["service", "path"],
      additionalProperties: false,
      properties: {
        method: { enum: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] },
        service: { type: "string", pattern: ID_PATTERN },
        path: { type: "string", pattern: "^/" },
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: {},
      },
    },
    flood: {
      type: "object",
      required: ["ratePerSecond", "duration", "request"],
      additionalProperties: false,
      properties: {
        ratePerSecond: { type: "number", exclusiveMinimum: 0, maximum: 100000 },
        duration: { $ref: "#/definitions/duration" },
        timeout: { $ref: "#/definitions/duration" },
        request: { $ref: "#/definitions/request" },
        login: {
          type: "object",
          required: ["path", "body"],
          additionalProperties: false,
          properties: { path: { type: "string", pattern: "^/" }, body: {} },
        },
        recordHeaders: {
          type: "array",
          items: { type: "string", pattern: "^[A-Za-z0-9-]+$" },
          uniqueItems: true,
        },
        pulses: {
          type: "object",
          required: ["every", "width"],
          additionalProperties: false,
          properties: {
            every: { $ref: "#/definitions/duration" },
            width: { $ref: "#/definitions/duration" },
          },
        },
      },
    },
    k6: {
      type: "object",
      required: ["script", "duration"],
      additionalProperties: false,
      properties: {
        script: { type: "string", minLength: 1 },
        duration: { $ref: "#/definitions/duration" },
        vus: { type: "integer", minimum: 1 },
        env: { type: "object", additionalProperties: { type: "string" } },
      },
    },
  },
} as const;

/** Fields common to every probe and assertion, merged into each kind's own schema. */
export const measurementProperties = experimentSchema.definitions.measurement.properties;
