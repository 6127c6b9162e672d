import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";
import { StorageError } from "../../src/storage/errors.ts";
import { silentLogger } from "../../src/log.ts";
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

Deno.test("a fresh directory gets node.json, wal/ and snap/, and an empty state", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(`${dir}/data`);
    assertEquals(storage.identity(), { nodeId: "n1", clusterId: "" });
    assertEquals(storage.recovered(), { hardState: hs(0, "", 0), snapshot: null, entries: [] });
    await storage.close();
    const json = JSON.parse(await Deno.readTextFile(`${dir}/data/node.json`));
    assertEquals(json, { version: 1, nodeId: "n1", clusterId: "" });
    assertEquals(await fileNames(`${dir}/data`, "wal"), ["0000000000000001.wal"]);
    assertEquals(await fileNames(`${dir}/data`, "snap"), []);
  });
});

Deno.test("entries and hard state survive a reopen", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    const conf = entry(3, 2, 40, "conf");
    await storage.save({ hardState: hs(1, "n1", 0), entries: entries(1, 2, 1) });
    await storage.save({ hardState: hs(2, "n2", 2), entries: [conf] });
    await storage.save({ hardState: hs(2, "n2", 3), entries: [] });
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered(), {
      hardState: hs(2, "n2", 3),
      snapshot: null,
      entries: [...entries(1, 2, 1), conf],
    });
    assertEquals(reopened.log, [], "a clean log reports nothing");
    await reopened.close();
  });
});

Deno.test("batches written from the event loop (up to 64 KiB) and by a worker (above) interleave and survive a reopen", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    // Entry sizes around the 64 KiB line of one write, each batch a single entry.
    const sizes = [8, 64 * 1024 - 200, 64 * 1024 + 200, 100, 200 * 1024, 8];
    const written = sizes.map((bytes, i) => entry(i + 1, 1, bytes));
    for (const [i, e] of written.entries()) {
      await storage.save({ hardState: hs(1, "n1", i + 1), entries: [e] });
    }
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered(), {
      hardState: hs(1, "n1", sizes.length),
      snapshot: null,
      entries: written,
    });
    await reopened.close();
  });
});

Deno.test("a commit-only change appends one 17-byte record after its batch record; an unchanged batch writes nothing", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 0), entries: [entry(1, 1)] });
    const [path] = await segmentPaths(dir);
    const before = (await Deno.stat(path!)).size;
    await storage.save({ hardState: hs(1, "n1", 1), entries: [] });
    assertEquals((await Deno.stat(path!)).size, before + 17 + 17);
    await storage.save({ hardState: hs(1, "n1", 1), entries: [] });
    await storage.save({ hardState: null, entries: [] });
    assertEquals((await Deno.stat(path!)).size, before + 17 + 17);
    await storage.close();
  });
});

Deno.test("a node started with another id refuses the directory", async () => {
  await withTempDir(async (dir) => {
    await (await openStorage(dir)).close();
    await assertRejects(
      FileStorage.open(dir, { nodeId: "n2", logger: silentLogger }),
      /Cannot open ".*" as node "n2": it belongs to node "n1"/,
    );
  });
});

Deno.test("a log without node.json is refused rather than claimed", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 0), entries: [entry(1, 1)] });
    await storage.close();
    await Deno.remove(`${dir}/node.json`);
    await assertRejects(openStorage(dir), /holds a log but no node\.json/);
  });
});

Deno.test("setClusterId is allowed once, persists, and refuses a different id", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.setClusterId("c-1");
    await storage.setClusterId("c-1");
    await assertRejects(storage.setClusterId("c-2"), /node "n1" already belongs to cluster "c-1"/);
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.identity(), { nodeId: "n1", clusterId: "c-1" });
    await reopened.close();
  });
});

Deno.test("reset wipes log and snapshots and records the new cluster id", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 100 });
    await storage.setClusterId("old");
    await storage.save({ hardState: hs(3, "n1", 4), entries: entries(1, 4, 3) });
    await storage.save({ hardState: null, entries: entries(5, 8, 3) });
    await storage.saveSnapshot(snapshot(4, 3));
    await storage.reset("new");
    assertEquals(storage.recovered(), { hardState: hs(0, "", 0), snapshot: null, entries: [] });
    await storage.save({ hardState: hs(1, "n1", 0), entries: [entry(1, 1)] });
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.identity(), { nodeId: "n1", clusterId: "new" });
    assertEquals(reopened.recovered(), {
      hardState: hs(1, "n1", 0),
      snapshot: null,
      entries: [entry(1, 1)],
    });
    assertEquals(await fileNames(dir, "snap"), []);
    await reopened.close();
  });
});

