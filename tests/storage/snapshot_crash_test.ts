/**
 * Crashes around snapshots and segment rolls: each leaves a directory that
 * opens to the last synced state.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import {
  decodeSnapshot,
  encodeSnapshot,
  parseSnapshotName,
  snapshotFileName,
} from "../../src/storage/snapshot_file.ts";
import { verifySnapshotFile } from "../../src/storage/snapshot_store.ts";
import {
  entries,
  entry,
  fileNames,
  openStorage,
  segmentPaths,
  snapshot,
  withTempDir,
} from "./helpers.ts";

const hs = (term: number, vote: string, commit: number) => ({ term, vote, commit });

/** Entries 1..8 one per segment (40-byte bound), then snapshots at 3 and at 6. */
async function twoSnapshots(dir: string): Promise<Awaited<ReturnType<typeof openStorage>>> {
  const storage = await openStorage(dir, { segmentBytesMax: 40 });
  for (let index = 1; index <= 8; index++) {
    await storage.save({ hardState: hs(1, "n1", index - 1), entries: [entry(index, 1)] });
  }
  await storage.saveSnapshot(snapshot(3, 1));
  await storage.saveSnapshot(snapshot(6, 1));
  return storage;
}

Deno.test("a crash while writing a snapshot leaves the previous one in use", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 6), entries: entries(1, 8, 1) });
    await storage.saveSnapshot(snapshot(3, 1));
    await storage.close();
    // The crash came before the rename: only part of the temporary file exists.
    const [header] = encodeSnapshot(snapshot(6, 1, 1000));
    await Deno.writeFile(`${dir}/snap/${snapshotFileName(1, 6)}.tmp`, header);
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, snapshot(3, 1));
    assertEquals(reopened.recovered().entries, entries(4, 8, 1));
    assertEquals(
      await fileNames(dir, "snap"),
      [snapshotFileName(1, 3)],
      "the stray file is removed",
    );
    await reopened.close();
  });
});

Deno.test("a damaged newest snapshot is set aside and the previous one used", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 6), entries: entries(1, 8, 1) });
    await storage.saveSnapshot(snapshot(3, 1));
    await storage.saveSnapshot(snapshot(6, 1));
    await storage.close();
    const path = `${dir}/snap/${snapshotFileName(1, 6)}`;
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 5));
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, snapshot(3, 1));
    assertEquals(reopened.recovered().entries, entries(4, 8, 1));
    assertEquals(reopened.log.length, 1);
    assertTrue(reopened.log[0]!.includes("damaged snapshot"), reopened.log[0]);
    assertEquals(await fileNames(dir, "snap"), [
      snapshotFileName(1, 3),
      `${snapshotFileName(1, 6)}.broken`,
    ]);
    await reopened.close();
  });
});

Deno.test("a damaged newest snapshot falls back to the previous one, whose log compaction kept", async () => {
  await withTempDir(async (dir) => {
    const storage = await twoSnapshots(dir);
    await storage.compact(6);
    assertEquals((await fileNames(dir, "wal"))[0], "0000000000000004.wal", "1..3 are deleted");
    await storage.close();
    await Deno.writeFile(`${dir}/snap/${snapshotFileName(1, 6)}`, new Uint8Array(40));
    const reopened = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(reopened.recovered().snapshot, snapshot(3, 1));
    assertEquals(reopened.recovered().entries, entries(4, 8, 1));
    assertTrue(reopened.log[0]!.includes("damaged snapshot"), reopened.log[0]);
    await reopened.close();
  });
});

Deno.test("a damaged previous snapshot found by compaction is set aside and the log kept", async () => {
  await withTempDir(async (dir) => {
    const storage = await twoSnapshots(dir);
    await storage.close();
    // The previous snapshot rots while the node is down; open reads only the newest.
    await Deno.writeFile(`${dir}/snap/${snapshotFileName(1, 3)}`, new Uint8Array(40));
    const reopened = await openStorage(dir, { segmentBytesMax: 40 });
    await reopened.compact(6);
    assertEquals((await fileNames(dir, "wal"))[0], "0000000000000001.wal", "nothing deleted");
    assertEquals(await fileNames(dir, "snap"), [
      `${snapshotFileName(1, 3)}.broken`,
      snapshotFileName(1, 6),
    ]);
    assertTrue(reopened.log.some((line) => line.includes("damaged older snapshot")));
    await reopened.close();
  });
});

