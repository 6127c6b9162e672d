/**
 * Reading a backup file from disk a bounded piece at a time, every frame
 * checked as it is read (`backup_file.ts`), so that a saved backup can be
 * verified and a restore can refuse a damaged one before it writes anything.
 *
 * @module
 */

import { BACKUP_FRAME_BYTES_MAX, BackupReader, type BackupSummary } from "./backup_file.ts";
import { ioError } from "./errors.ts";
import { openForRead } from "./fs_util.ts";

/** What {@link readBackupFile} calls as it goes. */
export interface BackupFileHandlers {
  /** Each checked payload of the snapshot, in order (a fresh array the caller may keep). */
  onPayload?(bytes: Uint8Array): void;
  /** After each piece read from the file: how many bytes that was. */
  onBytes?(bytes: number): void;
}

/**
 * Reads and checks the backup at `path` to its end; answers what it holds.
 * A damaged or truncated file rejects with a `BackupFormatError` naming the
 * offset, an unreadable one with a `StorageError`.
 *
 * @example
 * ```ts
 * import { readBackupFile } from "./backup_read.ts";
 * import { backupChunks } from "./backup_file.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, ReadableStream.from(backupChunks({ index: 9, term: 2 }, [])));
 * const summary = await readBackupFile(path);
 * if (summary.index !== 9 || summary.snapshotBytes !== 0) throw new Error();
 * await Deno.remove(path);
 * ```
 */
export async function readBackupFile(
  path: string,
  handlers: BackupFileHandlers = {},
): Promise<BackupSummary> {
  const file = await openForRead(path);
  const reader = new BackupReader();
  const buffer = new Uint8Array(BACKUP_FRAME_BYTES_MAX);
  try {
    for (;;) {
      let read: number | null;
      try {
        read = await file.read(buffer);
      } catch (error) {
        throw ioError("read", path, error);
      }
      if (read === null) break;
      for (const payload of reader.push(buffer.subarray(0, read))) handlers.onPayload?.(payload);
      handlers.onBytes?.(read);
    }
  } finally {
    file.close();
  }
  return reader.finish();
}
