export { controlHandler, serveAdmin } from "./control.js";
export { CrashPoint, CrashPoints, crashPoints } from "./crash-points.js";
export { DECISION_EVENT, type DecisionAttributes, type DecisionOptions, recordDecision } from "./decision.js";
export {
  applyFault,
  currentFault,
  InjectedFaultError,
  type InProcessFault,
  isInjectedFault,
  parseFault,
  setFault,
} from "./faults.js";
export { createLogger, type LoggerOptions, logger } from "./logger.js";
export { metricsHandler, registry, serveMetrics } from "./metrics.js";
export { type AgentOptions, shutdownAgent, startAgent } from "./sdk.js";
export { Switch, SwitchBoard, switchboard } from "./switches.js";
