/**
 * The watch history: the changes of the most recent applied entries, bounded
 * in entries and in bytes, and the open watches fed from it. The driver
 * records every applied index (an entry that changed no key included, so
 * the history knows it has seen it) and resets the history when it restores
 * or installs a snapshot. A watch can start at any index the history still
 * covers; older ones are refused with `CompactedError`.
 *
 * @module
 */

import { CompactedError } from "../api.ts";
import { HeldChanges, type HistoryEntry } from "./held_changes.ts";
import type { Change } from "./results.ts";
import { type SubscriberHost, Subscription } from "./watch_subscription.ts";

export type { HistoryEntry } from "./held_changes.ts";

/** Bounds of the history. */
export interface HistoryLimits {
  /** Most entries (with changes) held. */
  entriesMax: number;
  /** Most bytes of changes held, estimated from keys and values. */
  bytesMax: number;
  /** Most entries queued for one live watch before it falls back to reading the history. */
  queueEntriesMax: number;
}

/** The defaults: 10,000 entries, 64 MiB, 256 queued entries per watch. */
export const DEFAULT_HISTORY_LIMITS: Readonly<HistoryLimits> = {
  entriesMax: 10_000,
  bytesMax: 64 * 1024 * 1024,
  queueEntriesMax: 256,
};

/** Bytes counted for a change besides its key and values (object, indexes, array slot). */
const CHANGE_OVERHEAD_BYTES = 96;

/**
 * An estimate of what `changes` hold in memory: a value counts its length
 * (bytes, or the code units of text, one byte each in the engine's compact
 * strings), read without scanning the text for its UTF-8 size.
 */
function entryBytes(changes: readonly Change[]): number {
  let bytes = 0;
  for (const change of changes) {
    bytes += CHANGE_OVERHEAD_BYTES + 2 * change.key.length;
    if (change.value !== null) bytes += change.value.length;
    if (change.prev !== null) bytes += CHANGE_OVERHEAD_BYTES + change.prev.value.length;
  }
  return bytes;
}

/** What to watch: exactly one of a key and a prefix (`""` is every key). */
export type WatchFilter = { key: string } | { prefix: string };

/**
 * The bounded history of changes and its watches.
 *
 * @example
 * ```ts
 * import { WatchHistory } from "./watch_history.ts";
 * const history = new WatchHistory(0);
 * const watch = history.subscribe({ prefix: "app/" });
 * const change = { type: "put" as const, key: "app/x", value: "1", createIndex: 1, modIndex: 1, lease: 0, prev: null };
 * history.record(1, [change]);
 * const event = watch.take();
 * if (event?.type !== "change" || event.index !== 1) throw new Error();
 * ```
 */
export class WatchHistory implements SubscriberHost {
  readonly #limits: HistoryLimits;
  /** Entries with changes, oldest first. */
  readonly #held = new HeldChanges();
  #compactedIndex: number;
  #lastIndex: number;
  readonly #byKey = new Map<string, Set<Subscription>>();
  readonly #byPrefix = new Set<Subscription>();
  /** Watches reading the held entries rather than a live queue: the ones eviction can strand. */
  readonly #catchingUp = new Set<Subscription>();

  /**
   * @param startIndex the applied index the history starts after (a restored snapshot's)
   * @param limits bounds; the defaults when absent
   */
  constructor(startIndex: number, limits: Partial<HistoryLimits> = {}) {
    this.#limits = { ...DEFAULT_HISTORY_LIMITS, ...limits };
    this.#compactedIndex = startIndex;
    this.#lastIndex = startIndex;
  }

  /** The highest index the history can no longer serve. */
  get compactedIndex(): number {
    return this.#compactedIndex;
  }

