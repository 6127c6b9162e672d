/**
 * The in-memory Raft log of one node: every entry after the compaction point,
 * with the marks that say what is persisted, committed and applied.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";
import type { Entry } from "./types.ts";

/**
 * Bytes an entry is counted as when capping a message (data plus header).
 *
 * @example
 * ```ts
 * import { entryBytes } from "./raft_log.ts";
 * const entry = { index: 1, term: 1, type: "normal" as const, data: new Uint8Array(100) };
 * if (entryBytes(entry) <= 100) throw new Error("a header is counted too");
 * ```
 */
export function entryBytes(entry: Entry): number {
  return entry.data.length + 24;
}

/**
 * The log from `offset + 1` to `lastIndex()`. Entries at or below `offset`
 * were compacted into a snapshot; `offsetTerm` is the term at `offset`.
 *
 * @example
 * ```ts
 * import { RaftLog } from "./raft_log.ts";
 * const entry = (index: number, term: number) => ({
 *   index,
 *   term,
 *   type: "normal" as const,
 *   data: new Uint8Array(0),
 * });
 * const log = new RaftLog(0, 0, [entry(1, 1), entry(2, 1)], 1);
 * if (log.maybeAppend(1, 1, [entry(2, 2), entry(3, 2)]) !== 3) throw new Error();
 * if (log.truncatedFrom !== 2 || log.term(2) !== 2 || log.stableIndex !== 1) throw new Error();
 * log.checkInvariants();
 * ```
 */
export class RaftLog {
  /** Index of the last compacted entry (0 for a log that never compacted). */
  offset: number;
  /** Term of the entry at `offset`. */
  offsetTerm: number;
  /** entries[i].index === offset + 1 + i */
  entries: Entry[];
  /** Highest index known durable on this node. */
  stableIndex: number;
  /** Highest index known committed (§3.5). */
  committed: number;
  /** Highest index handed to the state machine. */
  applied: number;

  /** Builds a log after a snapshot at `offset`/`offsetTerm`, holding `entries` (all durable). */
  constructor(offset: number, offsetTerm: number, entries: Entry[], committed: number) {
    this.offset = offset;
    this.offsetTerm = offsetTerm;
    this.entries = entries.filter((entry) => entry.index > offset);
    let expected = offset + 1;
    for (const entry of this.entries) {
      assert(entry.index === expected, `log entry ${entry.index} is consecutive at ${expected}`);
      expected++;
    }
    this.stableIndex = this.lastIndex();
    this.committed = Math.max(offset, Math.min(committed, this.lastIndex()));
    this.applied = offset;
  }

