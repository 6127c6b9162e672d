/**
 * The leases in the replicated state: each lease's TTL and the keys attached
 * to it. Deadlines are not here: only the leader tracks time, in memory
 * (`lease_deadlines.ts`), and expiry arrives as a revoke entry like any
 * other, so every node keeps the same leases.
 *
 * @module
 */

/** A lease as snapshots and the leader's deadline tracker see it. */
export interface LeaseEntry {
  /** The index of the entry that granted it. */
  id: number;
  ttlMs: number;
}

interface Lease {
  ttlMs: number;
  keys: Set<string>;
}

/**
 * Leases and their attached keys.
 *
 * @example
 * ```ts
 * import { LeaseTable } from "./leases.ts";
 * const leases = new LeaseTable();
 * leases.grant(7, 5000);
 * leases.attach("service/a", 7);
 * if (leases.keysOf(7)?.size !== 1 || leases.list()[0]?.ttlMs !== 5000) throw new Error();
 * ```
 */
export class LeaseTable {
  readonly #leases = new Map<number, Lease>();

  /** How many leases exist. */
  get size(): number {
    return this.#leases.size;
  }

  /** True when lease `id` exists. */
  has(id: number): boolean {
    return this.#leases.has(id);
  }

  /** The TTL of lease `id`, or null when it does not exist. */
  ttlOf(id: number): number | null {
    return this.#leases.get(id)?.ttlMs ?? null;
  }

  /** The keys attached to lease `id` (do not mutate), or null when it does not exist. */
  keysOf(id: number): ReadonlySet<string> | null {
    return this.#leases.get(id)?.keys ?? null;
  }

  /** Creates lease `id`. */
  grant(id: number, ttlMs: number): void {
    if (this.#leases.has(id)) throw new Error(`Invariant broken: lease "${id}" granted twice`);
    this.#leases.set(id, { ttlMs, keys: new Set() });
  }

  /** Removes lease `id`; its keys are the caller's to delete. */
  remove(id: number): void {
    this.#leases.delete(id);
  }

  /** Attaches `key` to existing lease `id`. */
  attach(key: string, id: number): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) {
      throw new Error(`Invariant broken: key "${key}" on missing lease "${id}"`);
    }
    lease.keys.add(key);
  }

  /** Detaches `key` from lease `id`. */
  detach(key: string, id: number): void {
    this.#leases.get(id)?.keys.delete(key);
  }

  /** Every lease in id order (a copy: O(leases), taken when a snapshot freezes). */
  list(): LeaseEntry[] {
    const entries: LeaseEntry[] = [];
    for (const [id, lease] of this.#leases) entries.push({ id, ttlMs: lease.ttlMs });
    return entries.sort((a, b) => a.id - b.id);
  }
}