Deno.test("a reset interrupted by a crash is finished on the next open", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(2, "n1", 1), entries: entries(1, 3, 2) });
    await storage.saveSnapshot(snapshot(2, 2));
    await storage.close();
    await Deno.writeTextFile(`${dir}/reset.pending`, JSON.stringify({ clusterId: "adopted" }));
    const reopened = await openStorage(dir);
    assertEquals(reopened.identity(), { nodeId: "n1", clusterId: "adopted" });
    assertEquals(reopened.recovered(), { hardState: hs(0, "", 0), snapshot: null, entries: [] });
    await reopened.close();
    assertEquals((await fileNames(dir, ".")).includes("reset.pending"), false);
  });
});

Deno.test("segments roll over at the size bound, named by their first index", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 150 });
    // Each write is a 17-byte batch record and its records.
    await storage.save({ hardState: null, entries: entries(1, 3, 1) }); // 116 bytes
    await storage.save({ hardState: null, entries: entries(4, 4, 1) }); // 166: full now
    await storage.save({ hardState: hs(1, "n1", 4), entries: entries(5, 9, 1) });
    await storage.save({ hardState: null, entries: entries(10, 10, 1) });
    await storage.close();
    assertEquals(await fileNames(dir, "wal"), [
      "0000000000000001.wal",
      "0000000000000005.wal",
      "0000000000000010.wal",
    ]);
    const reopened = await openStorage(dir, { segmentBytesMax: 150 });
    assertEquals(reopened.recovered().entries, entries(1, 10, 1));
    assertEquals(reopened.recovered().hardState, hs(1, "n1", 4));
    await reopened.close();
  });
});

Deno.test("a replaced suffix stays replaced after reopen, across segments", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 80 });
    await storage.save({ hardState: hs(1, "n1", 2), entries: entries(1, 6, 1) });
    await storage.save({ hardState: null, entries: entries(7, 9, 1) });
    await storage.save({ hardState: hs(2, "n2", 2), entries: entries(4, 5, 2) });
    assertEquals(storage.recovered().entries, [...entries(1, 3, 1), ...entries(4, 5, 2)]);
    await storage.save({ hardState: null, entries: entries(6, 6, 2) });
    await storage.close();
    const reopened = await openStorage(dir, { segmentBytesMax: 80 });
    assertEquals(reopened.recovered().entries, [...entries(1, 3, 1), ...entries(4, 6, 2)]);
    await reopened.close();
  });
});

Deno.test("batches that break the log's rules are rejected and nothing is written", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(2, "n1", 2), entries: entries(1, 3, 2) });
    await assertRejects(
      storage.save({ hardState: null, entries: [entry(5, 2)] }),
      /the log ends at 3/,
    );
    await assertRejects(
      storage.save({ hardState: null, entries: [entry(2, 3)] }),
      /committed up to 2/,
    );
    await assertRejects(storage.save({ hardState: null, entries: [entry(4, 1)] }), /after term 2/);
    await assertRejects(
      storage.save({ hardState: hs(1, "", 2), entries: [] }),
      /stored term "2" is higher/,
    );
    await assertRejects(
      storage.save({ hardState: hs(2, "n3", 2), entries: [] }),
      /already voted for "n1"/,
    );
    await storage.save({ hardState: null, entries: [entry(4, 2)] });
    assertEquals(storage.recovered().entries, entries(1, 4, 2));
    await storage.close();
  });
});

Deno.test("recovered() follows every save, snapshot and compaction without a reopen", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 64 });
    await storage.save({ hardState: hs(1, "n1", 0), entries: entries(1, 5, 1) });
    assertEquals(storage.recovered().entries, entries(1, 5, 1));
    await storage.save({ hardState: hs(1, "n1", 5), entries: entries(6, 8, 1) });
    await storage.saveSnapshot(snapshot(5, 1));
    await storage.compact(5);
    const state = storage.recovered();
    assertEquals(state.hardState, hs(1, "n1", 5));
    assertEquals(state.snapshot, snapshot(5, 1));
    assertEquals(state.entries, entries(6, 8, 1));
    assertEquals(await storage.loadSnapshot(), snapshot(5, 1));
    await storage.close();
  });
});

