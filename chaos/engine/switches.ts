import { SWITCHES_OFF_ENV } from "../../agents/switches.js";
import { agentEndpoint, readControl, setSwitch } from "../faults/agent-client.js";
import type { Topology } from "../faults/context.js";
import { HealError } from "../faults/errors.js";
import type { DefenseSwitches } from "../timeline/engine.js";
import { NoSwitchError } from "./errors.js";

/**
 * Negative controls' switches, through the agent control endpoint of every running node that has the
 * switch, each read back. A switch that no node has is an error: a control that turns nothing off would
 * "fail as expected" for the wrong reason, or pass and blame the experiment. Nodes started while a switch is
 * off (restarted by a fault mid-control) start with it off: otherwise a restarted consumer would bring its
 * defense back and a control could pass by luck.
 */
export function agentSwitches(topology: Topology): DefenseSwitches {
  const off = new Set<string>();
  return {
    async set(name, enabled) {
      if (enabled) off.delete(name);
      else off.add(name);
      topology.setStartEnvironment(SWITCHES_OFF_ENV, off.size === 0 ? undefined : [...off].join(","));
      const seen = new Set<string>();
      let changed = 0;
      for (const node of topology.statuses()) {
        const endpoint = agentEndpoint(node);
        if (node.state !== "healthy" || endpoint === null) continue;
        const { switches } = await readControl(endpoint);
        for (const known of Object.keys(switches)) seen.add(known);
        if (switches[name] === undefined) continue;
        await setSwitch(endpoint, name, enabled);
        const read = (await readControl(endpoint)).switches[name];
        if (read !== enabled)
          throw new HealError(node.name, `switch ${name} reads ${read} after setting ${enabled}`);
        changed++;
      }
      if (changed === 0) throw new NoSwitchError(name, [...seen].sort());
    },
  };
}
