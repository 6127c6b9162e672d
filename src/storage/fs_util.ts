/**
 * File-system steps with the durability rules of the storage layer: full
 * writes, synced files and directories, atomic replacement. Every failure
 * becomes a {@link StorageError} naming the file.
 *
 * @module
 */

import { ioError } from "./errors.ts";

/** Writes all of `bytes` to `file`, looping on partial writes. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array, path: string): Promise<void> {
  let done = 0;
  try {
    while (done < bytes.length) done += await file.write(bytes.subarray(done));
  } catch (error) {
    throw ioError("write", path, error);
  }
}

/**
 * Writes all of `bytes` to `file` from the calling thread, looping on partial
 * writes: for a small write into the page cache, cheaper than handing it to
 * a worker thread and waiting to hear back.
 */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array, path: string): void {
  let done = 0;
  try {
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } catch (error) {
    throw ioError("write", path, error);
  }
}

/** Opens `path` for reading; a failure is a {@link StorageError} naming the file. */
export async function openForRead(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    throw ioError("open", path, error);
  }
}

/** Makes the entries of directory `path` (creations, renames, deletions) durable. */
export async function syncDir(path: string): Promise<void> {
  let dir: Deno.FsFile | undefined;
  try {
    dir = await Deno.open(path, { read: true });
    await dir.sync();
  } catch (error) {
    throw ioError("sync directory", path, error);
  } finally {
    dir?.close();
  }
}

/** Creates `path` and its parents if missing. */
export async function ensureDir(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    throw ioError("create directory", path, error);
  }
}

/** The names of the entries of directory `path` that are files. */
export async function listFiles(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) if (entry.isFile) names.push(entry.name);
  } catch (error) {
    throw ioError("list directory", path, error);
  }
  return names.sort();
}

/** Reads `path`, or returns null when it does not exist. */
export async function readFileOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw ioError("read", path, error);
  }
}

/** Removes `path`; a file that is already gone is fine. */
export async function removeFile(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw ioError("remove", path, error);
  }
}

/**
 * Replaces `path` atomically with `chunks`: write a temporary file beside it,
 * sync it, rename it over `path`, sync the directory. A crash leaves either
 * the old file or the new one, plus at most a stray `.tmp` file.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Uint8Array[],
): Promise<void> {
  const path = `${dir}/${name}`;
  const temporary = `${path}.tmp`;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  } catch (error) {
    throw ioError("create", temporary, error);
  }
  try {
    for (const chunk of chunks) await writeAll(file, chunk, temporary);
    await file.syncData().catch((error) => {
      throw ioError("sync", temporary, error);
    });
  } finally {
    file.close();
  }
  await renameIntoPlace(dir, temporary, path);
}

/** Renames the synced file `temporary` to `path` in `dir`, then syncs `dir`. */
export async function renameIntoPlace(dir: string, temporary: string, path: string): Promise<void> {
  try {
    await Deno.rename(temporary, path);
  } catch (error) {
    throw ioError("rename", temporary, error);
  }
  await syncDir(dir);
}
