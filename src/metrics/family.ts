/**
 * Labelled metrics: one child (a counter, gauge or histogram) per set of
 * label values, made on first use and kept. Label values come from bounded
 * sets (route patterns, peer ids); past `labelSetsMax` distinct sets, new
 * ones share one child whose every label reads `_other`, so a bug that
 * labels by raw input cannot grow memory without bound.
 *
 * @module
 */

/** Distinct label sets a family keeps before folding new ones into `_other`. */
export const LABEL_SETS_MAX = 256;

/** The label value of the shared child past `labelSetsMax`. */
export const OVERFLOW_LABEL = "_other";

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Children by label values.
 *
 * @example
 * ```ts
 * import { Family } from "./family.ts";
 * import { Counter } from "./counter.ts";
 * const sent = new Family(["to"], () => new Counter());
 * sent.labels("n2").inc(100);
 * sent.labels("n2").inc(20);
 * if (sent.labels("n2").value !== 120 || sent.size !== 1) throw new Error();
 * ```
 */
export class Family<T> {
  /** The label names, in the order `labels()` takes their values. */
  readonly labelNames: readonly string[];
  readonly #make: () => T;
  readonly #labelSetsMax: number;
  readonly #children = new Map<string, { values: readonly string[]; child: T }>();
  #overflow: T | null = null;

  /**
   * @param labelNames the label names
   * @param make builds a fresh child
   * @param labelSetsMax distinct label sets kept before new ones fold into `_other`
   */
  constructor(labelNames: readonly string[], make: () => T, labelSetsMax = LABEL_SETS_MAX) {
    if (labelNames.length === 0) throw new RangeError("A labelled metric needs at least one label");
    for (const name of labelNames) {
      if (!LABEL_NAME.test(name) || name.startsWith("__")) {
        throw new RangeError(`Invalid label name "${name}"`);
      }
    }
    this.labelNames = labelNames;
    this.#make = make;
    this.#labelSetsMax = labelSetsMax;
  }

  /** Number of distinct label sets held (the `_other` child not counted). */
  get size(): number {
    return this.#children.size;
  }

  /** The child for these label values, one per label name; keep it to skip the lookup. */
  labels(...values: string[]): T {
    const key = values.length === 1 ? values[0]! : values.join("\u0000");
    const found = this.#children.get(key);
    if (found !== undefined) return found.child;
    if (values.length !== this.labelNames.length) {
      throw new RangeError(
        `Expected ${this.labelNames.length} label values (${
          this.labelNames.join(", ")
        }), got "${values.length}"`,
      );
    }
    if (this.#children.size >= this.#labelSetsMax) return this.#overflow ??= this.#make();
    const child = this.#make();
    this.#children.set(key, { values: [...values], child });
    return child;
  }

  /** Forgets the child for these label values (a removed peer). */
  remove(...values: string[]): void {
    this.#children.delete(values.length === 1 ? values[0]! : values.join("\u0000"));
  }

  /** Every child with its label values, in first-use order, `_other` last. */
  *entries(): IterableIterator<[readonly string[], T]> {
    for (const { values, child } of this.#children.values()) yield [values, child];
    if (this.#overflow !== null) {
      yield [this.labelNames.map(() => OVERFLOW_LABEL), this.#overflow];
    }
  }
}
