/**
 * The nodes of the record tree: leaves hold records as parallel arrays
 * (one array per field, not one object per record, which keeps a record to
 * its key, its value and a few array slots), branches hold separator keys
 * and children. Every node carries the epoch it was made in: a node of an
 * older epoch may be shared with a frozen snapshot and is copied before it
 * is changed.
 *
 * @module
 */

/**
 * Where a value lives: a string (valid UTF-8 text), bytes, or a number, the
 * offset of a value still undecoded in the snapshot the tree was restored
 * from (see `snapshot.ts`).
 */
export type Slot = string | Uint8Array | number;

/** The epoch of a new tree and of every node built for one. */
export const FIRST_EPOCH = 1;

/** Most records in a leaf. */
export const LEAF_RECORDS_MAX = 64;
/** A leaf with fewer records than this merges with a neighbour that has room. */
export const LEAF_RECORDS_MIN = LEAF_RECORDS_MAX / 4;
/** Most children of a branch. */
export const BRANCH_CHILDREN_MAX = 64;
/** A branch with fewer children than this merges with a neighbour that has room. */
export const BRANCH_CHILDREN_MIN = BRANCH_CHILDREN_MAX / 4;

/** Records `keys[i]` → (`values[i]`, `createIndexes[i]`, `modIndexes[i]`, `leases[i]`). */
export class Leaf {
  /**
   * @param epoch the tree epoch this node belongs to
   * @param keys sorted in UTF-8 byte order
   * @param values the records' values
   * @param createIndexes the records' create indexes
   * @param modIndexes the records' mod indexes
   * @param leases lease ids (0 for none), or null while no record here has a lease
   */
  constructor(
    public epoch: number,
    public keys: string[],
    public values: Slot[],
    public createIndexes: number[],
    public modIndexes: number[],
    public leases: number[] | null,
  ) {}

  /** An empty leaf. */
  static empty(epoch: number): Leaf {
    return new Leaf(epoch, [], [], [], [], null);
  }

  /** The lease of record `i` (0 for none). */
  leaseAt(i: number): number {
    return this.leases === null ? 0 : this.leases[i]!;
  }

  /** A copy that belongs to `epoch`. */
  copy(epoch: number): Leaf {
    return new Leaf(
      epoch,
      this.keys.slice(),
      this.values.slice(),
      this.createIndexes.slice(),
      this.modIndexes.slice(),
      this.leases === null ? null : this.leases.slice(),
    );
  }

  /** Removes records `[from, end)` and returns them as a new leaf of `epoch`. */
  cutFrom(from: number, epoch: number): Leaf {
    const count = this.keys.length - from;
    return new Leaf(
      epoch,
      this.keys.splice(from, count),
      this.values.splice(from, count),
      this.createIndexes.splice(from, count),
      this.modIndexes.splice(from, count),
      this.leases === null ? null : this.leases.splice(from, count),
    );
  }

  /** Appends every record of `other` (which sorts after this leaf's). */
  absorb(other: Leaf): void {
    const length = this.keys.length;
    this.keys.push(...other.keys);
    this.values.push(...other.values);
    this.createIndexes.push(...other.createIndexes);
    this.modIndexes.push(...other.modIndexes);
    if (this.leases === null && other.leases === null) return;
    this.leases ??= new Array<number>(length).fill(0);
    if (other.leases === null) { for (let i = 0; i < other.keys.length; i++) this.leases.push(0); }
    else this.leases.push(...other.leases);
  }

  /** Sets lease `lease` on record `i`, making the lease array when the first lease arrives. */
  setLease(i: number, lease: number): void {
    if (this.leases === null) {
      if (lease === 0) return;
      this.leases = new Array<number>(this.keys.length).fill(0);
    }
    this.leases[i] = lease;
  }
}

/** `children[i + 1]` holds the keys from `keys[i]` up; `keys.length === children.length - 1`. */
export class Branch {
  /**
   * @param epoch the tree epoch this node belongs to
   * @param keys separators: the smallest key of each child but the first
   * @param children subtrees in key order
   */
  constructor(
    public epoch: number,
    public keys: string[],
    public children: TreeNode[],
  ) {}

  /** A copy that belongs to `epoch`. */
  copy(epoch: number): Branch {
    return new Branch(epoch, this.keys.slice(), this.children.slice());
  }
}

/** A node of the tree. */
export type TreeNode = Leaf | Branch;

/** The root and record count of a tree built bottom-up. */
export interface BuiltTree {
  root: TreeNode;
  size: number;
}

/**
 * Builds a tree bottom-up from records that arrive in key order, filling
 * every node: one pass, no searching, no splitting.
 *
 * @example
 * ```ts
 * import { TreeBuilder } from "./btree_nodes.ts";
 * const builder = new TreeBuilder(0);
 * for (let i = 0; i < 1000; i++) builder.push(`k${String(i).padStart(4, "0")}`, "v", i + 1, i + 1, 0);
 * if (builder.finish().size !== 1000) throw new Error();
 * ```
 */
export class TreeBuilder {
  readonly #epoch: number;
  readonly #leaves: Leaf[] = [];
  #leaf: Leaf;
  #size = 0;

  /** @param epoch the epoch of every node built */
  constructor(epoch: number) {
    this.#epoch = epoch;
    this.#leaf = Leaf.empty(epoch);
  }

  /** The last key pushed, or null. */
  get lastKey(): string | null {
    const keys = this.#leaf.keys;
    if (keys.length > 0) return keys[keys.length - 1]!;
    const previous = this.#leaves[this.#leaves.length - 1];
    return previous === undefined ? null : previous.keys[previous.keys.length - 1]!;
  }

  /** Appends a record; keys must arrive in strictly increasing order (the caller checks). */
  push(key: string, value: Slot, createIndex: number, modIndex: number, lease: number): void {
    if (this.#leaf.keys.length === LEAF_RECORDS_MAX) {
      this.#leaves.push(this.#leaf);
      this.#leaf = Leaf.empty(this.#epoch);
    }
    const leaf = this.#leaf;
    leaf.keys.push(key);
    leaf.values.push(value);
    leaf.createIndexes.push(createIndex);
    leaf.modIndexes.push(modIndex);
    if (lease !== 0) leaf.setLease(leaf.keys.length - 1, lease);
    else if (leaf.leases !== null) leaf.leases.push(0);
    this.#size++;
  }

  /** The root of the finished tree. */
  finish(): BuiltTree {
    if (this.#leaf.keys.length > 0 || this.#leaves.length === 0) this.#leaves.push(this.#leaf);
    let level: TreeNode[] = this.#leaves;
    while (level.length > 1) {
      const parents: TreeNode[] = [];
      for (let from = 0; from < level.length; from += BRANCH_CHILDREN_MAX) {
        const children = level.slice(from, from + BRANCH_CHILDREN_MAX);
        const keys = children.slice(1).map(firstKey);
        parents.push(new Branch(this.#epoch, keys, children));
      }
      level = parents;
    }
    return { root: level[0]!, size: this.#size };
  }
}

/** The smallest key under `node` (which is not empty). */
export function firstKey(node: TreeNode): string {
  let at = node;
  while (at instanceof Branch) at = at.children[0]!;
  return at.keys[0]!;
}
