/**
 * The record tree: an ordered map from key to record, a B+tree whose nodes
 * are copied on write only while a frozen snapshot may still share them.
 * Freezing is O(1) (the epoch moves on; every node made before belongs to
 * the frozen view and is copied the first time a write reaches it), so a
 * snapshot never copies the whole state, and a scan reads pages in key order
 * without sorting.
 *
 * @module
 */

import {
  Branch,
  BRANCH_CHILDREN_MAX,
  BRANCH_CHILDREN_MIN,
  type BuiltTree,
  FIRST_EPOCH,
  Leaf,
  LEAF_RECORDS_MAX,
  LEAF_RECORDS_MIN,
  type Slot,
  type TreeNode,
} from "./btree_nodes.ts";
import { Probe } from "./keys.ts";

/** A record's place in a leaf. */
export interface Position {
  leaf: Leaf;
  index: number;
}

/** The fields of a record besides its key. */
export interface Row {
  value: Slot;
  createIndex: number;
  modIndex: number;
  /** The lease the key is attached to, 0 for none. */
  lease: number;
}

/** A tree as it was when frozen: never changed afterwards. */
export interface FrozenTree {
  root: TreeNode;
  size: number;
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant broken: ${message}`);
}

/**
 * The ordered record map.
 *
 * @example
 * ```ts
 * import { RecordTree } from "./btree.ts";
 * const tree = new RecordTree();
 * tree.set("b", { value: "2", createIndex: 2, modIndex: 2, lease: 0 });
 * const frozen = tree.freeze();
 * tree.set("a", { value: "1", createIndex: 3, modIndex: 3, lease: 0 });
 * if (tree.size !== 2 || frozen.size !== 1 || tree.find("a") === null) throw new Error();
 * ```
 */
export class RecordTree {
  #root: TreeNode;
  #size: number;
  #epoch: number;
  /** The branches from the root to the leaf of the last write, and the child taken in each. */
  readonly #path: Branch[] = [];
  readonly #pathAt: number[] = [];
  /**
   * What {@link find} answered last: a write that reads its key first (every
   * put does) then replaces it in place without searching the tree again,
   * when the key is still at that place (an insert or split moves records)
   * in a leaf of this epoch. Deletes forget it.
   */
  #found: Position | null = null;

  /**
   * @param built a tree built bottom-up (empty when absent). Its nodes are
   * treated as shared, copied on the first write that reaches them, so the
   * same decoded snapshot may seed more than one tree.
   */
  constructor(built?: BuiltTree) {
    this.#epoch = built === undefined ? FIRST_EPOCH : FIRST_EPOCH + 1;
    this.#root = built?.root ?? Leaf.empty(this.#epoch);
    this.#size = built?.size ?? 0;
  }

  /** How many records the tree holds. */
  get size(): number {
    return this.#size;
  }

  /** The current root, for reading only (scans take it at once and read it synchronously). */
  get root(): TreeNode {
    return this.#root;
  }

  /** Where `key` is, or null. */
  find(key: string): Position | null {
    const probe = new Probe(key);
    let node = this.#root;
    while (node instanceof Branch) node = node.children[probe.firstAfter(node.keys)]!;
    const index = probe.firstAtOrAfter(node.keys);
    if (index === node.keys.length || node.keys[index] !== key) return null;
    const found = { leaf: node, index };
    this.#found = found;
    return found;
  }

  /** The view to encode a snapshot from; later writes copy the nodes they change. */
  freeze(): FrozenTree {
    const frozen = { root: this.#root, size: this.#size };
    this.#epoch++;
    return frozen;
  }

  /** Inserts or replaces the record under `key`. */
  set(key: string, row: Row): void {
    const found = this.#found;
    // A leaf of this epoch is shared with no frozen view: it may change in place.
    if (
      found !== null && found.leaf.epoch === this.#epoch && found.leaf.keys[found.index] === key
    ) {
      const { leaf, index } = found;
      leaf.values[index] = row.value;
      leaf.createIndexes[index] = row.createIndex;
      leaf.modIndexes[index] = row.modIndex;
      leaf.setLease(index, row.lease);
      return;
    }
    const probe = new Probe(key);
    const leaf = this.#descend(probe);
    const i = probe.firstAtOrAfter(leaf.keys);
    if (i < leaf.keys.length && leaf.keys[i] === key) {
      leaf.values[i] = row.value;
      leaf.createIndexes[i] = row.createIndex;
      leaf.modIndexes[i] = row.modIndex;
      leaf.setLease(i, row.lease);
      return;
    }
    leaf.keys.splice(i, 0, key);
    leaf.values.splice(i, 0, row.value);
    leaf.createIndexes.splice(i, 0, row.createIndex);
    leaf.modIndexes.splice(i, 0, row.modIndex);
    if (leaf.leases !== null) leaf.leases.splice(i, 0, row.lease);
    else leaf.setLease(i, row.lease);
    this.#size++;
    if (leaf.keys.length > LEAF_RECORDS_MAX) this.#splitLeaf(leaf, i);
  }

  /** Removes the record under `key`; false when there was none. */
  delete(key: string): boolean {
    if (this.find(key) === null) return false;
    const probe = new Probe(key);
    const leaf = this.#descend(probe);
    const i = probe.firstAtOrAfter(leaf.keys);
    assert(leaf.keys[i] === key, `key "${key}" vanished between find and delete`);
    // A merge can leave the remembered leaf out of the tree with its keys intact.
    this.#found = null;
    leaf.keys.splice(i, 1);
    leaf.values.splice(i, 1);
    leaf.createIndexes.splice(i, 1);
    leaf.modIndexes.splice(i, 1);
    leaf.leases?.splice(i, 1);
    this.#size--;
    this.#rebalanceLeaf(leaf);
    return true;
  }

  /** A node of this epoch: `node` itself, or its copy when a frozen view may share it. */
  #own<T extends TreeNode>(node: T): T {
    return node.epoch === this.#epoch ? node : node.copy(this.#epoch) as T;
  }

  /** Walks to the leaf for `probe`, owning every node on the way and recording the path. */
  #descend(probe: Probe): Leaf {
    this.#path.length = 0;
    this.#pathAt.length = 0;
    let node = this.#own(this.#root);
    this.#root = node;
    while (node instanceof Branch) {
      const at = probe.firstAfter(node.keys);
      const child = this.#own(node.children[at]!);
      node.children[at] = child;
      this.#path.push(node);
      this.#pathAt.push(at);
      node = child;
    }
    return node;
  }

  #splitLeaf(leaf: Leaf, insertedAt: number): void {
    // Keys written in increasing order land at the end: leave the left leaf
    // full rather than half empty for ever.
    const cut = insertedAt === leaf.keys.length - 1 ? insertedAt : leaf.keys.length >>> 1;
    const right = leaf.cutFrom(cut, this.#epoch);
    this.#insertChild(this.#path.length - 1, right, right.keys[0]!);
  }

  /** Adds `node` right of the child taken at path level `level`, splitting upwards as needed. */
  #insertChild(fromLevel: number, child: TreeNode, childSeparator: string): void {
    let node = child;
    let separator = childSeparator;
    for (let level = fromLevel; level >= 0; level--) {
      const parent = this.#path[level]!;
      const at = this.#pathAt[level]!;
      parent.keys.splice(at, 0, separator);
      parent.children.splice(at + 1, 0, node);
      if (parent.children.length <= BRANCH_CHILDREN_MAX) return;
      const middle = parent.children.length >>> 1;
      node = new Branch(this.#epoch, parent.keys.splice(middle), parent.children.splice(middle));
      separator = parent.keys.pop()!;
    }
    this.#root = new Branch(this.#epoch, [separator], [this.#root, node]);
  }

  #rebalanceLeaf(leaf: Leaf): void {
    const level = this.#path.length - 1;
    if (level < 0 || leaf.keys.length >= LEAF_RECORDS_MIN) return;
    const parent = this.#path[level]!;
    const at = this.#pathAt[level]!;
    const left = at > 0 ? parent.children[at - 1] as Leaf : null;
    const right = at + 1 < parent.children.length ? parent.children[at + 1] as Leaf : null;
    if (left !== null && left.keys.length + leaf.keys.length <= LEAF_RECORDS_MAX) {
      const owned = this.#own(left);
      owned.absorb(leaf);
      parent.children[at - 1] = owned;
      this.#removeChild(level, at);
    } else if (right !== null && right.keys.length + leaf.keys.length <= LEAF_RECORDS_MAX) {
      leaf.absorb(right);
      this.#removeChild(level, at + 1);
    }
  }

  /**
   * Removes child `at` (and the separator before it) from the branch at path
   * level `level`, then rebalances that branch and, as merges remove
   * children, the branches above it.
   */
  #removeChild(fromLevel: number, fromAt: number): void {
    let at: number | null = fromAt;
    for (let level = fromLevel; level >= 0 && at !== null; level--) {
      const branch = this.#path[level]!;
      branch.children.splice(at, 1);
      branch.keys.splice(at - 1, 1);
      at = this.#rebalanceBranch(level);
    }
  }

  /**
   * Fills the branch at path level `level` from a neighbour when it has too
   * few children; returns the child of its parent that a merge emptied (for
   * the caller to remove), or null.
   */
  #rebalanceBranch(level: number): number | null {
    const branch = this.#path[level]!;
    if (level === 0) {
      while (this.#root instanceof Branch && this.#root.children.length === 1) {
        this.#root = this.#root.children[0]!;
      }
      return null;
    }
    if (branch.children.length >= BRANCH_CHILDREN_MIN) return null;
    const parent = this.#path[level - 1]!;
    const at = this.#pathAt[level - 1]!;
    const left = at > 0 ? parent.children[at - 1] as Branch : null;
    const right = at + 1 < parent.children.length ? parent.children[at + 1] as Branch : null;
    const room = BRANCH_CHILDREN_MAX - branch.children.length;
    if (left !== null && left.children.length <= room) {
      const owned = this.#own(left);
      owned.keys.push(parent.keys[at - 1]!, ...branch.keys);
      owned.children.push(...branch.children);
      parent.children[at - 1] = owned;
      return at;
    }
    if (right !== null && right.children.length <= room) {
      branch.keys.push(parent.keys[at]!, ...right.keys);
      branch.children.push(...right.children);
      return at + 1;
    }
    if (left !== null) {
      const owned = this.#own(left);
      parent.children[at - 1] = owned;
      branch.children.unshift(owned.children.pop()!);
      branch.keys.unshift(parent.keys[at - 1]!);
      parent.keys[at - 1] = owned.keys.pop()!;
    } else if (right !== null) {
      const owned = this.#own(right);
      parent.children[at + 1] = owned;
      branch.children.push(owned.children.shift()!);
      branch.keys.push(parent.keys[at]!);
      parent.keys[at] = owned.keys.shift()!;
    }
    return null;
  }
}
