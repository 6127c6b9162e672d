/**
 * The data model's operations (CAS, scans, transactions, leases, watch) for
 * a node: a `KvService` over a port into whichever driver runs now, with
 * the quota, the lease TTL floor and the command version every member has
 * announced.
 *
 * @module
 */

import type { ReadLevel } from "../api.ts";
import type { NodeConfig } from "../config.ts";
import { KvService } from "../kv/service.ts";
import type { Clock } from "./ports.ts";
import type { Driver, DriverBreaks } from "./driver.ts";
import { readBarrier } from "./reads.ts";

/** What the data model needs from the node. */
export interface DataModelDeps {
  config: NodeConfig;
  /** The quota in bytes, resolved (0 for none). */
  quotaBytes: number;
  driver(): Driver;
  clock: Clock;
  /** The newest command version every member announced. */
  commandVersion(): number;
  /** Test-only bugs (see `DriverBreaks`); empty in production. */
  breaks: DriverBreaks;
}

/** Elections timeouts a lease must outlive at least. */
const LEASE_TTL_ELECTIONS_MIN = 3;

/**
 * The data-model service of a node.
 *
 * @example
 * ```ts ignore
 * const service = dataModel({ config, quotaBytes, driver: () => driver, clock, commandVersion: () => 2, breaks: {} });
 * await service.txn({ compare: [], success: [], failure: [] });
 * ```
 */
export function dataModel(deps: DataModelDeps): KvService {
  return new KvService({
    // The driver copies the command as it queues it (it may be a view the
    // next encoding overwrites) and, knowing no leader, waits for one up to
    // the request's deadline.
    propose: (data) => {
      try {
        return deps.driver().propose(data, null);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    readBarrier: (level: ReadLevel) =>
      readBarrier(deps.driver(), level, deps.breaks.localConsistentReads === true),
    requireLeader: () => deps.driver().requireLeader(),
    leading: () => deps.driver().core.state().role === "leader",
    leaseHeld: () => deps.driver().leaseRead() >= 0,
    machine: () => deps.driver().machine,
    history: () => deps.driver().history,
    deadlines: () => deps.driver().deadlines,
    nowMs: () => deps.clock.nowMs(),
    clusterCommandVersion: deps.commandVersion,
  }, {
    quotaBytes: deps.quotaBytes,
    leaseTtlMsMin: LEASE_TTL_ELECTIONS_MIN * deps.config.electionMs,
    breaks: {
      casBeforePropose: deps.breaks.casBeforePropose === true,
      watchSkipsIndex: deps.breaks.watchSkipsIndex === true,
    },
  });
}
