/**
 * A crash mid-write leaves the last segment cut at any byte. Recovery must
 * yield exactly the records that were whole, cut the rest off (saying so),
 * and keep working after the cut.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import type { Entry, HardState } from "../../src/raft/types.ts";
import type { SaveBatch } from "../../src/storage/types.ts";
import { entry, openStorage, segmentPaths, withTempDir } from "./helpers.ts";

/** One record as the test expects it on disk: its size and what it does. */
interface ExpectedRecord {
  bytes: number;
  apply(state: ModelState): void;
}

interface ModelState {
  hardState: HardState;
  entries: Entry[];
}

const entryRecord = (value: Entry): ExpectedRecord => ({
  bytes: 25 + value.data.length,
  apply: (state) => {
    state.entries = [...state.entries.filter((held) => held.index < value.index), value];
  },
});
const hardStateRecord = (value: HardState): ExpectedRecord => ({
  bytes: 26 + new TextEncoder().encode(value.vote).length,
  apply: (state) => {
    state.hardState = { ...value };
  },
});
const commitRecord = (commit: number): ExpectedRecord => ({
  bytes: 17,
  apply: (state) => {
    state.hardState = { ...state.hardState, commit };
  },
});
/** Every write starts with one; replay skips it. */
const batchRecord: ExpectedRecord = { bytes: 17, apply: () => {} };
const truncateRecord = (index: number): ExpectedRecord => ({
  bytes: 17,
  apply: (state) => {
    state.entries = state.entries.filter((held) => held.index < index);
  },
});

/** The batches written, with the records each must produce, in order. */
function script(): { batch: SaveBatch; records: ExpectedRecord[] }[] {
  const e5 = entry(5, 2, 3);
  const e6 = entry(6, 2, 12);
  const e7 = entry(7, 2, 50);
  return [
    {
      batch: {
        hardState: { term: 1, vote: "n1", commit: 0 },
        entries: [entry(1, 1), entry(2, 1), entry(3, 1)],
      },
      records: [
        batchRecord,
        entryRecord(entry(1, 1)),
        entryRecord(entry(2, 1)),
        entryRecord(entry(3, 1)),
        hardStateRecord({ term: 1, vote: "n1", commit: 0 }),
      ],
    },
    {
      batch: { hardState: { term: 1, vote: "n1", commit: 3 }, entries: [entry(4, 1), entry(5, 1)] },
      records: [batchRecord, entryRecord(entry(4, 1)), entryRecord(entry(5, 1)), commitRecord(3)],
    },
    {
      batch: { hardState: { term: 2, vote: "n2", commit: 4 }, entries: [e5, e6] },
      records: [
        batchRecord,
        truncateRecord(5),
        entryRecord(e5),
        entryRecord(e6),
        hardStateRecord({ term: 2, vote: "n2", commit: 4 }),
      ],
    },
    {
      batch: { hardState: { term: 2, vote: "n2", commit: 6 }, entries: [e7] },
      records: [batchRecord, entryRecord(e7), commitRecord(6)],
    },
  ];
}

/** The expected state when the file holds its first `bytes` bytes, and the whole-record boundary. */
function expectedAt(bytes: number): { state: ModelState; boundary: number } {
  const state: ModelState = { hardState: { term: 0, vote: "", commit: 0 }, entries: [] };
  let offset = 0;
  for (const { records } of script()) {
    for (const record of records) {
      if (offset + record.bytes > bytes) return { state, boundary: offset };
      offset += record.bytes;
      record.apply(state);
    }
  }
  return { state, boundary: offset };
}

/** Bytes of the first `count` batches' records. */
function batchesEnd(count: number): number {
  return script().slice(0, count).flatMap((step) => step.records).reduce(
    (sum, record) => sum + record.bytes,
    0,
  );
}

Deno.test("a segment cut at every byte offset recovers exactly its whole records", async () => {
  await withTempDir(async (dir) => {
    const writer = await openStorage(dir);
    for (const { batch } of script()) await writer.save(batch);
    await writer.close();
    const [path] = await segmentPaths(dir);
    const full = await Deno.readFile(path!);
    assertEquals(full.length, expectedAt(Infinity).boundary, "the model knows every record's size");
    for (let cut = 0; cut <= full.length; cut++) {
      await Deno.writeFile(path!, full.subarray(0, cut));
      const { state, boundary } = expectedAt(cut);
      const storage = await openStorage(dir);
      const recovered = storage.recovered();
      assertEquals(recovered.hardState, state.hardState, `hard state after a cut at ${cut}`);
      assertEquals(recovered.entries, state.entries, `entries after a cut at ${cut}`);
      assertEquals(storage.log.length, cut === boundary ? 0 : 1, `log lines after a cut at ${cut}`);
      if (cut !== boundary) {
        assertTrue(storage.log[0]!.includes(`"offset":${boundary}`), storage.log[0]);
      }
      await storage.close();
      assertEquals((await Deno.stat(path!)).size, boundary, `the torn tail is cut off at ${cut}`);
    }
  });
});

Deno.test("after cutting a torn tail inside the last two batches the log takes new appends", async () => {
  await withTempDir(async (dir) => {
    const writer = await openStorage(dir);
    for (const { batch } of script()) await writer.save(batch);
    await writer.close();
    const [path] = await segmentPaths(dir);
    const full = await Deno.readFile(path!);
    for (let cut = batchesEnd(2); cut < full.length; cut++) {
      await Deno.writeFile(path!, full.subarray(0, cut));
      const storage = await openStorage(dir);
      const before = storage.recovered().entries;
      const next = entry(before[before.length - 1]!.index + 1, 3, 5);
      await storage.save({ hardState: null, entries: [next] });
      await storage.close();
      const reopened = await openStorage(dir);
      assertEquals(reopened.recovered().entries, [...before, next], `append after a cut at ${cut}`);
      assertEquals(reopened.log, [], `nothing more to cut after a cut at ${cut}`);
      await reopened.close();
    }
  });
});
