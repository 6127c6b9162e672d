/**
 * The leaders this node has seen, newest last, in a bounded ring: what the
 * dashboard draws as "leader changes over the last minutes". Observing the
 * same (term, leader) again changes nothing, so the driver (at every change)
 * and status samplers (now and then) may both report.
 *
 * @module
 */

import type { Counter } from "./counter.ts";

/** Leader observations kept; older ones are dropped. */
export const LEADER_HISTORY_MAX = 64;

/** One observation: from `atMs` (Unix ms) on, `leaderId` led `term` (`""`: no leader). */
export interface LeaderSeen {
  atMs: number;
  term: number;
  leaderId: string;
}

/**
 * A ring of leader observations that counts leader changes.
 *
 * @example
 * ```ts
 * import { Counter } from "./counter.ts";
 * import { LeaderHistory } from "./leader_history.ts";
 * const changes = new Counter();
 * const history = new LeaderHistory(changes);
 * history.observe(2, "n1", 1_000);
 * history.observe(2, "n1", 2_000);
 * history.observe(3, "", 3_000);
 * history.observe(3, "n2", 3_100);
 * if (changes.value !== 2 || history.since(0).length !== 3) throw new Error();
 * ```
 */
export class LeaderHistory {
  readonly #changes: Counter;
  readonly #seen: LeaderSeen[] = [];
  #lastLeader = "";
  #lastTerm = -1;

  /** @param changes counts each move to a new leader (`rafter_server_leader_changes_seen_total`) */
  constructor(changes: Counter) {
    this.#changes = changes;
  }

  /** Records that `leaderId` leads `term` at `atMs`; true when that is news. */
  observe(term: number, leaderId: string, atMs: number): boolean {
    if (term === this.#lastTerm && leaderId === this.#lastLeader) return false;
    if (term < this.#lastTerm) return false;
    if (leaderId !== "" && leaderId !== this.#lastLeader) this.#changes.inc();
    this.#lastTerm = term;
    this.#lastLeader = leaderId;
    this.#seen.push({ atMs, term, leaderId });
    if (this.#seen.length > LEADER_HISTORY_MAX) this.#seen.shift();
    return true;
  }

  /** Observations at or after `sinceMs`, oldest first, with the one in force at `sinceMs`. */
  since(sinceMs: number): LeaderSeen[] {
    let first = this.#seen.findIndex((seen) => seen.atMs >= sinceMs);
    if (first < 0) first = this.#seen.length;
    return this.#seen.slice(Math.max(0, first - 1));
  }
}
