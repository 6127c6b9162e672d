/**
 * The configuration history of one node's log (§4.1): the membership at its
 * compaction point and every change appended since, so the membership in
 * effect at any index is known, a truncated suffix's changes are rolled
 * back, and compaction folds old changes into the base.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";
import { voterIds } from "./membership.ts";
import type { RaftLog } from "./raft_log.ts";
import type { Membership, NodeId } from "./types.ts";

/** A membership that took effect when the entry at `index` was appended. */
export interface ConfChangeRecord {
  index: number;
  membership: Membership;
}

/**
 * The memberships a log has held, oldest first. The latest is in effect as
 * soon as its entry is appended, committed or not (§4.1).
 *
 * @example
 * ```ts
 * import { ConfHistory } from "./conf_history.ts";
 * const one = [{ id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" }];
 * const two = [...one, { id: "n2", voter: false, raftAddr: "a:2", httpAddr: "" }];
 * const history = new ConfHistory(one);
 * history.append(5, two);
 * if (history.at(4) !== one || history.latest() !== two) throw new Error();
 * history.rollBack(5);
 * if (history.latest() !== one) throw new Error();
 * ```
 */
export class ConfHistory {
  private base: Membership;
  private changes: ConfChangeRecord[] = [];
  /** The last change's membership, or the base. */
  private current: Membership;
  /** The membership `cachedVoters` was computed for. */
  private votersOf: Membership | null = null;
  private cachedVoters: NodeId[] = [];

  /** @param base the membership at the log's compaction point (a snapshot's, or empty) */
  constructor(base: Membership) {
    this.base = base;
    this.current = base;
  }

  /** The membership of the newest change in the log, or the base. */
  latest(): Membership {
    return this.current;
  }

  /** The voters' ids of the latest membership, in its order (computed once per membership). */
  voters(): readonly NodeId[] {
    const latest = this.current;
    if (this.votersOf !== latest) {
      this.votersOf = latest;
      this.cachedVoters = voterIds(latest);
    }
    return this.cachedVoters;
  }

  /** The membership in effect at `index` (at or above the log's compaction point). */
  at(index: number): Membership {
    let found = this.base;
    for (const c of this.changes) if (c.index <= index) found = c.membership;
    return found;
  }

  /** Index of the newest change in the log, or 0 when the log holds none. */
  lastChangeIndex(): number {
    return this.changes[this.changes.length - 1]?.index ?? 0;
  }

  /** Records the membership a change entry at `index` brings; entries arrive in log order. */
  append(index: number, membership: Membership): void {
    const last = this.lastChangeIndex();
    assert(index > last, `change at ${index} follows the previous change at ${last}`);
    this.changes.push({ index, membership });
    this.current = membership;
  }

  /**
   * Forgets the changes at or above `from` (their entries were replaced).
   * Returns true when any was forgotten, so the latest membership changed.
   */
  rollBack(from: number): boolean {
    const kept = this.changes.filter((c) => c.index < from);
    if (kept.length === this.changes.length) return false;
    this.changes = kept;
    this.current = kept[kept.length - 1]?.membership ?? this.base;
    assert(this.lastChangeIndex() < from, `no change at or above ${from} is left`);
    return true;
  }

  /** Folds the changes at or below `upTo` into the base (their entries were compacted). */
  compact(upTo: number): void {
    const latest = this.current;
    this.base = this.at(upTo);
    this.changes = this.changes.filter((c) => c.index > upTo);
    assert(this.at(upTo) === this.base, `the membership at ${upTo} survives compaction`);
    assert(this.at(Infinity) === latest, "compaction keeps the latest membership");
  }

  /** Starts over from a snapshot's membership: the log before it is gone. */
  restore(membership: Membership): void {
    this.base = membership;
    this.changes = [];
    this.current = membership;
  }

  /**
   * Checks the history against the `log` it describes: changes in index
   * order, each above the compaction point and within the log, each where
   * the log holds a change entry; the latest membership the last change's,
   * and the cached voters that membership's. Throws an `AssertionError`
   * naming the first that is not.
   */
  checkInvariants(log: RaftLog): void {
    const lastIndex = log.lastIndex();
    let previous = log.offset;
    for (const { index } of this.changes) {
      if (index <= previous) invariantBroken(`change at ${index} is above ${previous}`);
      if (index > lastIndex) invariantBroken(`change at ${index} is within the log (${lastIndex})`);
      const type = log.entry(index).type;
      if (type !== "conf") invariantBroken(`the log holds a membership change at ${index}`);
      previous = index;
    }
    const last = this.changes[this.changes.length - 1];
    assert(this.current === (last?.membership ?? this.base), "the latest membership is the last");
    if (this.votersOf === this.current) this.checkCachedVoters();
  }

  private checkCachedVoters(): void {
    let i = 0;
    for (const member of this.current) {
      if (!member.voter) continue;
      const cached = this.cachedVoters[i++];
      if (cached !== member.id) invariantBroken(`cached voter ${i} is "${member.id}"`);
    }
    assert(i === this.cachedVoters.length, "every cached voter is a voter");
  }

  /** Number of changes recorded (to compare with the log's count of change entries). */
  size(): number {
    return this.changes.length;
  }
}
