/**
 * Requests that change from one call to the next, or whose answers the load generator must
 * read: compare-and-swap (each key's next request carries the `modIndex` its last answer
 * gave) and writes whose commit index and acknowledgement time are kept, so that watch
 * deliveries can be matched to them.
 *
 * @module
 */

import { indexOfBytes } from "./http_response.ts";
import { benchValue, casSpec, keyName, type RequestSet, type RequestSpec } from "./targets.ts";

/** A source of requests that reads their answers. */
export interface DynamicRequests {
  /** Readies its state before the clock starts (e.g. reads every key's `modIndex`). */
  prepare(): Promise<void>;
  /** The next request for key number `key`. */
  spec(key: number): RequestSpec;
  /** Reads the answer to the request for `key`; true when it is what was expected. */
  answered(key: number, status: number, body: Uint8Array, start: number, end: number): boolean;
}

/** Acknowledged writes: the Raft index each got, and when its answer arrived. */
export interface AckData {
  indexes: Float64Array;
  /** `performance.timeOrigin + performance.now()` at each answer, in milliseconds. */
  atMs: Float64Array;
  count: number;
}

/** Most acknowledgements one run keeps; later ones are not recorded. */
const ACKS_MAX = 4_000_000;
/** Keys read per page when the compare-and-swap state is read. */
const PREPARE_PAGE_KEYS = 10_000;
/** Time allowed for each page of that read, in milliseconds. */
const PREPARE_TIMEOUT_MS = 30_000;

const indexNeedle = new TextEncoder().encode('"index":');
const modIndexNeedle = new TextEncoder().encode('"modIndex":');

/**
 * The integer that follows `needle` in `body[start, end)`, or -1.
 *
 * @example
 * ```ts
 * import { integerAfter } from "./dynamic.ts";
 * const body = new TextEncoder().encode('{"key":"k1","index":42}');
 * if (integerAfter(body, new TextEncoder().encode('"index":'), 0, body.length) !== 42) {
 *   throw new Error();
 * }
 * ```
 */
export function integerAfter(
  body: Uint8Array,
  needle: Uint8Array,
  start: number,
  end: number,
): number {
  const at = indexOfBytes(body, needle, start, end);
  if (at < 0) return -1;
  let value = -1;
  for (let i = at + needle.length; i < end; i++) {
    const digit = body[i]! - 48;
    if (digit < 0 || digit > 9) break;
    value = (value < 0 ? 0 : value * 10) + digit;
  }
  return value;
}

/** Keeps each acknowledged write's index and arrival time, up to {@link ACKS_MAX}. */
export class AckLog {
  #indexes = new Float64Array(1024);
  #atMs = new Float64Array(1024);
  #count = 0;

  /** Records the write answered at `atMs` with `body`; false when it names no index. */
  record(body: Uint8Array, start: number, end: number, atMs: number): boolean {
    const index = integerAfter(body, indexNeedle, start, end);
    if (index < 0) return false;
    if (this.#count === ACKS_MAX) return true;
    if (this.#count === this.#indexes.length) this.#grow();
    this.#indexes[this.#count] = index;
    this.#atMs[this.#count++] = atMs;
    return true;
  }

  /** What was recorded, as plain data to cross a Worker boundary. */
  toData(): AckData {
    return {
      indexes: this.#indexes.slice(0, this.#count),
      atMs: this.#atMs.slice(0, this.#count),
      count: this.#count,
    };
  }

  #grow(): void {
    const size = Math.min(ACKS_MAX, this.#indexes.length * 2);
    const indexes = new Float64Array(size);
    const atMs = new Float64Array(size);
    indexes.set(this.#indexes);
    atMs.set(this.#atMs);
    this.#indexes = indexes;
    this.#atMs = atMs;
  }
}

/** Writes of a fixed request per key whose answers' indexes go into `acks`. */
export function ackedWrites(writes: RequestSet, acks: AckLog): DynamicRequests {
  return {
    prepare: () => Promise.resolve(),
    spec: (key) => writes.spec(key),
    answered(_key, status, body, start, end) {
      if (status < 200 || status >= 300) return true; // counted as non-2xx by the caller
      return acks.record(body, start, end, performance.timeOrigin + performance.now());
    },
  };
}

/**
 * Compare-and-swap on keys `k0`..: each request names the `modIndex` the key's last answer
 * gave (read from the server before the clock starts), so every one should succeed as long
 * as no other connection writes the same key.
 */
export function casRequests(
  url: URL,
  options: { keys: number; valueBytes: number },
): DynamicRequests {
  const modIndex = new Float64Array(options.keys);
  const value = benchValue(options.valueBytes);
  const prefix = url.pathname.replace(/\/+$/, "");
  return {
    prepare: () => readModIndexes(url, prefix, modIndex),
    spec: (key) => casSpec(keyName(key), value, modIndex[key]!, prefix),
    answered(key, status, body, start, end) {
      const needle = status === 200 ? indexNeedle : modIndexNeedle;
      const index = integerAfter(body, needle, start, end);
      // A 412 carries the record now there: the next try starts from it.
      if (index >= 0) modIndex[key] = index;
      return status !== 200 || index >= 0;
    },
  };
}

/** Reads every `k<N>` key's `modIndex` into `modIndex`, page by page. */
async function readModIndexes(url: URL, prefix: string, modIndex: Float64Array): Promise<void> {
  let after = "";
  for (let page = 0; page <= modIndex.length / PREPARE_PAGE_KEYS + 1; page++) {
    const query = new URLSearchParams({
      prefix: "k",
      after,
      limit: String(PREPARE_PAGE_KEYS),
      keysOnly: "true",
      level: "consistent",
    });
    const response = await fetch(`${url.origin}${prefix}/keys?${query}`, {
      signal: AbortSignal.timeout(PREPARE_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new Error(
        `Reading the keys' indexes answered ${response.status}: ${await response.text()}`,
      );
    }
    const body = await response.json() as {
      items: { key: string; modIndex: number }[];
      more: boolean;
      next: string;
    };
    for (const item of body.items) {
      const key = Number(item.key.slice(1));
      if (/^k[0-9]+$/.test(item.key) && key < modIndex.length) modIndex[key] = item.modIndex;
    }
    if (!body.more) return;
    after = body.next;
  }
}
