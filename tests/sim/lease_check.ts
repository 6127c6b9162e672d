/**
 * Lease expiry against the clients' keep-alives. A lease revoked by expiry
 * (no client asked to revoke it before the revocation was proposed) must
 * have outlived its TTL from the grant and from every keep-alive a leader
 * acknowledged: the leader restarts the TTL at the keep-alive, and a new
 * leader gives every lease its full TTL again, so no acknowledged
 * keep-alive may be cut short. Every node shares the simulated clock, so
 * times compare directly. That the revoked lease's keys are gone from then
 * on is the model's to check (`dm_check.ts`), as for any other write.
 *
 * @module
 */

import type { PutResult } from "../../src/api.ts";
import type { AppliedLog, DmOp } from "./dm_history.ts";
import type { Replayed } from "./dm_replay.ts";

/** What the expiry check reads besides the replay. */
export interface LeaseCheckInput {
  log: AppliedLog;
  ops: readonly DmOp[];
  /** When entry `index` of `term` was first in a node's log (simulated ms), if seen. */
  proposedAtMs(index: number, term: number): number | undefined;
}

/** The lease an acknowledged grant (or put with a TTL) created, if `op` is one. */
function grantedBy(op: DmOp): number | null {
  if (op.output?.status !== "ok") return null;
  if (op.input.kind === "leaseGrant") return (op.output.result as { id: number }).id;
  if (op.input.kind === "put" && op.input.options.ttlMs !== undefined) {
    return (op.output.result as PutResult).lease ?? null;
  }
  return null;
}

/**
 * Answers the first lease revoked by expiry before an acknowledged grant
 * or keep-alive allowed, or null.
 *
 * @example
 * ```ts
 * import { AppliedLog } from "./dm_history.ts";
 * import { checkLeaseExpiry } from "./lease_check.ts";
 * import { replayLog } from "./dm_replay.ts";
 * const log = new AppliedLog();
 * const replayed = replayLog(log);
 * if (typeof replayed === "string") throw new Error(replayed);
 * if (checkLeaseExpiry(replayed, { log, ops: [], proposedAtMs: () => 0 }) !== null) throw new Error();
 * ```
 */
export function checkLeaseExpiry(replayed: Replayed, input: LeaseCheckInput): string | null {
  for (const [id, life] of replayed.model.leases) {
    if (life.revoked === Infinity) continue;
    const term = input.log.entries.get(life.revoked)!.entry.term;
    const revokedAtMs = input.proposedAtMs(life.revoked, term);
    if (revokedAtMs === undefined) {
      return `Checker: the revocation of lease ${id} at index ${life.revoked} (term ${term}) ` +
        `was never seen in a node's log`;
    }
    const byClient = input.ops.some((op) =>
      op.input.kind === "leaseRevoke" && op.input.id === id && op.atMs <= revokedAtMs
    );
    if (byClient) continue;
    for (const op of input.ops) {
      const kept = grantedBy(op) === id ||
        (op.input.kind === "keepAlive" && op.input.id === id && op.output?.status === "ok");
      if (!kept || op.atMs > revokedAtMs || op.atMs + life.ttlMs <= revokedAtMs) continue;
      const what = op.input.kind === "keepAlive" ? "a keep-alive acknowledged" : "its grant";
      return `Lease: lease ${id} (TTL ${life.ttlMs} ms) was revoked by expiry at ${revokedAtMs} ms ` +
        `(index ${life.revoked}, term ${term}), but ${what} at ${op.atMs} ms keeps it until ` +
        `${op.atMs + life.ttlMs} ms`;
    }
  }
  return null;
}
