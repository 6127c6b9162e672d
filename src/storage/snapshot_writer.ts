/**
 * Writing one snapshot file from pieces as they are produced: to a temporary
 * name, the checksum kept running, synced every few MiB, the header's
 * checksum filled in last, then renamed and the directory synced. Memory
 * holds one piece, and the disk never holds more than a few MiB of the file
 * unsynced: a WAL sync on the same disk then never waits behind a writeback
 * of the whole snapshot (one 100 MB write and sync held the log's syncs for
 * hundreds of milliseconds).
 *
 * @module
 */

import type { SnapshotMeta } from "../raft/types.ts";
import { crc32cUpdate } from "./crc32c.ts";
import { ioError } from "./errors.ts";
import { renameIntoPlace, writeAll } from "./fs_util.ts";
import { encodeSnapshotHeader, SNAPSHOT_CRC_OFFSET } from "./snapshot_file.ts";

/** Bytes written between two syncs of a snapshot file. */
export const SNAPSHOT_SYNC_BYTES = 4 * 1024 * 1024;
/**
 * Writes the snapshot file `name` under `dir` from `meta` and the state
 * machine bytes in `pieces`; answers how many data bytes it wrote. A crash
 * leaves the previous files plus at most a stray `.tmp` file.
 *
 * @example
 * ```ts
 * import { writeSnapshotFile } from "./snapshot_writer.ts";
 * import { decodeSnapshot, parseSnapshotName, snapshotFileName } from "./snapshot_file.ts";
 * const dir = await Deno.makeTempDir();
 * const meta = { index: 5, term: 2, membership: [] };
 * const pieces = [new Uint8Array([1, 2]), new Uint8Array([3])];
 * if (await writeSnapshotFile(dir, snapshotFileName(2, 5), meta, pieces) !== 3) throw new Error();
 * const name = parseSnapshotName(snapshotFileName(2, 5))!;
 * const read = decodeSnapshot(await Deno.readFile(`${dir}/${name.name}`), name);
 * if (typeof read === "string" || read.data.join() !== "1,2,3") throw new Error(String(read));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSnapshotFile(
  dir: string,
  name: string,
  meta: SnapshotMeta,
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  const path = `${dir}/${name}`;
  const temporary = `${path}.tmp`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  } catch (error) {
    throw ioError("create", temporary, error);
  }
  let bytes: number;
  try {
    bytes = await writeContent(file, temporary, meta, pieces);
  } catch (error) {
    // The pieces stopped coming (a cancelled snapshot) or the disk failed: no stray file.
    file.close();
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  file.close();
  await renameIntoPlace(dir, temporary, path);
  return bytes;
}

/** Writes the header, the pieces (synced every few MiB) and the checksum; answers the data bytes. */
async function writeContent(
  file: Deno.FsFile,
  path: string,
  meta: SnapshotMeta,
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  const header = encodeSnapshotHeader(meta);
  await writeAll(file, header, path);
  let crc = crc32cUpdate(0, header, SNAPSHOT_CRC_OFFSET + 4);
  let bytes = 0;
  let unsynced = 0;
  for await (const piece of pieces) {
    await writeAll(file, piece, path);
    crc = crc32cUpdate(crc, piece);
    bytes += piece.length;
    unsynced += piece.length;
    if (unsynced < SNAPSHOT_SYNC_BYTES) continue;
    await syncData(file, path);
    unsynced = 0;
  }
  await writeChecksum(file, crc, path);
  await syncData(file, path);
  return bytes;
}

async function syncData(file: Deno.FsFile, path: string): Promise<void> {
  try {
    await file.syncData();
  } catch (error) {
    throw ioError("sync", path, error);
  }
}

/** Fills in the header's checksum, now that every byte it covers is known. */
async function writeChecksum(file: Deno.FsFile, crc: number, path: string): Promise<void> {
  const field = new Uint8Array(4);
  new DataView(field.buffer).setUint32(0, crc, true);
  try {
    await file.seek(SNAPSHOT_CRC_OFFSET, Deno.SeekMode.Start);
  } catch (error) {
    throw ioError("seek", path, error);
  }
  await writeAll(file, field, path);
}
