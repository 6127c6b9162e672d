// The watch history's column store: what goes in comes back out whole, as its rings wrap, grow and shrink.
import { assertEquals } from "../assert.ts";
import { HeldChanges } from "../../src/kv/held_changes.ts";
import type { Change } from "../../src/kv/results.ts";
import { put } from "./changes.ts";

/** The changes of entry `index`: a put with a previous record on a lease, and a delete. */
function mixed(index: number): Change[] {
  const prev = {
    key: `p${index}`,
    value: new Uint8Array([index & 0xff, 0xff]),
    createIndex: 1,
    modIndex: index - 1,
    lease: 7,
  };
  return [
    {
      type: "put",
      key: `p${index}`,
      value: `v${index}`,
      createIndex: 1,
      modIndex: index,
      lease: 9,
      prev,
    },
    {
      type: "delete",
      key: `d${index}`,
      value: null,
      createIndex: 2,
      modIndex: index,
      lease: 0,
      prev: { key: `d${index}`, value: "gone", createIndex: 2, modIndex: 2, lease: 0 },
    },
  ];
}

Deno.test("held changes: every field of puts and deletes, with and without a previous record, comes back", () => {
  const held = new HeldChanges();
  held.push(5, mixed(5), 300);
  held.push(6, [put("solo", 6)], 120);
  assertEquals(held.count, 2);
  assertEquals(held.entryAt(held.positionOf(5)), { index: 5, changes: mixed(5), bytes: 300 });
  assertEquals(held.entryAt(held.positionOf(6)), {
    index: 6,
    changes: [put("solo", 6)],
    bytes: 120,
  });
  assertEquals(held.entryAt(held.positionOf(7)), undefined);
  assertEquals([held.oldestIndex, held.bytes], [5, 420]);
});

Deno.test("held changes: positions, matches and the oldest entry survive drops and wrapping", () => {
  const held = new HeldChanges();
  const dropped = 5_000;
  for (let index = 1; index <= 8_000; index++) {
    held.push(index, index % 3 === 0 ? mixed(index) : [put(`k${index % 10}`, index)], index);
    // Keep 2,000 entries, as the history does with its bound: compactions run on the way.
    if (held.count > 2_000 && index <= dropped + 2_000) held.dropOldest();
  }
  assertEquals(held.count, 8_000 - dropped);
  // Each entry's bytes were its index: the total is the sum of the indexes still held.
  const heldBytes = ((dropped + 1 + 8_000) * (8_000 - dropped)) / 2;
  assertEquals([held.oldestIndex, held.bytes], [dropped + 1, heldBytes]);
  for (const index of [dropped + 1, 6_000, 6_001, 8_000]) {
    const entry = held.entryAt(held.positionOf(index))!;
    const expected = index % 3 === 0 ? mixed(index) : [put(`k${index % 10}`, index)];
    assertEquals(entry, { index, changes: expected, bytes: index });
  }
  // An index dropped long ago is answered with the oldest held entry.
  assertEquals(held.entryAt(held.positionOf(3))?.index, dropped + 1);
  const match = held.nextMatch(held.positionOf(6_001), (key) => key.startsWith("d"));
  assertEquals(held.entryAt(match)?.index, 6_003);
  assertEquals(held.nextMatch(held.positionOf(6_001), (key) => key === "nowhere"), -1);
});

Deno.test("held changes: dropping every entry and clearing leave nothing behind", () => {
  const held = new HeldChanges();
  for (let index = 1; index <= 3_000; index++) held.push(index, [put("k", index)], 1);
  for (let i = 0; i < 3_001; i++) held.dropOldest();
  assertEquals([held.count, held.oldestIndex, held.bytes], [0, -1, 0]);
  assertEquals(held.nextMatch(0, () => true), -1);
  held.push(3_001, [put("k", 3_001)], 1);
  assertEquals(held.entryAt(held.positionOf(1))?.index, 3_001);
  held.clear();
  assertEquals([held.count, held.entryAt(0)], [0, undefined]);
});

Deno.test("held changes: an entry of thousands of changes grows the ring, and dropping it shrinks it back", () => {
  const held = new HeldChanges();
  held.push(1, [put("before", 1)], 1);
  const many = Array.from({ length: 5_000 }, (_, i) => put(`bulk/${i}`, 2));
  held.push(2, many, 5_000);
  held.push(3, [put("after", 3)], 1);
  assertEquals(held.entryAt(held.positionOf(2))?.changes, many);
  held.dropOldest();
  held.dropOldest();
  assertEquals(held.count, 1);
  assertEquals(held.entryAt(held.positionOf(3)), {
    index: 3,
    changes: [put("after", 3)],
    bytes: 1,
  });
  for (let index = 4; index <= 2_000; index++) held.push(index, [put("k", index)], 1);
  assertEquals(held.entryAt(held.positionOf(1_500))?.changes, [put("k", 1_500)]);
  assertEquals(held.nextMatch(held.positionOf(3), (key) => key.startsWith("bulk/")), -1);
});
