import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { type Document, isMap, isPair, isScalar, LineCounter, parseDocument, visit } from "yaml";
import { parseDuration } from "../../cli/units.js";
import { checkers as defaultCheckers } from "../checkers/registry.js";
import type { Checker } from "../checkers/types.js";
import { templateProblem } from "../load/template.js";
import { assertionKinds as defaultKinds } from "./assertions/registry.js";
import type { AssertionKind } from "./assertions/types.js";
import { ExperimentError, type ExperimentProblem } from "./errors.js";
import type { FaultCatalog, JsonObject, JsonValue } from "./fault-unit.js";
import { DURATION_PATTERN, experimentSchema, NAME_PATTERN } from "./schema.js";
import type {
  Bar,
  Control,
  Experiment,
  FaultAction,
  FloodLogin,
  FloodPulses,
  Load,
  Measurement,
  NetworkMode,
  RollbackAction,
  WindowSpec,
} from "./types.js";

/** The registries an experiment's names are looked up in. Checkers and kinds default to the built-in ones. */
export interface Registries {
  readonly faults: FaultCatalog;
  readonly checkers?: Readonly<Record<string, Checker>>;
  readonly assertionKinds?: Readonly<Record<string, AssertionKind>>;
}

type Path = readonly (string | number)[];

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true, strict: true });
const validateStructure = ajv.compile(experimentSchema);
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function kindSchema(kind: AssertionKind): object {
  const common = {
    name: {},
    kind: {},
    description: {},
    window: {},
    ...(kind.bar ? { min: {}, max: {} } : {}),
  };
  return {
    type: "object",
    required: [...kind.required],
    additionalProperties: false,
    properties: { ...common, ...kind.properties },
  };
}
const kindSchemas = new WeakMap<AssertionKind, object>();
function schemaOfKind(kind: AssertionKind): object {
  let schema = kindSchemas.get(kind);
  if (schema === undefined) {
    schema = kindSchema(kind);
    kindSchemas.set(kind, schema);
  }
  return schema;
}

