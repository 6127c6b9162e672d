/**
 * The node: the driver loop and what composes it (see docs/ARCHITECTURE.md).
 *
 * @module
 */

export { type NodeOptions, startNode } from "./start.ts";
export { type NodeParts, RaftKvNode } from "./kv_node.ts";
export {
  type CoreState,
  Driver,
  type DriverBreaks,
  type DriverListener,
  type DriverSettings,
} from "./driver.ts";
export type { Clock, NodeStorage, PeerTransport, TransportFactory } from "./ports.ts";
export { systemClock } from "./system_clock.ts";
export { planReady, type PlanStep, type ReadyPlan } from "./ready_plan.ts";
