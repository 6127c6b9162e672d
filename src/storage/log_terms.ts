/**
 * The terms of the stored log in run-length form: terms change rarely, so a
 * few runs describe millions of entries. The file storage keeps only this in
 * memory (the entries themselves stay on disk) to answer "which term does the
 * log hold at index i" for batch checks and the snapshot rule.
 *
 * @module
 */

import type { Entry } from "../raft/types.ts";

/**
 * Terms of the positions `snapshotIndex..lastIndex`; the first position is
 * the snapshot's own (index 0, term 0 without a snapshot).
 *
 * @example
 * ```ts
 * import { LogTerms } from "./log_terms.ts";
 * const terms = new LogTerms(0, 0);
 * terms.append([{ index: 1, term: 1, type: "normal", data: new Uint8Array() }]);
 * if (terms.termAt(1) !== 1 || terms.termAt(2) !== undefined) throw new Error("bad term");
 * ```
 */
export class LogTerms {
  /** First index of each run; `starts[0]` is the snapshot index. */
  #starts: number[];
  #terms: number[];
  #lastIndex: number;

  /** Starts an empty log after the snapshot at `snapshotIndex` with `snapshotTerm`. */
  constructor(snapshotIndex: number, snapshotTerm: number) {
    this.#starts = [snapshotIndex];
    this.#terms = [snapshotTerm];
    this.#lastIndex = snapshotIndex;
  }

  /** The snapshot index the log continues from. */
  get snapshotIndex(): number {
    return this.#starts[0]!;
  }

  /** The last index held (the snapshot index when the log is empty). */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** The term at `index`, or undefined outside `snapshotIndex..lastIndex`. */
  termAt(index: number): number | undefined {
    if (index < this.#starts[0]! || index > this.#lastIndex) return undefined;
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return this.#terms[low];
  }

  /** Appends consecutive `entries`, first dropping any held at or after the first one's index. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.#truncateFrom(first.index);
    let lastTerm = this.#terms[this.#terms.length - 1]!;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.term !== lastTerm) {
        this.#starts.push(entry.index);
        this.#terms.push(entry.term);
        lastTerm = entry.term;
      }
    }
    this.#lastIndex = entries[entries.length - 1]!.index;
  }

  /** Forgets positions before `index`, which becomes the new snapshot position with `term`. */
  compactTo(index: number, term: number): void {
    let drop = 0;
    while (drop + 1 < this.#starts.length && this.#starts[drop + 1]! <= index) drop++;
    this.#starts.splice(0, drop);
    this.#terms.splice(0, drop);
    this.#starts[0] = index;
    this.#terms[0] = term;
    this.#lastIndex = Math.max(this.#lastIndex, index);
  }

  #truncateFrom(index: number): void {
    while (this.#starts.length > 1 && this.#starts[this.#starts.length - 1]! >= index) {
      this.#starts.pop();
      this.#terms.pop();
    }
    this.#lastIndex = Math.min(this.#lastIndex, index - 1);
  }
}
