/**
 * The order of keys: UTF-8 byte order, the order every scan, page and
 * snapshot uses. JavaScript's `<` compares UTF-16 code units, which agrees
 * with UTF-8 byte order except where a character beyond U+FFFF (a surrogate
 * pair) meets one from U+E000 to U+FFFF.
 *
 * @module
 */

/** A three-way comparison of two keys: negative, zero or positive. */
export type KeyCompare = (a: string, b: string) => number;

/** Code units from U+D800 up: the only ones where UTF-16 and UTF-8 order can disagree. */
const HIGH_UNITS = /[\uD800-\uFFFF]/;

/** Surrogates sort above U+E000–U+FFFF in UTF-8; shift both ranges so that units compare that way. */
function rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Compares two well-formed strings in the byte order of their UTF-8 forms.
 *
 * @example
 * ```ts
 * import { compareUtf8 } from "./keys.ts";
 * // U+1F980 (a surrogate pair) is 0xF0... in UTF-8, after U+FF5E (0xEF...).
 * if (compareUtf8("\u{1F980}", "\uFF5E") <= 0) throw new Error();
 * if (compareUtf8("a", "b") >= 0) throw new Error();
 * ```
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return rank(x) - rank(y);
    return x - y;
  }
  return a.length - b.length;
}

function compareNative(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The cheapest exact comparison for searches with `probe` as the left
 * operand. When `probe` has no code unit from U+D800 up, the first unit
 * where it differs from any other key is below U+D800, and there UTF-16 and
 * UTF-8 order agree: the engine's native comparison is exact.
 *
 * @example
 * ```ts
 * import { comparatorFor } from "./keys.ts";
 * if (comparatorFor("apple")("apple", "banana") >= 0) throw new Error();
 * if (comparatorFor("\u{1F980}")("\u{1F980}", "\uFF5E") <= 0) throw new Error();
 * ```
 */
export function comparatorFor(probe: string): KeyCompare {
  return HIGH_UNITS.test(probe) ? compareUtf8 : compareNative;
}

/**
 * A key to search for, with the comparison chosen once for it.
 *
 * @example
 * ```ts
 * import { Probe } from "./keys.ts";
 * const probe = new Probe("c");
 * if (probe.firstAtOrAfter(["a", "c"]) !== 1 || probe.firstAfter(["a", "c"]) !== 2) {
 *   throw new Error();
 * }
 * ```
 */
export class Probe {
  /** The key searched for. */
  readonly key: string;
  /** Compares the probe (left) with another key (right). */
  readonly compare: KeyCompare;

  /** @param key the key to search for */
  constructor(key: string) {
    this.key = key;
    this.compare = comparatorFor(key);
  }

  /** Index of the first of the sorted `keys` not below the probe. */
  firstAtOrAfter(keys: readonly string[]): number {
    return this.#search(keys, true);
  }

  /** Index of the first of the sorted `keys` above the probe. */
  firstAfter(keys: readonly string[]): number {
    return this.#search(keys, false);
  }

  #search(keys: readonly string[], inclusive: boolean): number {
    const key = this.key;
    let low = 0;
    let high = keys.length;
    if (this.compare === compareNative) {
      // One engine comparison a step instead of a three-way compare's two.
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (inclusive ? key > keys[middle]! : key >= keys[middle]!) low = middle + 1;
        else high = middle;
      }
      return low;
    }
    const compare = this.compare;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compare(key, keys[middle]!);
      if (order > 0 || (order === 0 && !inclusive)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
