import { assertEquals, assertRejects } from "../assert.ts";
import { GroupCommit } from "../../src/storage/group_commit.ts";
import { mergeBatches } from "../../src/storage/batch.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import type { SaveBatch } from "../../src/storage/types.ts";
import { entries, entry, openStorage, withTempDir } from "./helpers.ts";

Deno.test("merged batches leave the same state as saving them one by one", () => {
  const batches: SaveBatch[] = [
    { hardState: { term: 1, vote: "n1", commit: 0 }, entries: entries(1, 5, 1) },
    { hardState: null, entries: entries(6, 7, 1) },
    { hardState: { term: 2, vote: "", commit: 2 }, entries: entries(4, 5, 2) },
    { hardState: { term: 2, vote: "", commit: 4 }, entries: [] },
    { hardState: null, entries: entries(6, 6, 2) },
  ];
  const one = new MemoryStorage();
  for (const batch of batches) one.saveSync(batch);
  const merged = new MemoryStorage();
  merged.saveSync(mergeBatches(batches));
  assertEquals(merged.recovered(), one.recovered());
  assertEquals(merged.syncs, 1);
});

Deno.test("a merged batch may replace entries from before its own first one", () => {
  const merged = mergeBatches([
    { hardState: null, entries: entries(5, 7, 1) },
    { hardState: null, entries: entries(3, 3, 2) },
  ]);
  assertEquals(merged.entries, [entry(3, 2)]);
});

Deno.test("group commit saves what queued during a sync with one more save", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    let saves = 0;
    const counting = { save: (batch: SaveBatch) => (saves++, storage.save(batch)) };
    const group = new GroupCommit(counting);
    const pending = [];
    for (let index = 1; index <= 50; index++) {
      pending.push(
        group.save({
          hardState: { term: 1, vote: "n1", commit: index - 1 },
          entries: [entry(index, 1)],
        }),
      );
    }
    await Promise.all(pending);
    assertEquals(saves, 2, "the first batch alone, then the 49 that waited");
    assertEquals(storage.recovered().entries, entries(1, 50, 1));
    assertEquals(storage.recovered().hardState.commit, 49);
    await storage.close();
  });
});

Deno.test("group commit rejects every batch of a failed group", async () => {
  const storage = new MemoryStorage();
  const group = new GroupCommit(storage);
  const first = group.save({ hardState: null, entries: [entry(1, 1)] });
  const gap = group.save({ hardState: null, entries: [entry(5, 1)] });
  const other = group.save({ hardState: null, entries: [entry(6, 1)] });
  await first;
  await assertRejects(gap, /the log ends at 1/);
  await assertRejects(other, /the log ends at 1/);
  assertEquals(group.waiting, 0);
  await group.save({ hardState: null, entries: [entry(2, 1)] });
  assertEquals(storage.recovered().entries, entries(1, 2, 1));
});
