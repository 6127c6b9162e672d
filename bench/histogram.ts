/**
 * A fixed-size latency histogram with log-linear buckets, in the manner of HDR histograms:
 * values are kept in whole microseconds, exactly below 256 µs and with 128 buckets per power
 * of two above, so any reported percentile is within 0.4% of the true value. The count array
 * is allocated once and never grows, so recording costs no allocation.
 *
 * @module
 */

/** Values below this many microseconds get one bucket each. */
const exactMicrosMax = 256;
/** Buckets per power of two above `exactMicrosMax`. */
const subBuckets = 128;
/** Largest value kept, in microseconds (about 71 minutes); larger values are clamped. */
const valueMicrosMax = 0xffff_ffff;
/** Number of buckets: the exact range, then 24 powers of two of 128 buckets each. */
const bucketCount = exactMicrosMax + 24 * subBuckets;

/** Maps a value in microseconds to its bucket. */
function bucketOf(micros: number): number {
  if (micros < exactMicrosMax) return micros;
  const shift = 31 - Math.clz32(micros) - 7;
  return exactMicrosMax + (shift - 1) * subBuckets + ((micros >>> shift) - subBuckets);
}

/** The middle of a bucket, in microseconds. */
function bucketMiddleMicros(bucket: number): number {
  if (bucket < exactMicrosMax) return bucket;
  const shift = Math.floor((bucket - exactMicrosMax) / subBuckets) + 1;
  const width = 2 ** shift;
  const lowest = ((bucket - exactMicrosMax) % subBuckets + subBuckets) * width;
  return lowest + (width - 1) / 2;
}

/** Summary figures of a histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** A histogram as plain data, to cross a Worker boundary or go into a file. */
export interface HistogramData {
  counts: Uint32Array;
  maxMicros: number;
  sumMicros: number;
}

/**
 * Records latencies and answers percentiles.
 *
 * @example
 * ```ts
 * import { LatencyHistogram } from "./histogram.ts";
 * const histogram = new LatencyHistogram();
 * for (let i = 1; i <= 100; i++) histogram.record(i);
 * if (Math.abs(histogram.percentile(50) - 50) > 0.5) throw new Error("p50 is off");
 * if (histogram.maxMs !== 100) throw new Error("max is off");
 * ```
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(bucketCount);
  #count = 0;
  #maxMicros = 0;
  #sumMicros = 0;

  /** Rebuilds a histogram from `toData()` output. */
  static fromData(data: HistogramData): LatencyHistogram {
    if (data.counts.length !== bucketCount) {
      throw new RangeError(`Histogram needs ${bucketCount} buckets, got "${data.counts.length}"`);
    }
    const histogram = new LatencyHistogram();
    histogram.#add(data.counts, data.maxMicros, data.sumMicros);
    return histogram;
  }

  /** Number of recorded samples. */
  get count(): number {
    return this.#count;
  }

  /** Largest recorded value in milliseconds, exact to the microsecond. */
  get maxMs(): number {
    return this.#maxMicros / 1000;
  }

  /** Mean of the recorded values in milliseconds. */
  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sumMicros / this.#count / 1000;
  }

  /** Records one latency in milliseconds; negative values count as zero. */
  record(ms: number): void {
    let micros = Math.round(ms * 1000);
    if (!(micros > 0)) micros = 0;
    if (micros > valueMicrosMax) micros = valueMicrosMax;
    this.#counts[bucketOf(micros)]!++;
    this.#count++;
    this.#sumMicros += micros;
    if (micros > this.#maxMicros) this.#maxMicros = micros;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    this.#add(other.#counts, other.#maxMicros, other.#sumMicros);
  }

  /** A copy of the histogram as plain data. */
  toData(): HistogramData {
    return {
      counts: this.#counts.slice(),
      maxMicros: this.#maxMicros,
      sumMicros: this.#sumMicros,
    };
  }

  /**
   * The smallest recorded value that at least `percent` % of the samples do not exceed, in
   * milliseconds, to within 0.4%; 0 when empty. The maximum is reported exactly.
   */
  percentile(percent: number): number {
    if (!(percent >= 0 && percent <= 100)) {
      throw new RangeError(`Percentile must be within 0 and 100, got "${percent}"`);
    }
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) return Math.min(bucketMiddleMicros(bucket), this.#maxMicros) / 1000;
    }
    return this.maxMs;
  }

  /** The figures a report shows. */
  summary(): LatencySummary {
    return {
      count: this.#count,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      maxMs: this.maxMs,
      meanMs: this.meanMs,
    };
  }

  #add(counts: Uint32Array, maxMicros: number, sumMicros: number): void {
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      const n = counts[bucket]!;
      this.#counts[bucket]! += n;
      this.#count += n;
    }
    this.#sumMicros += sumMicros;
    if (maxMicros > this.#maxMicros) this.#maxMicros = maxMicros;
  }
}
