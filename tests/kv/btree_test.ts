import { assertEquals, assertTrue } from "../assert.ts";
import { RecordTree, type Row } from "../../src/kv/btree.ts";
import { TreeCursor } from "../../src/kv/btree_cursor.ts";
import { Branch, TreeBuilder, type TreeNode } from "../../src/kv/btree_nodes.ts";
import { compareUtf8 } from "../../src/kv/keys.ts";
import { createRng } from "../../src/raft/rng.ts";

const OPS = 40_000;
const KEY_SPACE = 10_000;

function row(index: number, lease = 0): Row {
  return { value: `v${index}`, createIndex: index, modIndex: index, lease };
}

/** Every key of `root` in cursor order, with the value index. */
function contents(root: TreeNode): [string, number][] {
  const out: [string, number][] = [];
  for (const cursor = TreeCursor.first(root); cursor.valid; cursor.next()) {
    out.push([cursor.key, cursor.leaf.modIndexes[cursor.index]!]);
  }
  return out;
}

function sortedModel(model: Map<string, number>): [string, number][] {
  return [...model].sort((a, b) => compareUtf8(a[0], b[0]));
}

/** Depth of every leaf is the same; separators bound their children. */
function checkShape(root: TreeNode): void {
  const depths = new Set<number>();
  const stack: { node: TreeNode; depth: number; low: string | null; high: string | null }[] = [
    { node: root, depth: 0, low: null, high: null },
  ];
  while (stack.length > 0) {
    const { node, depth, low, high } = stack.pop()!;
    if (!(node instanceof Branch)) {
      depths.add(depth);
      for (const key of node.keys) {
        assertTrue(low === null || compareUtf8(key, low) >= 0, `key ${key} below ${low}`);
        assertTrue(high === null || compareUtf8(key, high) < 0, `key ${key} not below ${high}`);
      }
      continue;
    }
    assertEquals(node.keys.length, node.children.length - 1);
    node.children.forEach((child, i) => {
      const childLow = i === 0 ? low : node.keys[i - 1]!;
      const childHigh = i === node.keys.length ? high : node.keys[i]!;
      stack.push({ node: child, depth: depth + 1, low: childLow, high: childHigh });
    });
  }
  assertEquals(depths.size, 1);
}

Deno.test("the tree agrees with a map under random puts and deletes, and stays balanced", () => {
  const rng = createRng(11);
  const tree = new RecordTree();
  const model = new Map<string, number>();
  for (let i = 1; i <= OPS; i++) {
    const key = `k${rng.int(KEY_SPACE)}`;
    if (rng.int(3) === 0) assertEquals(tree.delete(key), model.delete(key));
    else {
      tree.set(key, row(i));
      model.set(key, i);
    }
    assertEquals(tree.size, model.size);
    if (i % 5000 === 0) checkShape(tree.root);
  }
  assertEquals(contents(tree.root), sortedModel(model));
  let left = model.size;
  for (const key of model.keys()) {
    tree.delete(key);
    if (--left % 1000 === 0) checkShape(tree.root);
  }
  assertEquals(tree.size, 0);
  assertEquals(contents(tree.root), []);
});

/** A frozen view of the tree and the model's contents when it was taken. */
interface FrozenView {
  frozen: ReturnType<RecordTree["freeze"]>;
  expected: [string, number][];
}

/** Every view still holds exactly what the model held when it was frozen. */
function checkViews(views: readonly FrozenView[]): void {
  for (const { frozen, expected } of views) {
    assertEquals(frozen.size, expected.length);
    assertEquals(contents(frozen.root), expected);
  }
}

Deno.test("a frozen view never changes while the tree goes on", () => {
  const rng = createRng(5);
  const tree = new RecordTree();
  const model = new Map<string, number>();
  const views: FrozenView[] = [];
  for (let i = 1; i <= OPS; i++) {
    const key = `k${rng.int(KEY_SPACE)}`;
    if (rng.int(4) === 0) {
      tree.delete(key);
      model.delete(key);
    } else {
      tree.set(key, row(i));
      model.set(key, i);
    }
    if (i % 2500 === 0) views.push({ frozen: tree.freeze(), expected: sortedModel(model) });
  }
  checkViews(views);
});