export function fieldName(path: Path): string {
  return path.reduce<string>(
    (name, segment) =>
      typeof segment === "number" ? `${name}[${segment}]` : name === "" ? segment : `${name}.${segment}`,
    "",
  );
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** Maps paths in the parsed data back to lines and columns of the YAML source. */
class SourceMap {
  constructor(
    private readonly file: string,
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  problem(path: Path, message: string, key?: string): ExperimentProblem {
    let offset = 0;
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.document.contents : this.document.getIn(path.slice(0, depth), true);
      if (node === null || node === undefined || typeof node !== "object" || !("range" in node)) continue;
      offset = (node.range as [number, number, number])[0];
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
        if (pair !== undefined && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      break;
    }
    const { line, col } = this.lines.linePos(offset);
    const field = fieldName(key === undefined ? path : [...path, key]);
    return { file: this.file, line, column: col, field, message };
  }
}

function describeAjvError(error: ErrorObject): { key?: string; message: string } {
  switch (error.keyword) {
    case "required":
      return { key: String(error.params.missingProperty), message: "is required" };
    case "additionalProperties": {
      const allowed = Object.keys(
        (error.parentSchema as { properties?: object } | undefined)?.properties ?? {},
      );
      const known = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
      return { key: String(error.params.additionalProperty), message: `is not a known field${known}` };
    }
    case "enum":
      return {
        message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "const":
      return { message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    case "pattern": {
      const pattern = (error.parentSchema as { pattern?: string } | undefined)?.pattern;
      const got = JSON.stringify(error.data);
      if (pattern === DURATION_PATTERN)
        return { message: `must be a duration like 500ms, 5s or 2m, not ${got}` };
      if (pattern === NAME_PATTERN) return { message: `must be a snake_case name, not ${got}` };
      return { message: `${error.message ?? "does not match"}, not ${got}` };
    }
    default:
      return { message: error.message ?? error.keyword };
  }
}

function valueAt(data: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (value, segment) => (value as Record<string | number, unknown> | undefined)?.[segment],
    data,
  );
}

const WINDOW_PATH = /^\/(assertions|steadyState\/probes)\/\d+\/window$/;

/**
 * Drops the noise of the window's `anyOf`: a window written as an object is judged against the object
 * branch only (so `length: 5x` says what is wrong with it); anything else gets one message, added below.
 */
function relevantErrors(errors: readonly ErrorObject[], data: unknown): ErrorObject[] {
  return errors.filter((error) => {
    if (!WINDOW_PATH.test(error.instancePath)) return true;
    const window = valueAt(data, pathOf(error.instancePath));
    return (
      typeof window === "object" && window !== null && !["anyOf", "const", "type"].includes(error.keyword)
    );
  });
}

function structuralProblems(data: unknown, map: SourceMap): ExperimentProblem[] {
  if (validateStructure(data)) return [];
  const problems: ExperimentProblem[] = [];
  const errors = validateStructure.errors ?? [];
  for (const error of relevantErrors(errors, data)) {
    const { key, message } = describeAjvError(error);
    problems.push(map.problem(pathOf(error.instancePath), message, key));
  }
  const windows = new Set(
    errors.filter((error) => error.keyword === "anyOf" && WINDOW_PATH.test(error.instancePath)),
  );
  for (const { instancePath } of windows) {
    const window = valueAt(data, pathOf(instancePath));
    if (typeof window !== "object" || window === null) {
      problems.push(
        map.problem(
          pathOf(instancePath),
          'must be "run" or an object with one of before, during, after, last',
        ),
      );
    }
  }
  return problems;
}

function schemaProblems(schema: object, value: unknown, at: Path, map: SourceMap): ExperimentProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => {
    const { key, message } = describeAjvError(error);
    return map.problem([...at, ...pathOf(error.instancePath)], message, key);
  });
}

type Raw = Record<string, unknown>;

/** Reads the parsed document into an Experiment, collecting every semantic problem on the way. */
class Reader {
  readonly problems: ExperimentProblem[] = [];
  private readonly kinds: Readonly<Record<string, AssertionKind>>;
  private readonly checkers: Readonly<Record<string, Checker>>;

  constructor(
    private readonly file: string,
    private readonly map: SourceMap,
    private readonly registries: Registries,
  ) {
    this.kinds = registries.assertionKinds ?? defaultKinds;
    this.checkers = registries.checkers ?? defaultCheckers;
  }

  private report(path: Path, message: string, key?: string): void {
    this.problems.push(this.map.problem(path, message, key));
  }

  private checkSchema(schema: object | undefined, value: unknown, path: Path): void {
    if (schema !== undefined) this.problems.push(...schemaProblems(schema, value, path, this.map));
  }

  private fault(name: string, target: unknown, config: unknown, path: Path): void {
    const unit = this.registries.faults[name];
    if (unit === undefined) {
      const known = Object.keys(this.registries.faults).sort().join(", ");
      this.report([...path, "fault"], `no fault named "${name}" (known: ${known || "none"})`);
      return;
    }
    this.checkSchema(unit.targetSchema, target ?? {}, [...path, "target"]);
    this.checkSchema(unit.configSchema, config ?? {}, [...path, "config"]);
  }

  read(raw: Raw): Experiment {
    const method = this.method((raw.method as Raw[]) ?? []);
    const ids = new Set(method.map((action) => action.id));
    const steady = raw.steadyState as Raw | undefined;
    const probes = ((steady?.probes as Raw[]) ?? []).map((probe, index) =>
      this.measurement(probe, ["steadyState", "probes", index], ids, "probe"),
    );
    const assertions = ((raw.assertions as Raw[]) ?? []).map((assertion, index) =>
      this.measurement(assertion, ["assertions", index], ids, "assertion"),
    );
    this.unique(
      assertions.map((a) => a.name),
      ["assertions"],
      "assertion name",
    );
    this.recordedHeaders(assertions, raw.load as Raw | undefined);
    const controls = ((raw.controls as Raw[]) ?? []).map(
      (control): Control => ({
        name: control.name as string,
        description: (control.description as string | undefined) ?? null,
        disable: control.disable as string[],
        expect: "fail",
      }),
    );
    this.unique(
      controls.map((c) => c.name),
      ["controls"],
      "control name",
    );
    const rollbacks = ((raw.rollbacks as Raw[]) ?? []).map((rollback, index): RollbackAction => {
      this.fault(rollback.fault as string, rollback.target, rollback.config, ["rollbacks", index]);
      return {
        fault: rollback.fault as string,
        target: (rollback.target as JsonObject | undefined) ?? {},
        config: (rollback.config as JsonObject | undefined) ?? {},
      };
    });
    return {
      file: this.file,
      title: raw.title as string,
      description: (raw.description as string | undefined) ?? null,
      profile: (raw.profile as Experiment["profile"] | undefined) ?? "default",
      topology: {
        env: ((raw.topology as Raw | undefined)?.env as Record<string, string> | undefined) ?? {},
        network: ((raw.topology as Raw | undefined)?.network as NetworkMode | undefined) ?? "loopback",
      },
      steadyState: { title: (steady?.title as string | undefined) ?? null, probes },
      load: raw.load === undefined ? null : this.load(raw.load as Raw),
      method,
      assertions,
      controls,
      rollbacks,
    };
  }

  /** A header an assertion reads from the answers must be one the flood records, or it would never be seen. */
  private recordedHeaders(assertions: readonly Measurement[], load: Raw | undefined): void {
    const flood = load?.flood as Raw | undefined;
    const recorded = new Set(
      ((flood?.recordHeaders as string[] | undefined) ?? []).map((h) => h.toLowerCase()),
    );
    assertions.forEach((assertion, index) => {
      const header = assertion.params.header;
      if (typeof header === "string" && !recorded.has(header.toLowerCase()))
        this.report(["assertions", index, "header"], `"${header}" is not in load.flood.recordHeaders`);
    });
  }

  private unique(names: readonly string[], path: Path, what: string): void {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name)) this.report([...path, index, "name"], `${what} "${name}" is used twice`);
      seen.add(name);
    });
  }

  private method(raw: readonly Raw[]): FaultAction[] {
    const seen = new Set<string>();
    return raw.map((action, index) => {
      const path = ["method", index];
      const fault = action.fault as string;
      const id = (action.id as string | undefined) ?? fault;
      if (seen.has(id)) {
        const hint = action.id === undefined ? `; give the actions of "${fault}" distinct ids` : "";
        this.report(
          path,
          `id "${id}" is used by an earlier action${hint}`,
          action.id === undefined ? "fault" : "id",
        );
      }
      seen.add(id);
      this.fault(fault, action.target, action.config, path);
      const durationMillis = action.duration === undefined ? null : parseDuration(action.duration as string);
      if (durationMillis === 0) this.report([...path, "duration"], "must be longer than 0");
      return {
        id,
        atMillis: parseDuration(action.at as string),
        fault,
        target: (action.target as JsonObject | undefined) ?? {},
        config: (action.config as JsonObject | undefined) ?? {},
        durationMillis,
      };
    });
  }

  private window(
    raw: unknown,
    path: Path,
    ids: ReadonlySet<string>,
    role: "probe" | "assertion",
  ): WindowSpec {
    if (raw === undefined)
      return role === "probe" ? { anchor: "last", lengthMillis: 10_000 } : { anchor: "run" };
    if (raw === "run") {
      if (role === "probe")
        this.report(path, 'a probe looks at the last moments ({ last: 10s }), not at "run"');
      return { anchor: "run" };
    }
    const window = raw as Record<string, string>;
    const anchors = (["before", "during", "after", "last"] as const).filter(
      (anchor) => window[anchor] !== undefined,
    );
    if (anchors.length !== 1) {
      this.report(
        path,
        `needs exactly one of before, during, after, last (found ${anchors.join(", ") || "none"})`,
      );
      return { anchor: "run" };
    }
    const anchor = anchors[0] as "before" | "during" | "after" | "last";
    const length = window.length === undefined ? null : parseDuration(window.length);
    const offset = window.offset === undefined ? 0 : parseDuration(window.offset);
    if (window.offset !== undefined && anchor !== "after" && anchor !== "during") {
      this.report(path, `offset applies only to "during" and "after"`, "offset");
    }
    if (window.length !== undefined && anchor === "during")
      this.report(path, `length does not apply to "during"`, "length");
    if (anchor === "last") {
      if (role === "assertion")
        this.report(path, `"last" is for steady-state probes; use before, during or after`, "last");
      if (window.length !== undefined) this.report(path, `length does not apply to "last"`, "length");
      return { anchor, lengthMillis: parseDuration(window.last as string) };
    }
    if (role === "probe") this.report(path, `a probe looks at { last: <duration> }, not at a fault`, anchor);
    const fault = window[anchor] as string;
    if (!ids.has(fault)) {
      this.report(
        path,
        `no method action with id "${fault}" (ids: ${[...ids].join(", ") || "none"})`,
        anchor,
      );
    }
    if (anchor === "during") return { anchor, fault, offsetMillis: offset };
    if (anchor === "before") return { anchor, fault, lengthMillis: length };
    return { anchor, fault, offsetMillis: offset, lengthMillis: length };
  }

  private measurement(
    raw: Raw,
    path: Path,
    ids: ReadonlySet<string>,
    role: "probe" | "assertion",
  ): Measurement {
    const kindName = raw.kind as string;
    const kind = this.kinds[kindName];
    const { name, kind: _kind, description, window, min, max, ...params } = raw;
    const spec = this.window(window, [...path, "window"], ids, role);
    if (kind === undefined) {
      const known = Object.keys(this.kinds).sort().join(", ");
      this.report([...path, "kind"], `no assertion kind "${kindName}" (known: ${known})`);
    } else {
      this.checkSchema(schemaOfKind(kind), raw, path);
      if (kind.bar && min === undefined && max === undefined)
        this.report(path, "needs a bar: min, max or both");
      if (!kind.windowed && window !== undefined && window !== "run") {
        this.report(path, `a ${kindName} ${role} has no window`, "window");
      }
      if (kindName === "checker") this.checker(params, path);
      if (kind.exactlyOneOf !== undefined) this.exactlyOne(kind.exactlyOneOf, params, path);
      if (kind.faultField !== undefined) this.faultReference(kind, kindName, params, path, ids, role);
      for (const field of kind.windowFields ?? []) {
        if (params[field] !== undefined) {
          params[field] = this.window(params[field], [...path, field], ids, role) as unknown as JsonValue;
        }
      }
    }
    if (typeof min === "number" && typeof max === "number" && min > max)
      this.report(path, `min ${min} exceeds max ${max}`, "min");
    const bar: Bar | null =
      min === undefined && max === undefined
        ? null
        : {
            ...(min === undefined ? {} : { min: min as number }),
            ...(max === undefined ? {} : { max: max as number }),
          };
    return {
      name: name as string,
      kind: kindName,
      description: (description as string | undefined) ?? null,
      window: spec,
      bar,
      params: params as JsonObject,
    };
  }

  private exactlyOne(fields: readonly string[], params: Raw, path: Path): void {
    const given = fields.filter((field) => params[field] !== undefined);
    if (given.length !== 1) {
      this.report(path, `needs exactly one of ${fields.join(", ")} (found ${given.join(", ") || "none"})`);
    }
  }

  /** A kind timed from a fault of the method: the action must exist, and the method must have run. */
  private faultReference(
    kind: AssertionKind,
    kindName: string,
    params: Raw,
    path: Path,
    ids: ReadonlySet<string>,
    role: "probe" | "assertion",
  ): void {
    const field = kind.faultField as string;
    if (role === "probe") {
      this.report(
        path,
        `a ${kindName} is timed from a fault of the method, so it is an assertion, not a probe`,
      );
    }
    const id = params[field];
    if (typeof id === "string" && !ids.has(id)) {
      this.report(path, `no method action with id "${id}" (ids: ${[...ids].join(", ") || "none"})`, field);
    }
  }

  private checker(params: Raw, path: Path): void {
    const name = params.checker;
    if (typeof name !== "string") return;
    const found = this.checkers[name];
    if (found === undefined) {
      const known = Object.keys(this.checkers).sort().join(", ");
      this.report([...path, "checker"], `no checker named "${name}" (known: ${known})`);
      return;
    }
    this.checkSchema(found.configSchema, params.config ?? {}, [...path, "config"]);
  }

  private pulses(raw: Raw, durationMillis: number): FloodPulses {
    const everyMillis = parseDuration(raw.every as string);
    const widthMillis = parseDuration(raw.width as string);
    const path = ["load", "flood", "pulses"];
    if (widthMillis === 0 || widthMillis >= everyMillis) {
      this.report([...path, "width"], `must be longer than 0 and shorter than every (${raw.every})`);
    } else if (durationMillis < everyMillis + widthMillis) {
      // Whatever the start, a span of every + width holds one whole pulse.
      this.report(
        ["load", "flood", "duration"],
        "must be at least pulses.every + pulses.width to hold a pulse",
      );
    }
    return { everyMillis, widthMillis };
  }

  private load(raw: Raw): Load {
    if (raw.flood !== undefined) {
      const flood = raw.flood as Raw;
      const request = flood.request as Raw;
      const templated = { path: request.path, headers: request.headers, body: request.body };
      for (const [field, value] of Object.entries(templated)) {
        const problem = value === undefined ? null : templateProblem(JSON.stringify(value));
        if (problem !== null) this.report(["load", "flood", "request", field], problem);
      }
      if (flood.login === undefined && JSON.stringify(request).includes("{{token}}"))
        this.report(["load", "flood", "request"], "uses {{token}} but the flood has no login");
      const durationMillis = parseDuration(flood.duration as string);
      const pulses =
        flood.pulses === undefined ? undefined : this.pulses(flood.pulses as Raw, durationMillis);
      return {
        type: "flood",
        ratePerSecond: flood.ratePerSecond as number,
        durationMillis,
        timeoutMillis: flood.timeout === undefined ? 2000 : parseDuration(flood.timeout as string),
        request: {
          method: (request.method as string | undefined) ?? "GET",
          service: request.service as string,
          path: request.path as string,
          headers: (request.headers as Record<string, string> | undefined) ?? {},
          body: (request.body as JsonValue | undefined) ?? null,
        },
        ...(flood.login === undefined ? {} : { login: flood.login as unknown as FloodLogin }),
        ...(flood.recordHeaders === undefined
          ? {}
          : { recordHeaders: (flood.recordHeaders as string[]).map((name) => name.toLowerCase()) }),
        ...(pulses === undefined ? {} : { pulses }),
      };
    }
    const k6 = raw.k6 as Raw;
    return {
      type: "k6",
      script: resolve(dirname(this.file), k6.script as string),
      durationMillis: parseDuration(k6.duration as string),
      vus: (k6.vus as number | undefined) ?? null,
      env: (k6.env as Record<string, string> | undefined) ?? {},
    };
  }
}