  /** The last applied index recorded. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Entries held, and their estimated bytes. */
  get held(): { entries: number; bytes: number } {
    return { entries: this.#held.count, bytes: this.#held.bytes };
  }

  /** How many watches are open. */
  get watchCount(): number {
    let count = this.#byPrefix.size;
    for (const subscribers of this.#byKey.values()) count += subscribers.size;
    return count;
  }

  /** The live-queue bound of each watch. */
  get queueEntriesMax(): number {
    return this.#limits.queueEntriesMax;
  }

  /** Records the entry at `index` (the next after {@link lastIndex}) and the changes it made. */
  record(index: number, changes: readonly Change[]): void {
    if (index !== this.#lastIndex + 1) {
      throw new Error(`Invariant broken: history got entry "${index}" after "${this.#lastIndex}"`);
    }
    this.#lastIndex = index;
    if (changes.length === 0) return;
    const bytes = entryBytes(changes);
    this.#held.push(index, changes, bytes);
    // The entry as an object only when a watch is open to be offered it.
    if (this.#byKey.size !== 0 || this.#byPrefix.size !== 0) {
      this.#notify({ index, changes, bytes });
    }
    this.#evict();
  }

  /** Forgets everything (a snapshot was installed at `index`): every watch ends with `reset`. */
  reset(index: number): void {
    const message = `This node installed a snapshot at index "${index}"; watch again`;
    for (const subscription of this.#all()) subscription.end("reset", message);
    this.#held.clear();
    this.#compactedIndex = index;
    this.#lastIndex = index;
  }

  /**
   * Opens a watch from `fromIndex` (inclusive; absent: after the last index).
   * Throws `CompactedError` when the history no longer covers `fromIndex`.
   */
  subscribe(filter: WatchFilter, fromIndex = this.#lastIndex + 1): Subscription {
    if (fromIndex <= this.#compactedIndex) {
      throw new CompactedError(fromIndex, {
        compactedIndex: this.#compactedIndex,
        currentIndex: this.#lastIndex,
      });
    }
    const subscription = new Subscription(this, filter, fromIndex);
    if ("key" in filter) {
      const subscribers = this.#byKey.get(filter.key) ?? new Set();
      subscribers.add(subscription);
      this.#byKey.set(filter.key, subscribers);
    } else this.#byPrefix.add(subscription);
    return subscription;
  }

  /** The first held entry at or after `index` from which a reader may scan, as a position. */
  positionOf(index: number): number {
    return this.#held.positionOf(index);
  }

  /** The first position at or after `position` with a change whose key `wants`, or -1. */
  nextMatch(position: number, wants: (key: string) => boolean): number {
    return this.#held.nextMatch(position, wants);
  }

  /** The held entry at `position` (from {@link positionOf}), or undefined past the end. */
  entryAt(position: number): HistoryEntry | undefined {
    return this.#held.entryAt(position);
  }

  /** Notes whether `subscription` reads the held entries (true) or a live queue (false). */
  catchingUp(subscription: Subscription, yes: boolean): void {
    if (yes) this.#catchingUp.add(subscription);
    else this.#catchingUp.delete(subscription);
  }

  /** Stops feeding `subscription` (it closed or ended). */
  unsubscribe(subscription: Subscription): void {
    this.#catchingUp.delete(subscription);
    const filter = subscription.filter;
    if ("prefix" in filter) {
      this.#byPrefix.delete(subscription);
      return;
    }
    const subscribers = this.#byKey.get(filter.key);
    subscribers?.delete(subscription);
    if (subscribers?.size === 0) this.#byKey.delete(filter.key);
  }

  #all(): Subscription[] {
    const all = [...this.#byPrefix];
    for (const subscribers of this.#byKey.values()) all.push(...subscribers);
    return all;
  }

  #notify(entry: HistoryEntry): void {
    for (const change of entry.changes) {
      const subscribers = this.#byKey.get(change.key);
      if (subscribers !== undefined) {
        for (const subscription of subscribers) subscription.offer(entry);
      }
    }
    for (const subscription of this.#byPrefix) subscription.offer(entry);
  }

  #evict(): void {
    const { entriesMax, bytesMax } = this.#limits;
    let evicted = false;
    while (this.#held.count > entriesMax || (this.#held.count > 0 && this.#held.bytes > bytesMax)) {
      this.#compactedIndex = this.#held.oldestIndex;
      this.#held.dropOldest();
      evicted = true;
    }
    if (!evicted || this.#catchingUp.size === 0) return;
    for (const subscription of this.#catchingUp) subscription.compacted(this.#compactedIndex);
  }
}
