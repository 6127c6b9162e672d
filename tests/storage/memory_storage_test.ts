import { assertEquals, assertRejects, assertThrows, assertTrue } from "../assert.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { StorageError } from "../../src/storage/errors.ts";
import { entries, entry, snapshot } from "./helpers.ts";

Deno.test("memory storage keeps deep copies: callers cannot change what is stored", async () => {
  const storage = new MemoryStorage();
  const batch = { hardState: { term: 1, vote: "n1", commit: 0 }, entries: entries(1, 2, 1) };
  storage.saveSync(batch);
  batch.entries[0]!.data[0] = 99;
  batch.entries.pop();
  batch.hardState.term = 5;
  const stored = snapshot(1, 1);
  await storage.saveSnapshot(stored);
  stored.data[0] = 77;
  stored.meta.membership[0]!.id = "changed";
  const recovered = storage.recovered();
  recovered.entries[0]!.data[0] = 55;
  assertEquals(storage.recovered().hardState, { term: 1, vote: "n1", commit: 0 });
  assertEquals(storage.recovered().entries, [entry(2, 1)]);
  assertEquals(storage.recovered().snapshot, snapshot(1, 1));
  assertEquals(await storage.loadSnapshot(), snapshot(1, 1));
});

Deno.test("memory storage follows the same snapshot rule as the file storage", () => {
  const storage = new MemoryStorage();
  storage.saveSync({ hardState: { term: 2, vote: "", commit: 4 }, entries: entries(1, 6, 2) });
  storage.saveSnapshotSync(snapshot(4, 2));
  assertEquals(storage.recovered().entries, entries(5, 6, 2));
  storage.saveSnapshotSync(snapshot(5, 3));
  assertEquals(storage.recovered().entries, []);
  storage.saveSync({ hardState: null, entries: [entry(6, 3)] });
  storage.compactSync(6);
  storage.crash();
  assertEquals(storage.recovered().entries, [entry(6, 3)]);
  assertThrows(() => storage.saveSnapshotSync(snapshot(4, 2)), /a newer one covers 5/);
});

Deno.test("a torn save keeps a prefix of the entries and none of the hard state", () => {
  const storage = new MemoryStorage();
  storage.saveSync({ hardState: { term: 1, vote: "n1", commit: 1 }, entries: entries(1, 4, 1) });
  storage.tornSave({ hardState: { term: 2, vote: "n2", commit: 2 }, entries: entries(3, 6, 2) }, 2);
  storage.crash();
  assertEquals(storage.recovered().hardState, { term: 1, vote: "n1", commit: 1 });
  assertEquals(storage.recovered().entries, [...entries(1, 2, 1), ...entries(3, 4, 2)]);
});

Deno.test("memory storage checks batches like the file storage", async () => {
  const storage = new MemoryStorage();
  storage.saveSync({ hardState: { term: 2, vote: "n1", commit: 2 }, entries: entries(1, 3, 2) });
  assertThrows(
    () => storage.saveSync({ hardState: null, entries: [entry(5, 2)] }),
    /the log ends at 3/,
  );
  assertThrows(
    () => storage.saveSync({ hardState: null, entries: [entry(2, 3)] }),
    /committed up to 2/,
  );
  await assertRejects(
    storage.save({ hardState: { term: 2, vote: "n3", commit: 2 }, entries: [] }),
    /already voted/,
  );
  assertEquals(storage.syncs, 1);
});

Deno.test("an injected failure makes every later call fail with a StorageError", async () => {
  const storage = new MemoryStorage();
  storage.fail('Cannot sync "wal": disk full');
  const error = await storage.save({ hardState: null, entries: [entry(1, 1)] }).catch((caught) =>
    caught
  );
  assertTrue(error instanceof StorageError);
  assertThrows(() => storage.recovered(), /disk full/);
  await assertRejects(storage.saveSnapshot(snapshot(1, 1)), /disk full/);
});
