/**
 * The leader's lease deadlines, in memory: keep-alives restart a lease's
 * TTL without a log entry, and the leader alone decides expiry, which it
 * then proposes as a revoke entry. A new leader starts every lease's full
 * TTL again (as etcd does), so a change of leader never expires a lease
 * early. Time is passed in as milliseconds on a monotonic clock; there is
 * no clock here.
 *
 * @module
 */

import type { LeaseEntry } from "./leases.ts";
import type { ApplyResult } from "./results.ts";

/** Settings of {@link LeaseDeadlines}. */
export interface LeaseDeadlineOptions {
  /** A revocation proposed this long ago without applying is proposed again (default 1000 ms). */
  revokeRetryMs?: number;
}

interface Deadline {
  ttlMs: number;
  deadlineMs: number;
  /** When the revocation was last proposed; -1 while the lease is alive. */
  revokingSinceMs: number;
}

const REVOKE_RETRY_MS_DEFAULT = 1000;

/**
 * Deadlines of every lease while this node leads.
 *
 * @example
 * ```ts
 * import { LeaseDeadlines } from "./lease_deadlines.ts";
 * const deadlines = new LeaseDeadlines();
 * deadlines.becomeLeader([{ id: 5, ttlMs: 3000 }], 0);
 * deadlines.keepAlive(5, 2000);
 * if (deadlines.expired(4000, 10).length !== 0) throw new Error("kept alive");
 * if (deadlines.expired(5000, 10)[0] !== 5) throw new Error("expired");
 * ```
 */
export class LeaseDeadlines {
  readonly #revokeRetryMs: number;
  readonly #deadlines = new Map<number, Deadline>();
  #leading = false;

  /** @param options retry timing */
  constructor(options: LeaseDeadlineOptions = {}) {
    this.#revokeRetryMs = options.revokeRetryMs ?? REVOKE_RETRY_MS_DEFAULT;
  }

  /** True between {@link becomeLeader} and {@link stepDown}. */
  get leading(): boolean {
    return this.#leading;
  }

  /** How many leases are tracked. */
  get size(): number {
    return this.#deadlines.size;
  }

  /** This node became leader at `nowMs`: every lease of the applied state gets its full TTL. */
  becomeLeader(leases: readonly LeaseEntry[], nowMs: number): void {
    this.#leading = true;
    this.#deadlines.clear();
    for (const lease of leases) this.granted(lease.id, lease.ttlMs, nowMs);
  }

  /** This node is no longer leader: it forgets every deadline. */
  stepDown(): void {
    this.#leading = false;
    this.#deadlines.clear();
  }

  /** Lease `id` was granted (applied) at `nowMs`. */
  granted(id: number, ttlMs: number, nowMs: number): void {
    if (!this.#leading || this.#deadlines.has(id)) return;
    this.#deadlines.set(id, { ttlMs, deadlineMs: nowMs + ttlMs, revokingSinceMs: -1 });
  }

  /** Lease `id` was revoked (applied). */
  revoked(id: number): void {
    this.#deadlines.delete(id);
  }

  /**
   * Follows an applied entry's effect on leases (grants and revocations);
   * the clock is read only for a grant, not for the plain writes that make
   * up most entries.
   */
  observe(result: ApplyResult, nowMs: () => number): void {
    if (result.kind === "leaseGrant") this.granted(result.id, result.ttlMs, nowMs());
    else if (result.kind === "leaseRevoke") this.revoked(result.id);
    else if (result.kind === "put" && result.grantedLease) {
      this.granted(result.grantedLease.id, result.grantedLease.ttlMs, nowMs());
    }
  }

  /**
   * Restarts lease `id`'s TTL; answers the TTL now left, or null when the
   * lease is unknown or its revocation is already on its way.
   */
  keepAlive(id: number, nowMs: number): number | null {
    const deadline = this.#deadlines.get(id);
    if (deadline === undefined || deadline.revokingSinceMs >= 0) return null;
    deadline.deadlineMs = nowMs + deadline.ttlMs;
    return deadline.ttlMs;
  }

  /**
   * Whole milliseconds left on lease `id` (0 once expired; a fraction counts as a whole
   * millisecond), or null when it is unknown.
   */
  remaining(id: number, nowMs: number): number | null {
    const deadline = this.#deadlines.get(id);
    if (deadline === undefined) return null;
    if (deadline.revokingSinceMs >= 0) return 0;
    return Math.max(0, Math.ceil(deadline.deadlineMs - nowMs));
  }

  /**
   * Leases past their deadline whose revocation should be proposed now (at
   * most `countMax`): each is marked as being revoked, and offered again
   * only if its revocation has not applied after `revokeRetryMs`.
   */
  expired(nowMs: number, countMax: number): number[] {
    const ids: number[] = [];
    for (const [id, deadline] of this.#deadlines) {
      if (ids.length >= countMax) break;
      if (deadline.deadlineMs > nowMs) continue;
      const since = deadline.revokingSinceMs;
      if (since >= 0 && nowMs - since < this.#revokeRetryMs) continue;
      deadline.revokingSinceMs = nowMs;
      ids.push(id);
    }
    return ids;
  }
}