Deno.test("a snapshot that matches the log keeps the entries after it", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({
      hardState: hs(2, "n1", 6),
      entries: [...entries(1, 3, 1), ...entries(4, 8, 2)],
    });
    await storage.saveSnapshot(snapshot(6, 2));
    await storage.save({ hardState: null, entries: [entry(9, 2)] });
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot, snapshot(6, 2));
    assertEquals(reopened.recovered().entries, entries(7, 9, 2));
    await reopened.close();
  });
});

Deno.test("an installed snapshot from another history drops the whole log", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(2, "n1", 1), entries: entries(1, 8, 2) });
    await storage.saveSnapshot(snapshot(6, 3));
    assertEquals(storage.recovered().entries, []);
    await storage.save({ hardState: hs(3, "n1", 6), entries: entries(7, 7, 3) });
    await storage.close();
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().snapshot?.meta.index, 6);
    assertEquals(reopened.recovered().entries, [entry(7, 3)]);
    await reopened.close();
  });
});

Deno.test("compaction deletes whole segments below the snapshot and keeps one older snapshot", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 60 });
    for (let index = 1; index <= 12; index += 2) {
      await storage.save({
        hardState: hs(1, "n1", index - 1),
        entries: entries(index, index + 1, 1),
      });
    }
    await storage.saveSnapshot(snapshot(3, 1));
    await storage.saveSnapshot(snapshot(6, 1));
    await storage.compact(100);
    assertEquals(await fileNames(dir, "snap"), [
      "0000000000000001-0000000000000003.snap",
      "0000000000000001-0000000000000006.snap",
    ]);
    await storage.saveSnapshot(snapshot(8, 1));
    await storage.compact(7);
    assertEquals(await fileNames(dir, "snap"), [
      "0000000000000001-0000000000000006.snap",
      "0000000000000001-0000000000000008.snap",
    ]);
    // Segments start at 1, 3, 5, ...: those holding only entries at or below 7 go.
    assertEquals(await fileNames(dir, "wal"), [
      "0000000000000007.wal",
      "0000000000000009.wal",
      "0000000000000011.wal",
    ]);
    await storage.close();
    const reopened = await openStorage(dir, { segmentBytesMax: 60 });
    assertEquals(reopened.recovered().entries, entries(9, 12, 1));
    assertEquals(
      reopened.recovered().hardState,
      hs(1, "n1", 10),
      "the hard state survives deletion",
    );
    await reopened.close();
  });
});

Deno.test("the hard state survives compaction of the segments that wrote it", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 40 });
    await storage.save({ hardState: hs(4, "n3", 0), entries: [entry(1, 4)] });
    for (let index = 2; index <= 6; index++) {
      await storage.save({ hardState: null, entries: [entry(index, 4)] });
    }
    await storage.saveSnapshot(snapshot(3, 4));
    await storage.saveSnapshot(snapshot(5, 4));
    await storage.compact(5);
    // One segment per write; the log keeps covering the previous snapshot (3).
    assertEquals(await fileNames(dir, "wal"), [
      "0000000000000004.wal",
      "0000000000000005.wal",
      "0000000000000006.wal",
    ]);
    await storage.close();
    const reopened = await openStorage(dir, { segmentBytesMax: 40 });
    assertEquals(reopened.recovered().hardState, hs(4, "n3", 0));
    assertEquals(reopened.recovered().entries, [entry(6, 4)]);
    await reopened.close();
  });
});

Deno.test("a failed write is fatal: a StorageError naming the file, then every call fails", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 1), entries: [entry(1, 1)] });
    // The snapshot's temporary file lands on a device that is always full.
    await Deno.symlink("/dev/full", `${dir}/snap/0000000000000001-0000000000000001.snap.tmp`);
    const error = await storage.saveSnapshot(snapshot(1, 1)).catch((caught) => caught);
    assertTrue(error instanceof StorageError);
    assertTrue(
      /Cannot write ".*0000000000000001-0000000000000001\.snap\.tmp": /.test(error.message),
      error.message,
    );
    await assertRejects(storage.save({ hardState: null, entries: [entry(2, 1)] }), /Cannot write/);
    await storage.close();
  });
});

Deno.test("a data directory path that is a file is refused with a StorageError", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "x");
    const error = await FileStorage.open(`${dir}/file`, { nodeId: "n1", logger: silentLogger })
      .catch((e) => e);
    assertTrue(error instanceof StorageError, String(error));
    assertTrue(error.message.includes(`${dir}/file/wal`), error.message);
  });
});
