/**
 * What a simulated disk holds, in brief, and the promises a node's replies
 * make about it. Beside the in-memory storage, the simulator keeps the
 * durable hard state, the snapshot's index and term and the term of each
 * entry after it, updated as each write completes. A reply that promises
 * durability (§10.2.1) must already be true of the disk when the node sends
 * it: an append acknowledged up to an index holds that entry, a vote granted
 * or asked for is the one on the disk.
 *
 * @module
 */

import type { HardState, Message } from "../../src/raft/types.ts";
import type { SaveBatch } from "../../src/storage/types.ts";

/**
 * The durable state of one simulated disk.
 *
 * @example
 * ```ts
 * import { DurableLog } from "./durable_log.ts";
 * const durable = new DurableLog();
 * const entry = { index: 1, term: 2, type: "normal" as const, data: new Uint8Array() };
 * durable.saved({ hardState: { term: 2, vote: "n1", commit: 0 }, entries: [entry] });
 * if (!durable.holds(1, 2) || durable.holds(1, 3) || durable.holds(2, 2)) throw new Error();
 * ```
 */
export class DurableLog {
  hardState: HardState = { term: 0, vote: "", commit: 0 };
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** Terms of the entries after the snapshot, in index order. */
  #terms: number[] = [];

  /** A write completed; a torn one kept only `keepEntries` entries and no hard state. */
  saved(batch: SaveBatch, keepEntries = batch.entries.length, withHardState = true): void {
    const first = batch.entries[0];
    if (first !== undefined && keepEntries > 0) {
      this.#terms.length = first.index - this.snapshotIndex - 1;
      for (let i = 0; i < keepEntries; i++) this.#terms.push(batch.entries[i]!.term);
    }
    if (withHardState && batch.hardState !== null) this.hardState = { ...batch.hardState };
  }

  /** A snapshot was written: the entries after it stay only if the log holds its index and term. */
  snapshotSaved(index: number, term: number): void {
    const matches = this.#termAt(index) === term;
    this.#terms = matches ? this.#terms.slice(index - this.snapshotIndex) : [];
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Whether entry `index` of `term` is on the disk (or under its snapshot). */
  holds(index: number, term: number): boolean {
    return index <= this.snapshotIndex || this.#termAt(index) === term;
  }

  #termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.#terms[index - this.snapshotIndex - 1];
  }
}

/**
 * What `m`, sent by a node whose disk is `durable`, promises that the disk
 * does not hold yet, or null. `termAt` is the term of an entry in the
 * node's log in memory.
 *
 * @example
 * ```ts
 * import { brokenPromise, DurableLog } from "./durable_log.ts";
 * const vote = { type: "voteResp", from: "n2", to: "n1", term: 3, reject: false } as never;
 * if (brokenPromise(new DurableLog(), vote, () => 0) === null) throw new Error("an unsaved vote");
 * ```
 */
export function brokenPromise(
  durable: DurableLog,
  m: Message,
  termAt: (index: number) => number,
): string | null {
  const { term, vote } = durable.hardState;
  if (m.type === "appResp" && !m.reject && !durable.holds(m.index, termAt(m.index))) {
    return `acknowledged index ${m.index} to "${m.to}" before writing it`;
  }
  const votedFor = m.type === "voteResp" && !m.reject ? m.to : m.type === "vote" ? m.from : "";
  if (votedFor !== "" && (term < m.term || (term === m.term && vote !== votedFor))) {
    return `sent ${m.type} for term ${m.term} with "${vote}" of term ${term} on its disk`;
  }
  return null;
}
