/**
 * A snapshot file opened to read its state machine bytes a range at a time:
 * how a leader sends a snapshot to a follower without loading the file. The
 * open handle keeps the bytes readable even if the file is deleted (a newer
 * snapshot compacts it away) before the transfer ends.
 *
 * @module
 */

import { ioError, StorageError } from "./errors.ts";
import { openForRead } from "./fs_util.ts";
import {
  decodeSnapshotHeader,
  membershipBytesOf,
  SNAPSHOT_HEADER_BYTES,
  type SnapshotName,
} from "./snapshot_file.ts";
import type { SnapshotReader } from "./types.ts";

async function readExactly(file: Deno.FsFile, into: Uint8Array, path: string): Promise<number> {
  let filled = 0;
  try {
    while (filled < into.length) {
      const read = await file.read(into.subarray(filled));
      if (read === null) break;
      filled += read;
    }
  } catch (error) {
    throw ioError("read", path, error);
  }
  return filled;
}

async function seek(file: Deno.FsFile, offset: number, path: string): Promise<void> {
  try {
    await file.seek(offset, Deno.SeekMode.Start);
  } catch (error) {
    throw ioError("seek", path, error);
  }
}

/** Most bytes of membership a header may hold: far more than any cluster's members take. */
const MEMBERSHIP_BYTES_MAX = 1024 * 1024;

/** Reads the header of the open file `path` (snapshot `name`); a damaged one is a StorageError. */
async function readHeader(file: Deno.FsFile, path: string, name: SnapshotName) {
  const fixed = new Uint8Array(SNAPSHOT_HEADER_BYTES);
  let header = fixed.subarray(0, await readExactly(file, fixed, path));
  if (header.length === fixed.length) {
    const membershipBytes = Math.min(membershipBytesOf(fixed), MEMBERSHIP_BYTES_MAX);
    header = new Uint8Array(fixed.length + membershipBytes);
    header.set(fixed);
    const read = await readExactly(file, header.subarray(fixed.length), path);
    header = header.subarray(0, fixed.length + read);
  }
  const decoded = decodeSnapshotHeader(header, name);
  if (typeof decoded === "string") throw new StorageError(`Corrupt snapshot "${path}": ${decoded}`);
  return decoded;
}

/**
 * Opens snapshot file `path` (named `name`) to read its data in ranges.
 *
 * @example
 * ```ts
 * import { openSnapshotReader } from "./snapshot_reader.ts";
 * import { writeSnapshotFile } from "./snapshot_writer.ts";
 * import { parseSnapshotName, snapshotFileName } from "./snapshot_file.ts";
 * const dir = await Deno.makeTempDir();
 * const name = parseSnapshotName(snapshotFileName(2, 5))!;
 * await writeSnapshotFile(dir, name.name, { index: 5, term: 2, membership: [] }, [
 *   new Uint8Array([1, 2, 3, 4]),
 * ]);
 * const reader = await openSnapshotReader(`${dir}/${name.name}`, name);
 * await Deno.remove(dir, { recursive: true });
 * const tail = await reader.read(2, 10);
 * reader.close();
 * if (reader.bytes !== 4 || tail.join() !== "3,4") throw new Error();
 * ```
 */
export async function openSnapshotReader(
  path: string,
  name: SnapshotName,
): Promise<SnapshotReader> {
  const file = await openForRead(path);
  try {
    const { meta, dataOffset } = await readHeader(file, path, name);
    let size: number;
    try {
      size = (await file.stat()).size;
    } catch (error) {
      throw ioError("stat", path, error);
    }
    const bytes = Math.max(0, size - dataOffset);
    return {
      meta,
      bytes,
      async read(offset, length) {
        const into = new Uint8Array(Math.max(0, Math.min(length, bytes - offset)));
        await seek(file, dataOffset + offset, path);
        const read = await readExactly(file, into, path);
        if (read < into.length) {
          throw new StorageError(`Cannot read "${path}": it ends at data offset ${offset + read}`);
        }
        return into;
      },
      close: () => file.close(),
    };
  } catch (error) {
    file.close();
    throw error;
  }
}