  /** Index of the last entry (the offset when empty). */
  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  /** Term of the last entry. */
  lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.offsetTerm : last.term;
  }

  /** First index held in memory. */
  firstIndex(): number {
    return this.offset + 1;
  }

  /** Term at `index`, or -1 when compacted away or beyond the end. */
  term(index: number): number {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return -1;
    const entry = this.entries[index - this.offset - 1];
    assert(entry !== undefined, "an index within the log has an entry");
    return entry.term;
  }

  /** The entry at `index`; it must be in memory. */
  entry(index: number): Entry {
    const entry = this.entries[index - this.offset - 1];
    if (entry === undefined) invariantBroken(`entry ${index} is in the log`);
    return entry;
  }

  /** True when the log holds `index` with `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** The election restriction (§3.6.1): is a log ending at (index, term) at least as up to date as ours? */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /** Appends entries that continue the log (leader side). */
  append(entries: Entry[]): void {
    for (const entry of entries) {
      const next = this.lastIndex() + 1;
      if (entry.index !== next) {
        invariantBroken(`appended entry ${entry.index} continues at ${next}`);
      }
      this.entries.push(entry);
    }
  }

  /**
   * Follower side of AppendEntries (§3.5): if the log matches at
   * (prevIndex, prevTerm), drops any conflicting suffix and appends what is
   * new. Returns the index of the last entry the message vouches for, or -1
   * on a mismatch. The index of the first replaced entry is in `truncatedFrom`
   * and of the first added one in `appendedFrom` (0 when none).
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): number {
    this.truncatedFrom = 0;
    this.appendedFrom = 0;
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      assert(entry !== undefined, "an appended message's entries have no holes");
      if (entry.index <= this.offset) continue;
      const have = this.term(entry.index);
      if (have === entry.term) continue;
      if (have !== -1) {
        assert(entry.index > this.committed, `conflict at ${entry.index} is above commit`);
        this.truncate(entry.index);
      }
      this.append(entries.slice(i));
      this.appendedFrom = entry.index;
      break;
    }
    return lastNew;
  }

  /** Set by `maybeAppend` when it replaced a conflicting suffix. */
  truncatedFrom = 0;
  /** Set by `maybeAppend` to the first index it added. */
  appendedFrom = 0;

  private truncate(from: number): void {
    assert(from > this.offset, `truncation at ${from} is above the offset`);
    this.entries.length = from - this.offset - 1;
    this.stableIndex = Math.min(this.stableIndex, from - 1);
    this.truncatedFrom = from;
  }

  /** Entries from `lo`, at most `countMax` and `bytesMax` bytes (but at least one if any). */
  slice(lo: number, countMax: number, bytesMax: number): Entry[] {
    if (lo <= this.offset) invariantBroken(`slice start ${lo} is not compacted`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index <= this.lastIndex() && out.length < countMax; index++) {
      const entry = this.entry(index);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Entries not yet durable. */
  unstable(): Entry[] {
    return this.entries.slice(this.stableIndex - this.offset);
  }

  /** Marks everything up to `index` durable if it still has `term` (it may have been replaced since). */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stableIndex) this.stableIndex = index;
  }

  /** Raises the commit index. */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    const last = this.lastIndex();
    if (index > last) invariantBroken(`commit ${index} within the log (last ${last})`);
    this.committed = index;
  }

  /** Committed entries not yet handed to the state machine. */
  nextCommitted(): Entry[] {
    return this.committedAfter(this.applied);
  }

  /** Committed entries after `index` (at or above the offset). */
  committedAfter(index: number): Entry[] {
    if (this.committed <= index) return [];
    if (index < this.offset) invariantBroken(`committed entries after ${index} are not compacted`);
    return this.entries.slice(index - this.offset, this.committed - this.offset);
  }

  /** Notes that the state machine received everything up to `index`. */
  appliedTo(index: number): void {
    if (index > this.committed) {
      invariantBroken(`applied ${index} is committed (${this.committed})`);
    }
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the whole log by a snapshot's point (§5.1: the log does not match the snapshot). */
  restore(index: number, term: number): void {
    this.offset = index;
    this.offsetTerm = term;
    this.entries = [];
    this.stableIndex = index;
    this.committed = index;
    this.applied = index;
  }

  /** Drops entries at or below `index` (they are in a snapshot). */
  compact(index: number): void {
    if (index <= this.offset) return;
    assert(index <= this.applied, `compaction ${index} is applied (${this.applied})`);
    const term = this.term(index);
    this.entries = this.entries.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = term;
  }

  /**
   * Where to compact behind a snapshot at `index` so that at most `countMax`
   * entries and `bytesMax` bytes of them (counted as {@link entryBytes}) stay
   * for followers that are a little behind; never below the offset.
   */
  compactionKeeping(index: number, countMax: number, bytesMax: number): number {
    let keep = Math.min(index, this.lastIndex());
    let bytes = 0;
    while (keep > this.offset && index - keep < countMax) {
      bytes += entryBytes(this.entry(keep));
      if (bytes > bytesMax) break;
      keep--;
    }
    return keep;
  }

  /**
   * The fast-backtracking hint for a rejected AppendEntries at `index`
   * (§5.3 note): the conflicting term and the first index this log holds of
   * it, or term 0 and the index after our last when the log is shorter.
   */
  conflictHint(index: number): { term: number; index: number } {
    if (index > this.lastIndex()) return { term: 0, index: this.lastIndex() + 1 };
    const term = this.term(index);
    let first = index;
    while (first - 1 > this.offset && this.term(first - 1) === term) first--;
    return { term: Math.max(term, 0), index: Math.max(first, this.offset + 1) };
  }

  /**
   * Checks what holds between steps: entries consecutive from the offset
   * with terms that never fall, `offset <= applied <= committed <= last`
   * and `offset <= stable <= last`; throws an `AssertionError` naming the
   * first that does not. Returns how many membership changes the log
   * holds, for the configuration history to compare.
   */
  checkInvariants(): number {
    let index = this.offset;
    let term = this.offsetTerm;
    let changes = 0;
    for (const entry of this.entries) {
      index++;
      if (entry.index !== index) invariantBroken(`entry ${entry.index} sits at index ${index}`);
      if (entry.term < term) {
        invariantBroken(`entry ${index}'s term ${entry.term} is below ${term}`);
      }
      if (entry.type === "conf") changes++;
      term = entry.term;
    }
    const { offset, applied, committed, stableIndex } = this;
    const last = this.lastIndex();
    if (offset > applied) invariantBroken(`applied ${applied} is not compacted (${offset})`);
    if (applied > committed) invariantBroken(`applied ${applied} is committed (${committed})`);
    if (committed > last) invariantBroken(`commit ${committed} is within the log (last ${last})`);
    if (stableIndex < offset) invariantBroken(`stable ${stableIndex} is not compacted (${offset})`);
    if (stableIndex > last) invariantBroken(`stable ${stableIndex} is within the log (${last})`);
    return changes;
  }

  /** The last index this log holds with `term`, or -1. */
  lastIndexOfTerm(term: number): number {
    for (let index = this.lastIndex(); index > this.offset; index--) {
      const have = this.term(index);
      if (have === term) return index;
      if (have < term) return -1;
    }
    return -1;
  }
}