/**
 * Parses and validates an experiment's YAML text: syntax, then the structural JSON schema, then names and
 * kind-specific fields against the registries. Throws an ExperimentError listing every problem found, each
 * with file, line, column and field.
 */
export function parseExperiment(text: string, file: string, registries: Registries): Experiment {
  const lines = new LineCounter();
  // Duplicate keys are found below instead: the parser would place them at the start of their map.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const map = new SourceMap(file, document, lines);
  const syntax: ExperimentProblem[] = document.errors.map((error) => {
    const position = error.linePos?.[0] ?? { line: 1, col: 1 };
    return { file, line: position.line, column: position.col, field: "", message: `YAML: ${error.message}` };
  });
  visit(document, {
    Map(_, node) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
          syntax.push({
            file,
            line,
            column: col,
            field: "",
            message: `YAML: key "${pair.key.value}" appears twice`,
          });
        }
        seen.add(pair.key.value);
      }
    },
  });
  if (syntax.length > 0) throw new ExperimentError(sortProblems(syntax));
  const data: unknown = document.toJS();
  if (data === null || data === undefined) {
    throw new ExperimentError([{ file, line: 1, column: 1, field: "", message: "is empty" }]);
  }
  const structural = structuralProblems(data, map);
  if (structural.length > 0) throw new ExperimentError(sortProblems(structural));
  const reader = new Reader(file, map, registries);
  const experiment = reader.read(data as Raw);
  if (reader.problems.length > 0) throw new ExperimentError(sortProblems(reader.problems));
  return experiment;
}

function sortProblems(problems: readonly ExperimentProblem[]): ExperimentProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}
