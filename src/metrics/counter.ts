/**
 * Counters and gauges: one number each, changed in place on the hot path and
 * read only when scraped.
 *
 * @module
 */

/**
 * A number that only goes up (requests served, bytes written).
 *
 * @example
 * ```ts
 * import { Counter } from "./counter.ts";
 * const written = new Counter();
 * written.inc();
 * written.inc(4096);
 * if (written.value !== 4097) throw new Error();
 * ```
 */
export class Counter {
  /** The running total. */
  value = 0;

  /** Adds `by` (1 unless given); a negative or non-numeric amount is refused. */
  inc(by = 1): void {
    if (!(by >= 0)) {
      throw new RangeError(`Counter increment must be a non-negative number, got "${by}"`);
    }
    this.value += by;
  }
}

/**
 * A number that goes up and down (pending proposals, open watches).
 *
 * @example
 * ```ts
 * import { Gauge } from "./counter.ts";
 * const pending = new Gauge();
 * pending.inc();
 * pending.inc();
 * pending.dec();
 * const afterDec = pending.value;
 * pending.set(7);
 * if (afterDec !== 1 || pending.value !== 7) throw new Error();
 * ```
 */
export class Gauge {
  /** The current value. */
  value = 0;

  /** Replaces the value. */
  set(value: number): void {
    this.value = value;
  }

  /** Adds `by` (1 unless given). */
  inc(by = 1): void {
    this.value += by;
  }

  /** Subtracts `by` (1 unless given). */
  dec(by = 1): void {
    this.value -= by;
  }
}