Deno.test("a write after reading its key changes it in place, never a frozen view", () => {
  // Every put reads its key first; the tree then skips the second search. Interleave the other
  // writes and freezes that would make a remembered position stale.
  const rng = createRng(23);
  const tree = new RecordTree();
  const model = new Map<string, number>();
  const views: FrozenView[] = [];
  for (let i = 1; i <= OPS; i++) {
    const key = `k${rng.int(KEY_SPACE / 4)}`;
    const found = tree.find(key);
    assertEquals(found === null ? undefined : found.leaf.modIndexes[found.index], model.get(key));
    const step = rng.int(10);
    const other = `k${rng.int(KEY_SPACE / 4)}`;
    if (step === 0) views.push({ frozen: tree.freeze(), expected: sortedModel(model) });
    else if (step === 1) {
      tree.set(other, row(i));
      model.set(other, i);
    } else if (step === 2) assertEquals(tree.delete(other), model.delete(other));
    tree.set(key, row(i));
    model.set(key, i);
  }
  assertEquals(tree.size, model.size);
  assertEquals(contents(tree.root), sortedModel(model));
  checkShape(tree.root);
  checkViews(views);
});

Deno.test("a write after a delete that merged its key's leaf still lands in the tree", () => {
  const tree = new RecordTree();
  const keys = Array.from({ length: 400 }, (_, i) => `k${String(i).padStart(4, "0")}`);
  keys.forEach((key, i) => tree.set(key, row(i + 1)));
  let index = keys.length;
  // Delete all but every 8th key until leaves merge into their neighbours, each time writing the
  // key that followed the deleted one: the place the delete remembered now holds it, possibly in
  // a leaf a merge just took out of the tree.
  for (let i = 0; i < keys.length; i++) {
    if (i % 8 === 0) continue;
    tree.delete(keys[i]!);
    const next = keys[i + 1];
    if (next === undefined || (i + 1) % 8 !== 0) continue;
    tree.set(next, row(++index));
    const at = tree.find(next)!;
    assertEquals(at.leaf.modIndexes[at.index], index, `${next} after deleting ${keys[i]}`);
  }
  assertEquals(tree.size, keys.length / 8);
  assertEquals(contents(tree.root).length, keys.length / 8);
  checkShape(tree.root);
});

Deno.test("keys sort in UTF-8 byte order, not UTF-16 order", () => {
  const tree = new RecordTree();
  const keys = ["\uFF5E", "\u{1F980}", "a", "é", "\uE000", "\u{10000}", "z"];
  keys.forEach((key, i) => tree.set(key, row(i + 1)));
  const expected = ["a", "z", "é", "\uE000", "\uFF5E", "\u{10000}", "\u{1F980}"];
  assertEquals(contents(tree.root).map(([key]) => key), expected);
  assertTrue(tree.find("\u{1F980}") !== null);
  const cursor = TreeCursor.after(tree.root, "\uFF5E");
  assertEquals(cursor.key, "\u{10000}");
});

Deno.test("keys written in order fill leaves, and a built tree reads like a written one", () => {
  const tree = new RecordTree();
  const builder = new TreeBuilder(0);
  for (let i = 0; i < 5000; i++) {
    const key = `key-${String(i).padStart(6, "0")}`;
    tree.set(key, row(i + 1, i % 7 === 0 ? 99 : 0));
    builder.push(key, `v${i + 1}`, i + 1, i + 1, i % 7 === 0 ? 99 : 0);
  }
  let leaves = 0;
  for (const cursor = TreeCursor.first(tree.root); cursor.valid; cursor.nextLeaf()) leaves++;
  assertEquals(leaves, Math.ceil(5000 / 64));
  const built = new RecordTree(builder.finish());
  assertEquals(contents(built.root), contents(tree.root));
  checkShape(built.root);
  const found = built.find("key-000007")!;
  assertEquals(found.leaf.leaseAt(found.index), 99);
  built.set("key-000007", row(9000));
  const again = built.find("key-000007")!;
  assertEquals(again.leaf.leaseAt(again.index), 0);
});

Deno.test("cursors seek inclusive and exclusive and walk across leaves", () => {
  const tree = new RecordTree();
  for (let i = 0; i < 1000; i += 2) tree.set(`k${String(i).padStart(4, "0")}`, row(i + 1));
  assertEquals(TreeCursor.atOrAfter(tree.root, "k0100").key, "k0100");
  assertEquals(TreeCursor.after(tree.root, "k0100").key, "k0102");
  assertEquals(TreeCursor.after(tree.root, "k0101").key, "k0102");
  assertEquals(TreeCursor.after(tree.root, "k0998").valid, false);
  assertEquals(TreeCursor.atOrAfter(tree.root, "").key, "k0000");
  let count = 0;
  for (const cursor = TreeCursor.atOrAfter(tree.root, "k0500"); cursor.valid; cursor.next()) {
    count++;
  }
  assertEquals(count, 250);
});
