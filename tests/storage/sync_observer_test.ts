/**
 * The WAL's sync observer: told once per append that reached the disk,
 * with the bytes that append made durable, across segment rolls and resets.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";
import { silentLogger } from "../../src/log.ts";
import { entries, segmentPaths, withTempDir } from "./helpers.ts";

async function walBytes(dir: string): Promise<number> {
  let total = 0;
  for (const path of await segmentPaths(dir)) total += (await Deno.stat(path)).size;
  return total;
}

Deno.test("the sync observer hears every WAL sync, with the bytes it made durable", async () => {
  await withTempDir(async (dir) => {
    const syncs: { seconds: number; bytes: number }[] = [];
    const storage = await FileStorage.open(dir, {
      nodeId: "n1",
      logger: silentLogger,
      segmentBytesMax: 2048,
      onSynced: (seconds, bytes) => syncs.push({ seconds, bytes }),
    });
    const saves = 40;
    for (let i = 0; i < saves; i++) {
      const index = i + 1;
      await storage.save({
        hardState: { term: 1, vote: "n1", commit: i },
        entries: entries(index, index, 1, 100),
      });
    }
    // A commit-only batch writes a small record; an empty batch writes nothing and syncs nothing.
    await storage.save({ hardState: { term: 1, vote: "n1", commit: saves }, entries: [] });
    await storage.save({ hardState: null, entries: [] });
    assertEquals(syncs.length, saves + 1);
    assertTrue((await segmentPaths(dir)).length > 1, "the log rolled over to new segments");
    assertEquals(syncs.reduce((sum, s) => sum + s.bytes, 0), await walBytes(dir));
    assertTrue(syncs.every((s) => s.seconds >= 0 && s.seconds < 60));
    await storage.reset("c2");
    await storage.save({ hardState: { term: 1, vote: "", commit: 0 }, entries: entries(1, 1, 1) });
    assertEquals(syncs.length, saves + 2, "a reset log keeps its observer");
    await storage.close();
  });
});
