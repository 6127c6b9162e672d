import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import type { WatchEnd, WatchEvent, WatchStream } from "../../src/api.ts";
import type { Change } from "../../src/kv/results.ts";
import { put } from "./changes.ts";
import { WatchHistory } from "../../src/kv/watch_history.ts";

/** Everything a watch has ready now. */
function drain(watch: WatchStream): (WatchEvent | WatchEnd)[] {
  const items: (WatchEvent | WatchEnd)[] = [];
  for (let i = 0; i < 100_000; i++) {
    const item = watch.take();
    if (item === null) return items;
    items.push(item);
    if (item.type === "end") return items;
  }
  throw new Error("drain did not stop");
}

function indexes(items: (WatchEvent | WatchEnd)[]): (number | string)[] {
  return items.map((item) => item.type === "change" ? item.index : item.reason);
}

Deno.test("a watch gets every entry touching its key, whole, in index order", () => {
  const history = new WatchHistory(0);
  const watch = history.subscribe({ key: "a" });
  history.record(1, [put("a", 1)]);
  history.record(2, [put("b", 2)]);
  history.record(3, []);
  history.record(4, [put("b", 4), put("a", 4)]);
  const items = drain(watch);
  assertEquals(indexes(items), [1, 4]);
  assertEquals((items[1] as WatchEvent).changes.map((c) => c.key), ["a"]);
  assertEquals(watch.progressIndex, 4);
});

Deno.test("a prefix watch sees whole entries filtered to its prefix; the empty prefix sees all", () => {
  const history = new WatchHistory(0);
  const apps = history.subscribe({ prefix: "app/" });
  const all = history.subscribe({ prefix: "" });
  history.record(1, [put("app/x", 1), put("other", 1), put("app/y", 1)]);
  history.record(2, [put("other", 2)]);
  const items = drain(apps);
  assertEquals(indexes(items), [1]);
  assertEquals((items[0] as WatchEvent).changes.map((c) => c.key), ["app/x", "app/y"]);
  assertEquals(indexes(drain(all)), [1, 2]);
  assertEquals(history.watchCount, 2);
});

Deno.test("a watch from an older index replays the history, then goes live without a gap or repeat", () => {
  const history = new WatchHistory(0);
  for (let i = 1; i <= 50; i++) history.record(i, [put(`k${i % 3}`, i)]);
  const watch = history.subscribe({ key: "k1" }, 10);
  const first = indexes(drain(watch));
  history.record(51, [put("k1", 51)]);
  history.record(52, [put("k2", 52)]);
  history.record(53, [put("k1", 53)]);
  const seen = [...first, ...indexes(drain(watch))];
  const expected = [];
  for (let i = 10; i <= 53; i++) if (i % 3 === 1 || i === 51 || i === 53) expected.push(i);
  assertEquals(seen, [...new Set(expected)].filter((i) => i !== 52));
});

Deno.test("a start index the history no longer holds is refused with the compacted index", () => {
  const history = new WatchHistory(0, { entriesMax: 5 });
  for (let i = 1; i <= 20; i++) history.record(i, [put("k", i)]);
  assertEquals(history.compactedIndex, 15);
  assertThrows(
    () => history.subscribe({ key: "k" }, 15),
    /from index "15": changes up to index "15"/,
  );
  try {
    history.subscribe({ key: "k" }, 3);
  } catch (error) {
    assertEquals((error as { compactedIndex: number }).compactedIndex, 15);
    assertEquals((error as { currentIndex: number }).currentIndex, 20);
  }
  assertEquals(indexes(drain(history.subscribe({ key: "k" }, 16))), [16, 17, 18, 19, 20]);
});

Deno.test("the history is bounded in bytes too, and entries without changes cost nothing", () => {
  const history = new WatchHistory(0, { bytesMax: 2000 });
  const big = (index: number): Change => ({ ...put("k", index), value: "x".repeat(500) });
  for (let i = 1; i <= 20; i++) history.record(i, i % 2 === 0 ? [big(i)] : []);
  assertTrue(history.held.bytes <= 2000);
  assertEquals(history.held.entries, 3);
  assertEquals(history.compactedIndex, 14);
  assertEquals(history.lastIndex, 20);
});

Deno.test("a slow live watch falls back to the history, and ends when it falls behind it", () => {
  const history = new WatchHistory(0, { entriesMax: 100, queueEntriesMax: 4 });
  const watch = history.subscribe({ prefix: "" });
  assertEquals(drain(watch), []);
  for (let i = 1; i <= 10; i++) history.record(i, [put("k", i)]);
  // Past its queue of 4 it reads the held entries instead: still no gap.
  assertEquals(indexes(drain(watch)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (let i = 11; i <= 300; i++) history.record(i, [put("k", i)]);
  const items = drain(watch);
  assertEquals(items.length, 1);
  assertEquals((items[0] as WatchEnd).reason, "slow");
  assertTrue((items[0] as WatchEnd).message.includes('still needed index "11"'));
  assertEquals(history.watchCount, 0);
});

Deno.test("a reset ends every watch after what it had queued, and restarts the history", () => {
  const history = new WatchHistory(0);
  const watch = history.subscribe({ key: "k" });
  assertEquals(drain(watch), []);
  history.record(1, [put("k", 1)]);
  history.reset(100);
  assertEquals(indexes(drain(watch)), [1, "reset"]);
  assertEquals([history.compactedIndex, history.lastIndex], [100, 100]);
  assertThrows(() => history.record(102, []), /entry "102" after "100"/);
  assertThrows(() => history.subscribe({ key: "k" }, 50), /changes up to index "100"/);
});

Deno.test("ready resolves when an event arrives; close ends the watch", async () => {
  const history = new WatchHistory(0);
  const watch = history.subscribe({ key: "k" });
  assertEquals(watch.take(), null);
  const ready = watch.ready();
  history.record(1, [put("k", 1)]);
  await ready;
  assertEquals((watch.take() as WatchEvent).index, 1);
  watch.close();
  assertEquals((watch.take() as WatchEnd).reason, "closed");
  assertEquals(history.watchCount, 0);
});

Deno.test("a start index in the future waits for it and skips what comes before", () => {
  const history = new WatchHistory(0);
  history.record(1, [put("k", 1)]);
  const watch = history.subscribe({ key: "k" }, 5);
  for (let i = 2; i <= 6; i++) history.record(i, [put("k", i)]);
  assertEquals(indexes(drain(watch)), [5, 6]);
});
