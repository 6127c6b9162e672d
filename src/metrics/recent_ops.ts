/**
 * Reads and writes of the last minutes, one slot per second, each with a
 * small latency histogram: what the dashboard draws as operations per second
 * and p99 latency. A fixed ring of typed arrays; recording allocates nothing.
 *
 * @module
 */

import { exponentialBuckets } from "./histogram.ts";

/** Seconds of history kept. */
export const RECENT_SECONDS_MAX = 300;
/** Latency bucket bounds in milliseconds: 0.1 ms to about 26 s, a factor of √2 apart. */
const LATENCY_BOUNDS_MS = exponentialBuckets(0.1, Math.SQRT2, 37);
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
const MS_PER_SECOND = 1000;
/** The share of operations at or under the reported latency. */
const PERCENTILE = 0.99;

/** What an operation did to the store. */
export type OpKind = "read" | "write";

/** Per-second figures, oldest first; `startSecond` is the Unix second of the first. */
export interface OpsSeries {
  startSecond: number;
  reads: number[];
  writes: number[];
  /** p99 latency in ms (the upper bound of its bucket); 0 for a second without operations. */
  readP99Ms: number[];
  writeP99Ms: number[];
}

class Slots {
  readonly counts = new Uint32Array(RECENT_SECONDS_MAX);
  readonly buckets = new Uint32Array(RECENT_SECONDS_MAX * BUCKETS);

  clear(slot: number): void {
    this.counts[slot] = 0;
    this.buckets.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
  }

  record(slot: number, ms: number): void {
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
    this.counts[slot]!++;
    this.buckets[slot * BUCKETS + i]!++;
  }

  p99Ms(slot: number): number {
    const count = this.counts[slot]!;
    if (count === 0) return 0;
    const rank = Math.ceil(count * PERCENTILE);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[slot * BUCKETS + i]!;
      if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? Infinity;
    }
    return Infinity;
  }
}

/**
 * Operations per second and their p99 over the last {@link RECENT_SECONDS_MAX} seconds.
 *
 * @example
 * ```ts
 * import { RecentOps } from "./recent_ops.ts";
 * const ops = new RecentOps();
 * for (let i = 0; i < 100; i++) ops.record("write", 0.002, 10_500);
 * const series = ops.series(11_000, 2);
 * if (series.writes.join() !== "0,100" || series.writeP99Ms[1]! < 2) throw new Error();
 * ```
 */
export class RecentOps {
  readonly #reads = new Slots();
  readonly #writes = new Slots();
  /** The Unix second each slot holds. */
  readonly #secondOf = new Float64Array(RECENT_SECONDS_MAX).fill(-1);

  #slot(second: number): number {
    const slot = second % RECENT_SECONDS_MAX;
    if (this.#secondOf[slot] !== second) {
      this.#secondOf[slot] = second;
      this.#reads.clear(slot);
      this.#writes.clear(slot);
    }
    return slot;
  }

  /** Records one operation of `kind` that took `seconds`, finished at `nowMs` (Unix ms). */
  record(kind: OpKind, seconds: number, nowMs: number): void {
    const slot = this.#slot(Math.floor(nowMs / MS_PER_SECOND));
    (kind === "read" ? this.#reads : this.#writes).record(slot, seconds * MS_PER_SECOND);
  }

  /** The last `seconds` whole seconds before `nowMs` (at most {@link RECENT_SECONDS_MAX}). */
  series(nowMs: number, seconds: number): OpsSeries {
    const span = Math.max(0, Math.min(seconds, RECENT_SECONDS_MAX - 1));
    const end = Math.floor(nowMs / MS_PER_SECOND);
    const series: OpsSeries = {
      startSecond: end - span,
      reads: [],
      writes: [],
      readP99Ms: [],
      writeP99Ms: [],
    };
    for (let second = end - span; second < end; second++) {
      const slot = second % RECENT_SECONDS_MAX;
      const live = this.#secondOf[slot] === second;
      series.reads.push(live ? this.#reads.counts[slot]! : 0);
      series.writes.push(live ? this.#writes.counts[slot]! : 0);
      series.readP99Ms.push(live ? this.#reads.p99Ms(slot) : 0);
      series.writeP99Ms.push(live ? this.#writes.p99Ms(slot) : 0);
    }
    return series;
  }
}
