/**
 * Handing leadership over (§3.10): to a named voter or to the most caught-up
 * one, then waiting until another node leads, within a bound. The core
 * refuses new proposals while a transfer runs (they answer 503 and may be
 * sent again) and abandons a transfer that has not finished within an
 * election timeout.
 *
 * @module
 */

import { type LeadershipMoved, RejectedError, UnavailableError } from "../api.ts";
import type { NodeId } from "../raft/types.ts";
import type { Driver } from "./driver.ts";
import type { Clock } from "./ports.ts";

/** How often the wait for the new leader looks at the core's state, in milliseconds. */
const HANDOFF_POLL_MS = 5;

/**
 * The voter other than `self` whose log matches the leader's furthest, or
 * undefined when there is none.
 *
 * @example
 * ```ts
 * import { mostCaughtUpVoter } from "./handoff.ts";
 * import type { Driver } from "./driver.ts";
 * const core = {
 *   currentMembership: () => [
 *     { id: "n1", voter: true }, { id: "n2", voter: true }, { id: "n3", voter: true },
 *   ],
 *   progress: () => [{ id: "n2", match: 7 }, { id: "n3", match: 9 }],
 * };
 * if (mostCaughtUpVoter({ core } as unknown as Driver, "n1") !== "n3") throw new Error();
 * ```
 */
export function mostCaughtUpVoter(driver: Driver, self: NodeId): NodeId | undefined {
  const voters = new Set(
    driver.core.currentMembership().filter((m) => m.voter && m.id !== self).map((m) => m.id),
  );
  let best: { id: NodeId; match: number } | undefined;
  for (const p of driver.core.progress()) {
    if (!voters.has(p.id)) continue;
    if (best === undefined || p.match > best.match) best = { id: p.id, match: p.match };
  }
  return best?.id;
}

/**
 * Starts a transfer to voter `to`, or to the most caught-up other voter when
 * `to` is `""`; answers the target. Throws `NotLeaderError` off the leader
 * and `RejectedError` when there is no such voter.
 *
 * @example
 * ```ts
 * import { startTransfer } from "./handoff.ts";
 * import type { Driver } from "./driver.ts";
 * const driver = {
 *   requireLeader() {},
 *   core: { currentMembership: () => [{ id: "n1", voter: true }], progress: () => [] },
 * } as unknown as Driver;
 * try {
 *   startTransfer(driver, { to: "", self: "n1" });
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("there is no other voter")) throw error;
 * }
 * ```
 */
export function startTransfer(driver: Driver, options: { to: NodeId; self: NodeId }): NodeId {
  driver.requireLeader();
  const target = options.to !== "" ? options.to : mostCaughtUpVoter(driver, options.self);
  if (target === undefined) {
    throw new RejectedError("Cannot transfer leadership: there is no other voter");
  }
  const error = driver.transferLeader(target);
  if (error !== null) {
    throw new RejectedError(`Cannot transfer leadership to "${target}": ${error}`);
  }
  return target;
}

/** What {@link handOff} needs beside the driver. */
export interface HandOffOptions {
  /** The voter to hand over to; `""` for the most caught-up one. */
  to: NodeId;
  /** This node's id. */
  self: NodeId;
  clock: Clock;
  /** Longest wait for another node to lead, in milliseconds (an election timeout). */
  timeoutMs: number;
}

/**
 * Starts a transfer (see {@link startTransfer}) and resolves once another
 * node leads, with its id and term; at once when `to` is this node. Rejects
 * with a 503's `UnavailableError` when nobody else leads within `timeoutMs`:
 * not indeterminate while this node still leads (the core has abandoned the
 * transfer, so asking again is safe), indeterminate when an election is
 * still open.
 *
 * @example
 * ```ts ignore
 * const moved = await handOff(node.driver, { to: "", self: "n1", clock, timeoutMs: 500 });
 * console.log(`${moved.leaderId} leads in term ${moved.term}`);
 * ```
 */
export async function handOff(driver: Driver, options: HandOffOptions): Promise<LeadershipMoved> {
  const target = startTransfer(driver, options);
  const { clock, timeoutMs } = options;
  const startedMs = clock.nowMs();
  return await new Promise((resolve, reject) => {
    const check = (): boolean => {
      const { role, lead, term } = driver.core.state();
      if (role === "leader" && lead === options.self && target === options.self) {
        resolve({ leaderId: lead, term });
        return true;
      }
      if (role !== "leader" && lead !== "") {
        resolve({ leaderId: lead, term });
        return true;
      }
      if (clock.nowMs() - startedMs < timeoutMs) return false;
      reject(
        role === "leader"
          ? new UnavailableError(
            `Leadership did not move to "${target}" within ${timeoutMs} ms; this node still leads`,
          )
          : new UnavailableError(`No node leads ${timeoutMs} ms after the transfer began`, true),
      );
      return true;
    };
    if (check()) return;
    const cancel = clock.every(HANDOFF_POLL_MS, () => {
      if (check()) cancel();
    });
  });
}
