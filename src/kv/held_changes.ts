/**
 * The watch history's entries, held as columns: one array per field of a
 * change (key, value, indexes, lease, and the same of the record before)
 * and three per entry (its index, its first change, its estimated bytes).
 * The history keeps thousands of entries for a while and then drops them,
 * which is the costliest way to hold objects in a generational collector:
 * each would survive the young generation, be copied twice, and die in the
 * old one. Columns keep nothing per write but array slots; the strings they
 * point at are the values the records already hold. A change is made into
 * an object again only when a watch reads it back from here.
 *
 * @module
 */

import type { Change, StoredRecord } from "./results.ts";
import type { Value } from "./value.ts";

/** One applied entry that changed keys. */
export interface HistoryEntry {
  index: number;
  changes: readonly Change[];
  /** Estimated memory the entry holds. */
  bytes: number;
}

/** Slots a ring starts with, and the fewest it shrinks to. */
const RING_SLOTS_MIN = 1024;

/**
 * Where the rows of a set of columns live: a ring of `capacity` slots (a
 * power of two) from `head` on, so a row held costs no allocation once the
 * ring is large enough. Rows are named by position, counted from the first
 * ever held: a position stays valid while its row is held.
 */
class Ring {
  capacity = RING_SLOTS_MIN;
  head = 0;
  length = 0;
  /** The position of the oldest row held: how many were dropped before it. */
  dropped = 0;

  /** The slot of the row at `position` (held). */
  slot(position: number): number {
    return (this.head + (position - this.dropped)) & (this.capacity - 1);
  }

  /** The position the next row gets. */
  get end(): number {
    return this.dropped + this.length;
  }

  /** The capacity `rows` more rows need (doubled as needed), or this one when they fit. */
  grownFor(rows: number): number {
    let capacity = this.capacity;
    while (this.length + rows > capacity) capacity *= 2;
    return capacity;
  }

  /** A smaller capacity when at most an eighth is used, else this one. */
  shrunk(): number {
    let capacity = this.capacity;
    while (capacity > RING_SLOTS_MIN && this.length * 8 <= capacity) capacity /= 2;
    return capacity;
  }

  /** `old`'s rows in a column of `capacity` slots, oldest at slot 0, the rest `fill`. */
  moved<T>(old: T[], capacity: number, fill: T): T[] {
    const next = new Array<T>(capacity).fill(fill);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & (this.capacity - 1)]!;
    return next;
  }
}

/**
 * Entries with their changes, oldest first, named by position (see
 * {@link HeldChanges.positionOf}); a position stays valid while its entry
 * is held.
 *
 * @example
 * ```ts
 * import { HeldChanges } from "./held_changes.ts";
 * const held = new HeldChanges();
 * const change = { type: "put" as const, key: "k", value: "v", createIndex: 3, modIndex: 3, lease: 0, prev: null };
 * held.push(3, [change], 100);
 * const at = held.positionOf(3);
 * if (held.entryAt(at)?.changes[0]?.value !== "v" || held.nextMatch(at, (key) => key === "x") !== -1) {
 *   throw new Error();
 * }
 * ```
 */
export class HeldChanges {
  readonly #entries = new Ring();
  /** The sum of `#bytes` over the entries held. */
  #heldBytes = 0;
  // Per entry: its index, the position of its first change, its estimated bytes.
  #indexes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #firsts: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #bytes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  readonly #changes = new Ring();
  // Per change; a delete's value is null, and so is `prevValues` where the key did not exist.
  #keys: string[] = new Array<string>(RING_SLOTS_MIN).fill("");
  #values: (Value | null)[] = new Array<Value | null>(RING_SLOTS_MIN).fill(null);
  #createIndexes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #modIndexes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #leases: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #prevValues: (Value | null)[] = new Array<Value | null>(RING_SLOTS_MIN).fill(null);
  #prevCreateIndexes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #prevModIndexes: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);
  #prevLeases: number[] = new Array<number>(RING_SLOTS_MIN).fill(0);

  /** Entries held. */
  get count(): number {
    return this.#entries.length;
  }

  /** The oldest held entry's index (-1 when none is held). */
  get oldestIndex(): number {
    return this.count === 0 ? -1 : this.#indexes[this.#entries.head]!;
  }

  /** The estimated bytes of every entry held. */
  get bytes(): number {
    return this.#heldBytes;
  }

  /** Holds the entry at `index` with its (at least one) `changes`, estimated at `bytes`. */
  push(index: number, changes: readonly Change[], bytes: number): void {
    this.#resizeEntries(this.#entries.grownFor(1));
    this.#resizeChanges(this.#changes.grownFor(changes.length));
    const entries = this.#entries;
    const slot = entries.slot(entries.end);
    this.#indexes[slot] = index;
    this.#firsts[slot] = this.#changes.end;
    this.#bytes[slot] = bytes;
    this.#heldBytes += bytes;
    entries.length++;
    const ring = this.#changes;
    for (const change of changes) {
      const at = ring.slot(ring.end);
      const prev = change.prev;
      this.#keys[at] = change.key;
      this.#values[at] = change.value;
      this.#createIndexes[at] = change.createIndex;
      this.#modIndexes[at] = change.modIndex;
      this.#leases[at] = change.lease;
      this.#prevValues[at] = prev === null ? null : prev.value;
      this.#prevCreateIndexes[at] = prev === null ? 0 : prev.createIndex;
      this.#prevModIndexes[at] = prev === null ? 0 : prev.modIndex;
      this.#prevLeases[at] = prev === null ? 0 : prev.lease;
      ring.length++;
    }
  }

