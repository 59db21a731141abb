import { Ajv, type ValidateFunction } from "ajv";
import type { FaultUnit, Injection } from "../experiment/fault-unit.js";
import type { FaultFactory } from "./context.js";
import { RegistryError } from "./errors.js";

const ajv = new Ajv({ allErrors: false, strict: false });

/**
 * One name, several units told apart by their target: `latency` on a node (in-process, through the agent)
 * and `latency` on a link (through Toxiproxy) are one fault to the experiment's author. Inject goes to the
 * first unit whose target schema accepts the target; the injection records which, for verify and heal.
 */
export function byTarget(factories: readonly FaultFactory[]): FaultFactory {
  return (context) => {
    const units = factories.map((factory) => factory(context));
    const first = units[0];
    if (first === undefined) throw new RegistryError("byTarget needs at least one unit");
    const accepts: ValidateFunction[] = units.map((unit) => {
      if (unit.targetSchema === undefined) {
        throw new RegistryError(`the ${unit.name} units share a name, so each needs a targetSchema`);
      }
      return ajv.compile(unit.targetSchema);
    });
    const unitOf = (injection: Injection): FaultUnit => units[injection.unit as number] as FaultUnit;
    return {
      name: first.name,
      description: units.map((unit) => unit.description).join(" Or: "),
      targetSchema: { anyOf: units.map((unit) => unit.targetSchema) },
      configSchema: { anyOf: units.map((unit) => unit.configSchema ?? {}) },
      async inject(target, config, signal) {
        const index = accepts.findIndex((accept) => accept(target));
        const unit = units[index];
        if (unit === undefined)
          throw new RegistryError(`no ${first.name} unit accepts target ${JSON.stringify(target)}`);
        return { unit: index, injection: await unit.inject(target, config, signal) };
      },
      verify: (injection) => unitOf(injection).verify(injection.injection as Injection),
      heal: (injection) => unitOf(injection).heal(injection.injection as Injection),
      async healUnconfirmed(target, config) {
        const unit = units[accepts.findIndex((accept) => accept(target))];
        await unit?.healUnconfirmed?.(target, config);
      },
    };
  };
}
