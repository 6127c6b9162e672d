/**
 * Many server-sent-event watches on one node, for the `watch-fanout` scenario: each stream is
 * read as it arrives and every `change` event's index is noted with its arrival time, so the
 * time from a write's acknowledgement to its delivery can be computed afterwards.
 *
 * @module
 */

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

/** A set of open watches on one node; `close()` it, always. */
export class Watchers {
  readonly #controller = new AbortController();
  readonly #log = new DeliveryLog();
  readonly #wholeSpace: Set<number>[] = [];
  readonly #reading: Promise<void>[] = [];
  readonly #readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
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
    const deadline = AbortSignal.timeout(OPEN_TIMEOUT_MS);
    for (let at = 0; at < queries.length; at += OPEN_CONCURRENCY) {
      await Promise.all(
        queries.slice(at, at + OPEN_CONCURRENCY).map((q) => watchers.#open(url, q, deadline)),
      );
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
    this.#controller.abort();
    await Promise.allSettled(this.#readers.map((reader) => reader.cancel()));
    await Promise.allSettled(this.#reading);
  }

  async #open(url: string, query: string | null, deadline: AbortSignal): Promise<void> {
    const path = query === null ? "prefix=" : query;
    const signal = AbortSignal.any([this.#controller.signal, deadline]);
    const response = await fetch(`${url}/watch?${path}`, { signal });
    if (response.status !== 200 || response.body === null) {
      throw new Error(`Watch "${path}" answered ${response.status}: ${await response.text()}`);
    }
    // Only the wait for the answer is bounded; the stream lives until close().
    const body = response.body;
    const seen = query === null ? new Set<number>() : null;
    if (seen !== null) this.#wholeSpace.push(seen);
    const first = Promise.withResolvers<void>();
    this.#reading.push(this.#read(body, seen, first.resolve));
    await first.promise;
  }

  /** Reads one stream to its end; `opened` once its first event (a progress) arrived. */
  async #read(
    body: ReadableStream<Uint8Array>,
    seen: Set<number> | null,
    opened: () => void,
  ): Promise<void> {
    // A reader cancelled by close() ends its pending read at once; an aborted fetch may not.
    const reader = body.getReader();
    this.#readers.push(reader);
    const decoder = new TextDecoder();
    let pending = "";
    let endedByNode = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const atMs = performance.timeOrigin + performance.now();
        pending += decoder.decode(value, { stream: true });
        // A chunk may carry hundreds of events: walk it, and keep only the unfinished tail.
        let start = 0;
        for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n", start)) {
          endedByNode = this.#message(pending, start, end, atMs, seen) || endedByNode;
          start = end + 2;
          opened();
        }
        pending = pending.slice(start);
      }
      // A stream the node ended with an error message was counted then.
      if (!this.#controller.signal.aborted && !endedByNode) this.#end("the node closed the stream");
    } catch (error) {
      if (!this.#controller.signal.aborted) this.#end(String(error));
    } finally {
      opened();
    }
  }

  /** The message of `text` from `start` to `end` (its blank line); true when it ends the watch. */
  #message(
    text: string,
    start: number,
    end: number,
    atMs: number,
    seen: Set<number> | null,
  ): boolean {
    if (!text.startsWith("id: ", start)) {
      // Only the error message that ends a watch has no id.
      if (!text.startsWith("event: error", start)) return false;
      this.#end(text.slice(text.indexOf("data: ", start) + 6, end));
      return true;
    }
    const line = text.indexOf("\n", start);
    if (!text.startsWith("event: change", line + 1)) return false;
    const index = Number(text.slice(start + 4, line));
    this.#log.add(index, atMs);
    seen?.add(index);
    return false;
  }

  #end(reason: string): void {
    this.#ended++;
    if (this.#firstEnd === "") this.#firstEnd = reason;
  }
}
