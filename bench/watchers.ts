/**
 * Many server-sent-event watches on one node, for the `watch-fanout` scenario: each stream is
 * read as it arrives (over a raw connection, `sse_connection.ts`) and every `change` event's
 * index is noted with its arrival time, so the time from a write's acknowledgement to its
 * delivery can be computed afterwards.
 *
 * @module
 */

import { SseConnection } from "./sse_connection.ts";

/** Deliveries of `change` events: the index of each and when it arrived. */
export interface Deliveries {
  indexes: Float64Array;
  /** `performance.timeOrigin + performance.now()` at each arrival, in milliseconds. */
  atMs: Float64Array;
  count: number;
}

/** What the watches saw. */
export interface WatchTally {
  deliveries: Deliveries;
  /** Watches the node ended (`event: error`) or that broke, with the first reason. */
  ended: number;
  firstEnd: string;
  /** For each watch of the whole key space, the set of indexes it got. */
  wholeSpace: Set<number>[];
}

/** Most deliveries kept; later ones are counted but not timed. */
const DELIVERIES_MAX = 8_000_000;
/** Time allowed for every watch to open, in milliseconds. */
const OPEN_TIMEOUT_MS = 60_000;
/** Watches opened at once while starting. */
const OPEN_CONCURRENCY = 64;

class DeliveryLog {
  indexes = new Float64Array(4096);
  atMs = new Float64Array(4096);
  count = 0;

  add(index: number, atMs: number): void {
    if (this.count === DELIVERIES_MAX) return;
    if (this.count === this.indexes.length) {
      const size = Math.min(DELIVERIES_MAX, this.count * 2);
      const indexes = new Float64Array(size);
      const times = new Float64Array(size);
      indexes.set(this.indexes);
      times.set(this.atMs);
      this.indexes = indexes;
      this.atMs = times;
    }
    this.indexes[this.count] = index;
    this.atMs[this.count++] = atMs;
  }
}

/** `bytes` from `at` starts with `text` (ASCII). */
function startsWith(bytes: Uint8Array, at: number, text: Uint8Array): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text[i]) return false;
  return true;
}

const ID = new TextEncoder().encode("id: ");
const EVENT_CHANGE = new TextEncoder().encode("event: change");
const EVENT_ERROR = new TextEncoder().encode("event: error");
const DATA = new TextEncoder().encode("data: ");
const LF = 10;

/** A set of open watches on one node; `close()` it, always. */
export class Watchers {
  readonly #closing = new AbortController();
  readonly #log = new DeliveryLog();
  readonly #wholeSpace: Set<number>[] = [];
  readonly #reading: Promise<void>[] = [];
  readonly #connections: SseConnection[] = [];
  #ended = 0;
  #firstEnd = "";

  /**
   * Opens `perKey` watches, each on one random key of `k0`..`k<keys-1>`, and `wholeSpace`
   * watches of every key, on the node at `url`; resolves once every stream has answered.
   */
  static async open(
    url: string,
    options: { perKey: number; wholeSpace: number; keys: number },
  ): Promise<Watchers> {
    const watchers = new Watchers();
    const queries: (string | null)[] = [];
    for (let i = 0; i < options.wholeSpace; i++) queries.push(null);
    for (let i = 0; i < options.perKey; i++) {
      queries.push(`key=k${Math.floor(Math.random() * options.keys)}`);
    }
    try {
      for (let at = 0; at < queries.length; at += OPEN_CONCURRENCY) {
        await Promise.all(
          queries.slice(at, at + OPEN_CONCURRENCY).map((q) => watchers.#open(url, q)),
        );
      }
    } catch (error) {
      await watchers.close();
      throw error;
    }
    return watchers;
  }

  /** What the watches saw so far. */
  tally(): WatchTally {
    return {
      deliveries: { indexes: this.#log.indexes, atMs: this.#log.atMs, count: this.#log.count },
      ended: this.#ended,
      firstEnd: this.#firstEnd,
      wholeSpace: this.#wholeSpace,
    };
  }

  /** Closes every stream and waits for the readers to stop. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const connection of this.#connections) connection.close();
    await Promise.allSettled(this.#reading);
  }

  async #open(url: string, query: string | null): Promise<void> {
    const path = query === null ? "prefix=" : query;
    const connection = await SseConnection.open(`${url}/watch?${path}`, OPEN_TIMEOUT_MS);
    this.#connections.push(connection);
    const seen = query === null ? new Set<number>() : null;
    if (seen !== null) this.#wholeSpace.push(seen);
    const first = Promise.withResolvers<void>();
    this.#reading.push(this.#read(connection, seen, first.resolve));
    // Only the wait for the first event is bounded; the stream lives until close().
    const timer = setTimeout(() => {
      connection.close();
      first.reject(new Error(`Watch "${path}" sent no event within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    try {
      await first.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one stream to its end; `opened` once its first event (a progress) arrived. */
  async #read(connection: SseConnection, seen: Set<number> | null, opened: () => void) {
    let endedByNode = false;
    try {
      await connection.read((bytes, start, end) => {
        endedByNode = this.#message(bytes, start, end, seen) || endedByNode;
        opened();
      });
      // A stream the node ended with an error message was counted then.
      if (!this.#closing.signal.aborted && !endedByNode) this.#end("the node closed the stream");
    } catch (error) {
      if (!this.#closing.signal.aborted) this.#end(String(error));
    } finally {
      opened();
    }
  }

  /** The message of `bytes` from `start` to `end` (its blank line); true when it ends the watch. */
  #message(bytes: Uint8Array, start: number, end: number, seen: Set<number> | null): boolean {
    if (!startsWith(bytes, start, ID)) {
      // Only the error message that ends a watch has no id.
      if (!startsWith(bytes, start, EVENT_ERROR)) return false;
      const line = bytes.indexOf(LF, start);
      const data = line + 1;
      this.#end(
        line >= 0 && line < end && startsWith(bytes, data, DATA)
          ? new TextDecoder().decode(bytes.subarray(data + DATA.length, end))
          : "an error event without data",
      );
      return true;
    }
    let index = 0;
    let at = start + ID.length;
    for (; at < end && bytes[at] !== LF; at++) index = index * 10 + bytes[at]! - 48;
    if (!startsWith(bytes, at + 1, EVENT_CHANGE)) return false;
    this.#log.add(index, performance.timeOrigin + performance.now());
    seen?.add(index);
    return false;
  }

  #end(reason: string): void {
    this.#ended++;
    if (this.#firstEnd === "") this.#firstEnd = reason;
  }
}
