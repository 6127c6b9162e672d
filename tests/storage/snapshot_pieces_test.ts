/**
 * Snapshots written from pieces as they are encoded, and read back in
 * ranges to send to a follower.
 */

import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { snapshotFileName } from "../../src/storage/snapshot_file.ts";
import { SNAPSHOT_SYNC_BYTES } from "../../src/storage/snapshot_writer.ts";
import { entries, fileNames, openStorage, snapshot, withTempDir } from "./helpers.ts";

const hs = (term: number, vote: string, commit: number) => ({ term, vote, commit });

/** `data` cut into pieces of `bytes`, produced one at a time as an encoder would. */
async function* piecesOf(data: Uint8Array, bytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += bytes) {
    await Promise.resolve();
    yield data.slice(offset, offset + bytes);
  }
}

Deno.test("a snapshot written in pieces reads back whole after a reopen, and in ranges", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 8), entries: entries(1, 8, 1) });
    // Larger than one sync's worth, so the periodic syncs run too.
    const whole = snapshot(6, 1, SNAPSHOT_SYNC_BYTES + 12_345);
    const written = await storage.writeSnapshot(whole.meta, piecesOf(whole.data, 100_003));
    assertEquals(written, whole.data.length);
    const reader = await storage.openSnapshot(6);
    assertTrue(reader !== null, "the newest snapshot opens");
    assertEquals(reader.meta, whole.meta);
    assertEquals(reader.bytes, whole.data.length);
    assertEquals(await reader.read(1000, 10), whole.data.slice(1000, 1010));
    assertEquals(await reader.read(whole.data.length - 3, 10), whole.data.slice(-3));
    reader.close();
    assertEquals(await storage.openSnapshot(5), null, "only the newest snapshot opens");
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, whole);
    assertEquals(reopened.recovered().entries, entries(7, 8, 1));
    await reopened.close();
  });
});

Deno.test("pieces that stop coming leave no file behind and the previous snapshot in use", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 8), entries: entries(1, 8, 1) });
    await storage.saveSnapshot(snapshot(3, 1));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1000);
      throw new Error("Snapshot cancelled");
    }
    const meta = snapshot(6, 1).meta;
    await assertRejects(storage.writeSnapshot(meta, failing()), /cancelled/);
    assertEquals(await fileNames(dir, "snap"), [snapshotFileName(1, 3)], "no temporary file");
    await storage.save({ hardState: hs(1, "n1", 8), entries: [] });
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, snapshot(3, 1));
    await reopened.close();
  });
});

Deno.test("a snapshot opened to send stays readable after compaction deletes its file", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 9), entries: entries(1, 9, 1) });
    const first = snapshot(3, 1, 5000);
    await storage.saveSnapshot(first);
    const reader = await storage.openSnapshot(3);
    await storage.saveSnapshot(snapshot(6, 1));
    await storage.saveSnapshot(snapshot(9, 1));
    await storage.compact(9);
    assertTrue(!(await fileNames(dir, "snap")).includes(snapshotFileName(1, 3)), "deleted");
    assertEquals(await reader!.read(0, 5000), first.data);
    reader!.close();
    await storage.close();
  });
});
