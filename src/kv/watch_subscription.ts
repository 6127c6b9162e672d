/**
 * One open watch. It starts by reading the entries the history holds from
 * its start index (catching up); once it has read them all it goes live and
 * the history hands it each new matching entry. A live watch whose queue
 * fills (its reader is slow) drops the queue and reads the history again
 * from where it was, so a slow reader costs a bounded queue; one that falls
 * behind what the history holds is ended. Every event is one whole entry,
 * in index order, with no gap and no repeat.
 *
 * @module
 */

import type { WatchEnd, WatchEvent, WatchStream } from "../api.ts";
import type { HistoryEntry } from "./held_changes.ts";

export type { HistoryEntry } from "./held_changes.ts";

/** What a subscription needs from the history that feeds it. */
export interface SubscriberHost {
  readonly lastIndex: number;
  readonly compactedIndex: number;
  readonly queueEntriesMax: number;
  positionOf(index: number): number;
  /** The first position at or after `position` with a change whose key `wants`, or -1. */
  nextMatch(position: number, wants: (key: string) => boolean): number;
  entryAt(position: number): HistoryEntry | undefined;
  catchingUp(subscription: Subscription, yes: boolean): void;
  unsubscribe(subscription: Subscription): void;
}

/**
 * A watch over one key or a prefix.
 *
 * @example
 * ```ts
 * import { WatchHistory } from "./watch_history.ts";
 * const history = new WatchHistory(0);
 * const watch = history.subscribe({ key: "k" });
 * if (watch.take() !== null) throw new Error("nothing yet");
 * watch.close();
 * if (watch.take()?.type !== "end") throw new Error("closed");
 * ```
 */
export class Subscription implements WatchStream {
  /** What it watches. */
  readonly filter: { key: string } | { prefix: string };
  readonly #host: SubscriberHost;
  /** The next index it may deliver: everything before has been delivered or did not match. */
  #cursor: number;
  #live = false;
  #queue: HistoryEntry[] = [];
  #ended: WatchEnd | null = null;
  #lastOffered = 0;
  #wake: (() => void) | null = null;
  #waiting: Promise<void> | null = null;

  /**
   * @param host the history
   * @param filter a key or a prefix
   * @param fromIndex the first index to deliver
   */
  constructor(
    host: SubscriberHost,
    filter: { key: string } | { prefix: string },
    fromIndex: number,
  ) {
    this.#host = host;
    this.filter = filter;
    this.#cursor = fromIndex;
    host.catchingUp(this, true);
  }

  /** The index through which every matching change has been taken. */
  get progressIndex(): number {
    const caughtUp = this.#live && this.#queue.length === 0;
    return caughtUp ? Math.max(this.#host.lastIndex, this.#cursor - 1) : this.#cursor - 1;
  }

  /** The next event or the end; null when nothing is ready (wait with {@link ready}). */
  take(): WatchEvent | WatchEnd | null {
    const queued = this.#queue.shift();
    if (queued !== undefined) return this.#deliver(queued);
    if (this.#ended !== null) return this.#ended;
    if (this.#live) return null;
    if (this.#cursor <= this.#host.compactedIndex) {
      this.#fellBehind(this.#host.compactedIndex);
      return this.#ended;
    }
    const position = this.#host.nextMatch(this.#host.positionOf(this.#cursor), this.#wantsKey);
    if (position >= 0) return this.#deliver(this.#host.entryAt(position)!);
    // A start index in the future stays where it is.
    this.#cursor = Math.max(this.#cursor, this.#host.lastIndex + 1);
    this.#live = true;
    this.#host.catchingUp(this, false);
    return null;
  }

  /** Resolves when {@link take} may return something. */
  ready(): Promise<void> {
    if (this.#queue.length > 0 || this.#ended !== null || !this.#live) return Promise.resolve();
    this.#waiting ??= new Promise((resolve) => {
      this.#wake = resolve;
    });
    return this.#waiting;
  }

  /** Ends the watch; queued events are still taken first. */
  close(): void {
    this.end("closed", "The watch was closed");
  }

  /** The history has a new entry that may match. */
  offer(entry: HistoryEntry): void {
    if (this.#ended !== null || !this.#live || entry.index === this.#lastOffered) return;
    if (entry.index < this.#cursor) return;
    if (!this.#matches(entry)) return;
    this.#lastOffered = entry.index;
    if (this.#queue.length >= this.#host.queueEntriesMax) {
      // The reader is slow: stop holding entries for it and read the history instead.
      this.#queue = [];
      this.#live = false;
      this.#host.catchingUp(this, true);
    } else this.#queue.push(entry);
    this.#signal();
  }

  /** The history dropped entries up to `compactedIndex`. */
  compacted(compactedIndex: number): void {
    if (!this.#live && this.#cursor <= compactedIndex) this.#fellBehind(compactedIndex);
  }

  /** Ends the watch with `reason`. */
  end(reason: WatchEnd["reason"], message: string): void {
    if (this.#ended !== null) return;
    this.#ended = { type: "end", reason, message };
    this.#host.unsubscribe(this);
    this.#signal();
  }

  #fellBehind(compactedIndex: number): void {
    this.end(
      "slow",
      `This watch fell behind: changes up to index "${compactedIndex}" are no longer held ` +
        `and it still needed index "${this.#cursor}"`,
    );
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    this.#waiting = null;
    wake?.();
  }

  #matches(entry: HistoryEntry): boolean {
    return entry.changes.some((change) => this.#wantsKey(change.key));
  }

  /** Whether a change of `key` is watched (a field: the history calls it for each held change). */
  readonly #wantsKey = (key: string): boolean => {
    const filter = this.filter;
    return "key" in filter ? key === filter.key : key.startsWith(filter.prefix);
  };

  #deliver(entry: HistoryEntry): WatchEvent {
    this.#cursor = entry.index + 1;
    const all = entry.changes.every((change) => this.#wantsKey(change.key));
    const changes = all
      ? entry.changes
      : entry.changes.filter((change) => this.#wantsKey(change.key));
    return { type: "change", index: entry.index, changes };
  }
}