  /** Drops the oldest entry, letting go of its keys and values at once. */
  dropOldest(): void {
    const entries = this.#entries;
    if (entries.length === 0) return;
    const ring = this.#changes;
    const end = this.#end(entries.dropped);
    for (let position = ring.dropped; position < end; position++) {
      const at = ring.slot(position);
      this.#keys[at] = "";
      this.#values[at] = null;
      this.#prevValues[at] = null;
    }
    ring.head = ring.slot(end);
    ring.length -= end - ring.dropped;
    ring.dropped = end;
    this.#heldBytes -= this.#bytes[entries.head]!;
    entries.head = entries.slot(entries.dropped + 1);
    entries.length--;
    entries.dropped++;
    this.#resizeEntries(entries.shrunk());
    this.#resizeChanges(ring.shrunk());
  }

  /** Forgets every entry. */
  clear(): void {
    while (this.count > 0) this.dropOldest();
  }

  /** The position of the first held entry at or after `index` (past the end when none is). */
  positionOf(index: number): number {
    let low = this.#entries.dropped;
    let high = this.#entries.end;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (this.#indexes[this.#entries.slot(middle)]! < index) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * The position of the first entry at or after `position` with a change
   * whose key `wants`, or -1 when none is held; nothing is built to look.
   */
  nextMatch(position: number, wants: (key: string) => boolean): number {
    const entries = this.#entries;
    for (let at = Math.max(position, entries.dropped); at < entries.end; at++) {
      const end = this.#end(at);
      for (let change = this.#firsts[entries.slot(at)]!; change < end; change++) {
        if (wants(this.#keys[this.#changes.slot(change)]!)) return at;
      }
    }
    return -1;
  }

  /** The entry at `position`, built from its columns, or undefined when it is not held. */
  entryAt(position: number): HistoryEntry | undefined {
    const entries = this.#entries;
    if (position < entries.dropped || position >= entries.end) return undefined;
    const slot = entries.slot(position);
    const changes: Change[] = [];
    const end = this.#end(position);
    for (let change = this.#firsts[slot]!; change < end; change++) {
      changes.push(this.#change(this.#changes.slot(change)));
    }
    return { index: this.#indexes[slot]!, changes, bytes: this.#bytes[slot]! };
  }

  #change(at: number): Change {
    const key = this.#keys[at]!;
    const value = this.#values[at]!;
    const prevValue = this.#prevValues[at]!;
    const prev: StoredRecord | null = prevValue === null ? null : {
      key,
      value: prevValue,
      createIndex: this.#prevCreateIndexes[at]!,
      modIndex: this.#prevModIndexes[at]!,
      lease: this.#prevLeases[at]!,
    };
    return {
      type: value === null ? "delete" : "put",
      key,
      value,
      createIndex: this.#createIndexes[at]!,
      modIndex: this.#modIndexes[at]!,
      lease: this.#leases[at]!,
      prev,
    };
  }

  /** The change position after the last of the entry at `position` (held). */
  #end(position: number): number {
    const entries = this.#entries;
    return position + 1 < entries.end
      ? this.#firsts[entries.slot(position + 1)]!
      : this.#changes.end;
  }

  #resizeEntries(capacity: number): void {
    const ring = this.#entries;
    if (capacity === ring.capacity) return;
    this.#indexes = ring.moved(this.#indexes, capacity, 0);
    this.#firsts = ring.moved(this.#firsts, capacity, 0);
    this.#bytes = ring.moved(this.#bytes, capacity, 0);
    ring.capacity = capacity;
    ring.head = 0;
  }

  #resizeChanges(capacity: number): void {
    const ring = this.#changes;
    if (capacity === ring.capacity) return;
    this.#keys = ring.moved(this.#keys, capacity, "");
    this.#values = ring.moved(this.#values, capacity, null);
    this.#createIndexes = ring.moved(this.#createIndexes, capacity, 0);
    this.#modIndexes = ring.moved(this.#modIndexes, capacity, 0);
    this.#leases = ring.moved(this.#leases, capacity, 0);
    this.#prevValues = ring.moved(this.#prevValues, capacity, null);
    this.#prevCreateIndexes = ring.moved(this.#prevCreateIndexes, capacity, 0);
    this.#prevModIndexes = ring.moved(this.#prevModIndexes, capacity, 0);
    this.#prevLeases = ring.moved(this.#prevLeases, capacity, 0);
    ring.capacity = capacity;
    ring.head = 0;
  }
}
