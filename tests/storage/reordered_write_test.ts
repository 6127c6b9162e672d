/**
 * A disk may persist the sectors of one write out of order and then lose
 * power: the last write then holds a damaged record followed by intact ones.
 * That write was never synced, so never acknowledged: recovery cuts it from
 * the damaged record on. Damage followed by a later write's batch record is
 * corruption of synced data and refuses to open.
 */

import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { crc32cUpdate } from "../../src/storage/crc32c.ts";
import { RecordEncoder } from "../../src/storage/wal_encoder.ts";
import { replayWal } from "../../src/storage/wal_replay.ts";
import { entries, entry, openStorage, segmentPaths, withTempDir } from "./helpers.ts";

const hs = (term: number, vote: string, commit: number) => ({ term, vote, commit });

/** Offsets of every record in `bytes`, following the stored lengths. */
function recordStarts(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 9 + view.getUint32(offset, true)) {
    starts.push(offset);
  }
  return starts;
}

/** Three synced batches; the last one holds a batch record, three entries and a hard state. */
async function writeThreeBatches(dir: string): Promise<{ path: string; bytes: Uint8Array }> {
  const storage = await openStorage(dir);
  await storage.save({ hardState: hs(1, "n1", 0), entries: entries(1, 2, 1) });
  await storage.save({ hardState: hs(1, "n1", 2), entries: entries(3, 4, 1) });
  await storage.save({ hardState: hs(2, "n2", 4), entries: entries(5, 7, 2, 600) });
  await storage.close();
  const path = (await segmentPaths(dir))[0]!;
  return { path, bytes: await Deno.readFile(path) };
}

Deno.test("a lost sector inside the last write is cut as a torn tail though later records survived", async () => {
  await withTempDir(async (dir) => {
    const { path, bytes } = await writeThreeBatches(dir);
    const starts = recordStarts(bytes);
    const lastBatch = starts.filter((start) => bytes[start + 8] === 6).pop()!;
    const inLast = starts.filter((start) => start >= lastBatch);
    assertEquals(inLast.length, 5, "batch record, three entries, hard state");
    // Zero each record of the last write in turn (except the hard state at its
    // end): the records after it are intact, as after an out-of-order flush.
    for (const damagedAt of inLast.slice(0, -1)) {
      const damaged = bytes.slice();
      damaged.fill(0, damagedAt, damagedAt + 12);
      await Deno.writeFile(path, damaged);
      const storage = await openStorage(dir);
      const kept = entries(1, 4, 1).concat(
        entries(5, 7, 2, 600).slice(0, Math.max(0, inLast.indexOf(damagedAt) - 1)),
      );
      assertEquals(storage.recovered().entries, kept, `damage at ${damagedAt}`);
      assertEquals(storage.recovered().hardState, hs(1, "n1", 2), "the unsynced vote is gone");
      assertEquals(storage.log.length, 1, "the cut is reported");
      assertTrue(storage.log[0]!.includes(`"offset":${damagedAt}`), storage.log[0]);
      // The log takes new appends after the cut, and they survive a reopen.
      const next = entry(kept.length + 1, 3);
      await storage.save({ hardState: hs(3, "n3", 4), entries: [next] });
      await storage.close();
      const reopened = await openStorage(dir);
      assertEquals(reopened.recovered().entries, [...kept, next]);
      assertEquals(reopened.log, [], "nothing left to cut");
      await reopened.close();
      await Deno.writeFile(path, bytes);
    }
  });
});

Deno.test("a lost sector in an earlier write refuses to open, naming the later batch record", async () => {
  await withTempDir(async (dir) => {
    const { path, bytes } = await writeThreeBatches(dir);
    const starts = recordStarts(bytes);
    const batches = starts.filter((start) => bytes[start + 8] === 6);
    const secondBatchEntry = starts.find((start) => start > batches[1]!)!;
    const damaged = bytes.slice();
    damaged.fill(0, secondBatchEntry, secondBatchEntry + 12);
    await Deno.writeFile(path, damaged);
    await assertRejects(
      openStorage(dir),
      new RegExp(
        `at offset ${secondBatchEntry}: .*an intact batch record follows at offset ${batches[2]}`,
      ),
    );
    assertEquals(await Deno.readFile(path), damaged, "a refused log is left untouched");
  });
});

/** Encodes records the way the log did before batch records existed. */
function legacySegment(): { bytes: Uint8Array; starts: number[] } {
  const encoder = new RecordEncoder();
  for (const value of entries(1, 3, 1)) encoder.entry(value);
  encoder.hardState(hs(1, "n1", 3));
  const bytes = encoder.bytes().slice();
  return { bytes, starts: recordStarts(bytes) };
}

Deno.test("a segment without batch records keeps the older rule: any intact record after damage refuses", () => {
  const { bytes, starts } = legacySegment();
  const damaged = bytes.slice();
  damaged[starts[1]! + 12] = damaged[starts[1]! + 12]! ^ 1;
  let message = "";
  try {
    replayWal([{ name: "old", firstIndex: 1, bytes: damaged }]);
  } catch (error) {
    message = (error as Error).message;
  }
  assertTrue(
    message.includes(`at offset ${starts[1]}: checksum mismatch (an intact record follows`),
    message,
  );
  const tailDamaged = bytes.slice();
  tailDamaged[starts[3]! + 12] = tailDamaged[starts[3]! + 12]! ^ 1;
  const replay = replayWal([{ name: "old", firstIndex: 1, bytes: tailDamaged }]);
  assertEquals(replay.tail?.offset, starts[3]);
  assertEquals(replay.entries, entries(1, 3, 1));
});

/** A batch record naming `offset`, as bytes, to hide inside an entry's data. */
function forgedBatchRecord(offset: number): Uint8Array {
  const record = new Uint8Array(17);
  const view = new DataView(record.buffer);
  view.setUint32(0, 8, true);
  record[8] = 6;
  view.setUint32(9, offset, true);
  const crc = crc32cUpdate(crc32cUpdate(0, record, 0, 4), record, 8, 17);
  view.setUint32(4, crc, true);
  return record;
}

Deno.test("a batch record inside entry data does not count as a later write", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    await storage.save({ hardState: hs(1, "n1", 0), entries: [entry(1, 1)] });
    // A client value that holds a well-formed batch record, at some offset.
    const data = new Uint8Array(64);
    data.set(forgedBatchRecord(12345), 20);
    await storage.save({
      hardState: null,
      entries: [entry(2, 1), { index: 3, term: 1, type: "normal", data }],
    });
    await storage.close();
    const path = (await segmentPaths(dir))[0]!;
    const bytes = await Deno.readFile(path);
    const starts = recordStarts(bytes);
    const entry2 = starts[starts.length - 2]!;
    const damaged = bytes.slice();
    damaged.fill(0, entry2, entry2 + 12);
    await Deno.writeFile(path, damaged);
    const reopened = await openStorage(dir);
    assertEquals(reopened.recovered().entries, [entry(1, 1)]);
    assertEquals(reopened.log.length, 1);
    await reopened.close();
  });
});
