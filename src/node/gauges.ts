/**
 * The gauges read from a node's state when scraped, so that nothing is
 * counted on the write path: keys and their bytes, live leases, open
 * watches, and the writes waiting to commit.
 *
 * @module
 */

import type { RafterMetrics } from "../metrics/rafter_metrics.ts";
import type { Driver } from "./driver.ts";

/**
 * Sets the node's state gauges of `metrics` from `driver`.
 *
 * @example
 * ```ts
 * import { sampleNodeGauges } from "./gauges.ts";
 * import { Requests } from "./requests.ts";
 * import { createMetrics } from "../metrics/rafter_metrics.ts";
 * import { encodePut } from "../kv/command.ts";
 * import { KvStateMachine } from "../kv/state_machine.ts";
 * import { WatchHistory } from "../kv/watch_history.ts";
 * const machine = new KvStateMachine();
 * machine.apply({ index: 1, term: 1, type: "normal", data: encodePut("k", "value") });
 * const history = new WatchHistory(1);
 * history.subscribe({ prefix: "" });
 * const requests = new Requests({ proposalsInflightMax: 8, requestTimeoutMs: 1000, nowMs: () => 0 });
 * const metrics = createMetrics();
 * sampleNodeGauges(metrics, { machine, history, requests });
 * if (metrics.kv.keys.value !== 1 || metrics.kv.bytes.value !== 6) throw new Error();
 * if (metrics.watch.watchers.value !== 1 || metrics.lease.active.value !== 0) throw new Error();
 * ```
 */
export function sampleNodeGauges(
  metrics: RafterMetrics,
  driver: Pick<Driver, "machine" | "history" | "requests">,
): void {
  const machine = driver.machine;
  metrics.kv.keys.set(machine.size);
  metrics.kv.bytes.set(machine.dataBytes);
  metrics.lease.active.set(machine.leaseCount);
  metrics.watch.watchers.set(driver.history.watchCount);
  metrics.server.proposalsPending.set(driver.requests.writeCount);
}
