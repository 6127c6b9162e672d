/**
 * Reading a record tree (live or frozen) in key order from any key: a
 * cursor holds the path of branches down to its leaf, so moving to the next
 * leaf needs no sibling links (which copy-on-write nodes could not keep).
 *
 * @module
 */

import { Branch, type Leaf, type TreeNode } from "./btree_nodes.ts";
import { Probe } from "./keys.ts";

/**
 * A position in a tree, moving forward.
 *
 * @example
 * ```ts
 * import { RecordTree } from "./btree.ts";
 * import { TreeCursor } from "./btree_cursor.ts";
 * const tree = new RecordTree();
 * for (const key of ["c", "a", "b"]) tree.set(key, { value: key, createIndex: 1, modIndex: 1, lease: 0 });
 * const cursor = TreeCursor.after(tree.root, "a");
 * const keys = [];
 * for (; cursor.valid; cursor.next()) keys.push(cursor.key);
 * if (keys.join() !== "b,c") throw new Error();
 * ```
 */
export class TreeCursor {
  readonly #branches: Branch[] = [];
  readonly #at: number[] = [];
  #leaf: Leaf;
  #index = 0;

  private constructor(leaf: Leaf) {
    this.#leaf = leaf;
  }

  /** A cursor on the first record of `root`. */
  static first(root: TreeNode): TreeCursor {
    const cursor = new TreeCursor(root as Leaf);
    cursor.#descendLeftmost(root);
    cursor.#skipEmpty();
    return cursor;
  }

  /** A cursor on the first record whose key is at or after `key`. */
  static atOrAfter(root: TreeNode, key: string): TreeCursor {
    return TreeCursor.#seek(root, key, true);
  }

  /** A cursor on the first record whose key is after `key`. */
  static after(root: TreeNode, key: string): TreeCursor {
    return TreeCursor.#seek(root, key, false);
  }

  static #seek(root: TreeNode, key: string, inclusive: boolean): TreeCursor {
    const probe = new Probe(key);
    const cursor = new TreeCursor(root as Leaf);
    let node = root;
    while (node instanceof Branch) {
      const at = probe.firstAfter(node.keys);
      cursor.#branches.push(node);
      cursor.#at.push(at);
      node = node.children[at]!;
    }
    cursor.#leaf = node;
    cursor.#index = inclusive ? probe.firstAtOrAfter(node.keys) : probe.firstAfter(node.keys);
    cursor.#skipEmpty();
    return cursor;
  }

  /** True while the cursor is on a record. */
  get valid(): boolean {
    return this.#index < this.#leaf.keys.length;
  }

  /** The leaf of the current record. */
  get leaf(): Leaf {
    return this.#leaf;
  }

  /** The current record's place in its leaf. */
  get index(): number {
    return this.#index;
  }

  /** The current record's key. */
  get key(): string {
    return this.#leaf.keys[this.#index]!;
  }

  /** Moves to the next record; `valid` turns false past the last. */
  next(): void {
    this.#index++;
    this.#skipEmpty();
  }

  /** Moves to the next leaf's first record; `valid` turns false past the last leaf. */
  nextLeaf(): void {
    this.#index = this.#leaf.keys.length;
    this.#skipEmpty();
  }

  /** While past the end of a leaf, moves to the first record of the next leaf that has one. */
  #skipEmpty(): void {
    while (this.#index >= this.#leaf.keys.length) {
      let level = this.#branches.length - 1;
      while (level >= 0 && this.#at[level]! + 1 >= this.#branches[level]!.children.length) level--;
      if (level < 0) return;
      this.#branches.length = level + 1;
      this.#at.length = level + 1;
      const at = ++this.#at[level]!;
      this.#descendLeftmost(this.#branches[level]!.children[at]!);
      this.#index = 0;
    }
  }

  #descendLeftmost(from: TreeNode): void {
    let node = from;
    while (node instanceof Branch) {
      this.#branches.push(node);
      this.#at.push(0);
      node = node.children[0]!;
    }
    this.#leaf = node;
  }
}
