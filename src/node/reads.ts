/**
 * The barrier before a read at each level: `stale` reads local state at
 * once; `default` reads it on a leader holding its lease (§6.4.1), else
 * confirms leadership with a ReadIndex round; `consistent` always does
 * ReadIndex (§6.4), from any node. Every level but `stale` first waits for a
 * leader to be known, up to the request deadline.
 *
 * @module
 */

import { NotLeaderError, type ReadLevel } from "../api.ts";
import type { Driver } from "./driver.ts";

/**
 * Resolves once `driver`'s state machine may be read at `level`; throws
 * `NotLeaderError` for a `default` read on a follower.
 *
 * @example
 * ```ts ignore
 * await readBarrier(driver, "consistent", false);
 * const record = driver.machine.get("k");
 * ```
 */
export async function readBarrier(
  driver: Driver,
  level: ReadLevel,
  localConsistentReads: boolean,
): Promise<void> {
  if (level === "stale" || (level === "consistent" && localConsistentReads)) return;
  await driver.waitForLeader();
  if (level === "default") {
    const index = driver.leaseRead();
    if (index >= 0 && driver.machine.appliedIndex >= index) return;
    if (driver.core.state().role !== "leader") throw new NotLeaderError(driver.leaderHttpAddr());
    // No lease (a new leader, or a quorum not heard from lately): confirm with a round.
  }
  await driver.readIndex();
}
