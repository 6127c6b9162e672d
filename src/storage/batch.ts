/**
 * Checks on what the driver asks to persist, and the merge that turns the
 * batches that queued up during one sync into the next single write.
 *
 * @module
 */

import type { HardState } from "../raft/types.ts";
import type { SaveBatch } from "./types.ts";
import { ENTRY_DATA_BYTES_MAX, VOTE_BYTES_MAX } from "./wal_record.ts";

/** What a batch is checked against: the durable log and hard state. */
export interface LogPosition {
  snapshotIndex: number;
  lastIndex: number;
  hardState: HardState;
  termAt(index: number): number | undefined;
}

const utf8 = new TextEncoder();

function checkNumber(value: number, what: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`Cannot save ${what} "${value}": not an integer of at least ${min}`);
  }
}

function checkHardState(next: HardState, durable: HardState): void {
  checkNumber(next.term, "term", 0);
  checkNumber(next.commit, "commit index", 0);
  // Up to 85 UTF-16 units always fit in 255 UTF-8 bytes; only longer votes need encoding.
  if (next.vote.length > 85 && utf8.encode(next.vote).length > VOTE_BYTES_MAX) {
    throw new Error(`Cannot save vote "${next.vote}": longer than ${VOTE_BYTES_MAX} bytes`);
  }
  if (next.term < durable.term) {
    throw new Error(`Cannot save term "${next.term}": the stored term "${durable.term}" is higher`);
  }
  // §3.4: one vote per term; only "no vote" may change within a term.
  if (next.term === durable.term && durable.vote !== "" && next.vote !== durable.vote) {
    throw new Error(
      `Cannot save vote "${next.vote}" in term ${next.term}: already voted for "${durable.vote}"`,
    );
  }
}

function checkEntries(batch: SaveBatch, position: LogPosition): void {
  const first = batch.entries[0];
  if (first === undefined) return;
  checkNumber(first.index, "entry index", 1);
  if (first.index <= position.snapshotIndex) {
    throw new Error(
      `Cannot save entry index "${first.index}": the snapshot covers up to ${position.snapshotIndex}`,
    );
  }
  if (first.index > position.lastIndex + 1) {
    throw new Error(
      `Cannot save entry index "${first.index}": the log ends at ${position.lastIndex}`,
    );
  }
  if (first.index <= position.lastIndex && first.index <= position.hardState.commit) {
    throw new Error(
      `Cannot replace entry index "${first.index}": committed up to ${position.hardState.commit}`,
    );
  }
  let previousTerm = position.termAt(first.index - 1) ?? 0;
  let expected = first.index;
  for (const entry of batch.entries) {
    checkNumber(entry.term, "entry term", 1);
    if (entry.index !== expected) {
      throw new Error(`Cannot save entry index "${entry.index}": expected ${expected}`);
    }
    if (entry.term < previousTerm) {
      throw new Error(
        `Cannot save entry ${entry.index} with term "${entry.term}" after term ${previousTerm}`,
      );
    }
    if (entry.data.length > ENTRY_DATA_BYTES_MAX) {
      throw new Error(
        `Cannot save entry ${entry.index} of ${entry.data.length} bytes: the limit is ${ENTRY_DATA_BYTES_MAX}`,
      );
    }
    if (entry.type !== "normal" && entry.type !== "conf") {
      throw new Error(`Cannot save entry ${entry.index} of type "${String(entry.type)}"`);
    }
    previousTerm = entry.term;
    expected++;
  }
}

/**
 * Throws when `batch` cannot follow the durable state: entries that skip or
 * replace committed or snapshotted indexes, terms that go back, a second vote
 * in one term. These are bugs in the caller; nothing is written.
 */
export function validateBatch(batch: SaveBatch, position: LogPosition): void {
  checkEntries(batch, position);
  if (batch.hardState !== null) checkHardState(batch.hardState, position.hardState);
}

/**
 * Merges batches, oldest first, into one that leaves storage in the same
 * state as saving them in order: a later batch whose entries start at or
 * before the merged ones replaces them from that index on; the last hard
 * state wins.
 *
 * @example
 * ```ts
 * import { mergeBatches } from "./batch.ts";
 * const entry = (index: number, term: number) => ({ index, term, type: "normal" as const, data: new Uint8Array() });
 * const merged = mergeBatches([
 *   { hardState: null, entries: [entry(5, 1), entry(6, 1), entry(7, 1)] },
 *   { hardState: { term: 2, vote: "", commit: 4 }, entries: [entry(6, 2)] },
 * ]);
 * if (merged.entries.map((e) => e.term).join() !== "1,2") throw new Error("bad merge");
 * ```
 */
export function mergeBatches(batches: readonly SaveBatch[]): SaveBatch {
  if (batches.length === 1) return batches[0]!;
  let hardState: HardState | null = null;
  const entries = [];
  for (const batch of batches) {
    if (batch.hardState !== null) hardState = batch.hardState;
    const first = batch.entries[0];
    if (first === undefined) continue;
    const start = entries[0]?.index ?? first.index;
    entries.length = Math.max(0, Math.min(entries.length, first.index - start));
    for (const entry of batch.entries) entries.push(entry);
  }
  return { hardState, entries };
}