Deno.test("a snapshot file is read back and verified before it counts", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/${snapshotFileName(2, 9)}`;
    const name = parseSnapshotName(snapshotFileName(2, 9))!;
    const bytes = new Uint8Array(
      encodeSnapshot(snapshot(9, 2, 3_000_000)).flatMap((chunk) => [...chunk]),
    );
    await Deno.writeFile(path, bytes);
    assertEquals(await verifySnapshotFile(path, name), null);
    for (const position of [0, 5, 12, 40, 1_048_580, bytes.length - 1]) {
      const damaged = bytes.slice();
      damaged[position] = damaged[position]! ^ 0x10;
      await Deno.writeFile(path, damaged);
      assertEquals(typeof await verifySnapshotFile(path, name), "string", `flip at ${position}`);
    }
    await Deno.writeFile(path, bytes.subarray(0, 20));
    assertEquals(await verifySnapshotFile(path, name), "file of 20 bytes is too short");
  });
});

Deno.test("every flipped bit of a snapshot file is detected", () => {
  const bytes = new Uint8Array(encodeSnapshot(snapshot(9, 4, 20)).flatMap((chunk) => [...chunk]));
  const name = parseSnapshotName(snapshotFileName(4, 9))!;
  assertEquals(decodeSnapshot(bytes, name), snapshot(9, 4, 20));
  for (let position = 0; position < bytes.length; position++) {
    for (let bit = 0; bit < 8; bit++) {
      const damaged = bytes.slice();
      damaged[position] = damaged[position]! ^ (1 << bit);
      assertEquals(typeof decodeSnapshot(damaged, name), "string", `flip at ${position}.${bit}`);
    }
  }
});

Deno.test("a crash between a snapshot and segment deletion recovers, and compaction resumes", async () => {
  await withTempDir(async (dir) => {
    const storage = await twoSnapshots(dir);
    await storage.close(); // the crash: compact(6) never ran
    const segmentsBefore = (await segmentPaths(dir)).length;
    const reopened = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(reopened.recovered().snapshot, snapshot(6, 1));
    assertEquals(reopened.recovered().entries, entries(7, 8, 1));
    await reopened.compact(6);
    assertTrue((await segmentPaths(dir)).length < segmentsBefore, "old segments are deleted now");
    await reopened.close();
    const again = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(again.recovered().entries, entries(7, 8, 1));
    assertEquals(again.recovered().hardState, hs(1, "n1", 7));
    await again.close();
  });
});

Deno.test("a crash between an installed snapshot and its log restart drops the old log", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(2, "n1", 2), entries: entries(1, 8, 2) });
    await storage.close();
    // The leader's snapshot reached disk; the WAL record restarting the log did not.
    await Deno.writeFile(
      `${dir}/snap/${snapshotFileName(3, 5)}`,
      new Uint8Array(encodeSnapshot(snapshot(5, 3)).flatMap((c) => [...c])),
    );
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, snapshot(5, 3));
    assertEquals(reopened.recovered().entries, [], "entries 6..8 belong to another history");
    await reopened.save({ hardState: hs(3, "", 5), entries: [entry(6, 3)] });
    await reopened.close();
    const again = await openStorage(dir);
    assertEquals(again.recovered().entries, [entry(6, 3)]);
    await again.close();
  });
});

Deno.test("a crash right after a segment roll keeps term and vote through later compaction", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 40 });
    await storage.save({ hardState: hs(7, "n2", 0), entries: entries(1, 2, 7) });
    await storage.close();
    // The roll to segment 3 happened, its first batch never landed.
    await Deno.writeFile(`${dir}/wal/0000000000000003.wal`, new Uint8Array([1, 2, 3]));
    const reopened = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(reopened.recovered().entries, entries(1, 2, 7));
    await reopened.save({ hardState: hs(7, "n2", 3), entries: [entry(3, 7)] });
    await reopened.save({ hardState: hs(7, "n2", 4), entries: [entry(4, 7)] });
    await reopened.saveSnapshot(snapshot(2, 7));
    await reopened.saveSnapshot(snapshot(3, 7));
    await reopened.compact(3);
    assertEquals(await fileNames(dir, "wal"), ["0000000000000003.wal", "0000000000000004.wal"]);
    await reopened.close();
    const again = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(again.recovered().hardState, hs(7, "n2", 4));
    assertEquals(again.recovered().entries, [entry(4, 7)]);
    await again.close();
  });
});
