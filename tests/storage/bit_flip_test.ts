/**
 * A flipped bit must never go unnoticed: in the last write (batch) it reads
 * as a torn write and is cut off from the damaged record on; anywhere
 * before, recovery stops with an error naming the file and the damaged
 * record's offset.
 */

import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { StorageError } from "../../src/storage/errors.ts";
import { replayWal } from "../../src/storage/wal_replay.ts";
import { entry, openStorage, segmentPaths, withTempDir } from "./helpers.ts";
import type { FileStorage } from "../../src/storage/file_storage.ts";

/**
 * Writes a small log of several batches and returns its bytes, record start
 * offsets and where the last batch starts.
 */
async function smallLog(
  storage: FileStorage,
  path: () => Promise<string>,
): Promise<{ bytes: Uint8Array; starts: number[]; lastBatch: number }> {
  await storage.save({
    hardState: { term: 1, vote: "n1", commit: 0 },
    entries: [entry(1, 1, 4), entry(2, 1, 0)],
  });
  await storage.save({
    hardState: { term: 1, vote: "n1", commit: 2 },
    entries: [entry(3, 1, 10, "conf")],
  });
  await storage.save({ hardState: { term: 2, vote: "", commit: 2 }, entries: [entry(3, 2, 6)] });
  await storage.save({ hardState: null, entries: [entry(4, 2, 20)] });
  await storage.close();
  const bytes = await Deno.readFile(await path());
  const starts: number[] = [];
  const view = new DataView(bytes.buffer);
  for (let offset = 0; offset < bytes.length; offset += 9 + view.getUint32(offset, true)) {
    starts.push(offset);
  }
  assertEquals(starts.length, 13, "four batch records, entries, hard states, a commit, a truncate");
  const batches = starts.filter((start) => bytes[start + 8] === 6);
  assertEquals(batches.length, 4, "every write starts with a batch record");
  return { bytes, starts, lastBatch: batches[batches.length - 1]! };
}

function recordStart(starts: number[], position: number): number {
  return starts.filter((start) => start <= position).pop()!;
}

Deno.test("every single-bit flip in a small log is detected by replay", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    const { bytes, starts, lastBatch } = await smallLog(
      storage,
      async () => (await segmentPaths(dir))[0]!,
    );
    const intact = replayWal([{ name: "seg", firstIndex: 1, bytes: bytes.subarray(0, lastBatch) }]);
    for (let position = 0; position < bytes.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice();
        damaged[position] = damaged[position]! ^ (1 << bit);
        const segments = [{ name: "seg", firstIndex: 1, bytes: damaged }];
        if (position >= lastBatch) {
          const replay = replayWal(segments);
          assertEquals(
            replay.tail?.offset,
            recordStart(starts, position),
            `flip at ${position}.${bit} cuts the last batch from the damaged record on`,
          );
          assertEquals(replay.entries, intact.entries);
          assertEquals(replay.hardState, intact.hardState);
        } else {
          const at = recordStart(starts, position);
          assertThrows(() => replayWal(segments), new RegExp(`"seg" at offset ${at}:`));
        }
      }
    }
  });
});

Deno.test("a flipped bit on disk: the last batch is cut, earlier ones refuse to open", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir);
    const path = (await segmentPaths(dir))[0]!;
    const { bytes, starts, lastBatch } = await smallLog(storage, () => Promise.resolve(path));
    for (let position = 0; position < bytes.length; position++) {
      const damaged = bytes.slice();
      damaged[position] = damaged[position]! ^ (1 << (position % 8));
      await Deno.writeFile(path, damaged);
      if (position >= lastBatch) {
        const reopened = await openStorage(dir);
        assertEquals(reopened.recovered().entries, [
          entry(1, 1, 4),
          entry(2, 1, 0),
          entry(3, 2, 6),
        ]);
        assertEquals(reopened.recovered().hardState, { term: 2, vote: "", commit: 2 });
        assertEquals(reopened.log.length, 1, "the cut is reported");
        await reopened.close();
        continue;
      }
      const error = await openStorage(dir).then(
        (opened) => opened.close().then(() => null),
        (caught) => caught,
      );
      assertTrue(error instanceof StorageError, `flip at ${position} must be refused`);
      const at = recordStart(starts, position);
      assertTrue(error.message.includes(`"${path}" at offset ${at}:`), error.message);
      assertEquals(await Deno.readFile(path), damaged, "a refused log is left untouched");
    }
  });
});

Deno.test("damage in a segment that is not the last is refused even at its end", async () => {
  await withTempDir(async (dir) => {
    const storage = await openStorage(dir, { segmentBytesMax: 50 });
    await storage.save({ hardState: null, entries: [entry(1, 1), entry(2, 1)] });
    await storage.save({ hardState: null, entries: [entry(3, 1)] });
    await storage.close();
    const [first] = await segmentPaths(dir);
    const bytes = await Deno.readFile(first!);
    await Deno.writeFile(first!, bytes.subarray(0, bytes.length - 1));
    const error = await openStorage(dir).catch((caught) => caught);
    assertTrue(error instanceof StorageError, String(error));
    assertTrue(
      error.message.includes(`"${first}" at offset 50: record runs past the end`),
      error.message,
    );
  });
});
