/**
 * `rafter snapshot save FILE`: streams a node's backup (`GET /snapshot`)
 * into `FILE.part`, checking every frame as it arrives, syncs it, reads it
 * back from disk to verify the checksum of what was written, and only then
 * renames it to FILE. A failure removes the partial file and leaves an
 * older FILE as it was.
 *
 * @module
 */

import { type RafterClient, UnavailableError } from "../client/mod.ts";
import { BackupReader, type BackupSummary } from "../storage/backup_file.ts";
import { readBackupFile } from "../storage/backup_read.ts";
import { ioError } from "../storage/errors.ts";
import { writeAll } from "../storage/fs_util.ts";
import type { CliIo } from "./io.ts";
import { Progress } from "./progress.ts";

/** A backup saved and verified. */
export interface SavedBackup extends BackupSummary {
  file: string;
  /** The node it came from. */
  from: string;
  /** The mean rate of the download, in bytes per second. */
  bytesPerSecond: number;
}

/** Reads `body` into `out` through a {@link BackupReader}; answers what it held. */
async function receive(
  body: ReadableStream<Uint8Array>,
  out: { file: Deno.FsFile; path: string },
  context: { io: CliIo; progress: Progress; from: string },
): Promise<BackupSummary> {
  const { io, progress } = context;
  const reader = new BackupReader();
  const stream = body.getReader();
  const onAbort = () => void stream.cancel(io.signal.reason).catch(() => {});
  io.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await stream.read();
      } catch (error) {
        if (io.signal.aborted) throw io.signal.reason;
        const reason = error instanceof Error ? error.message : String(error);
        throw new UnavailableError(`Cannot read the backup from "${context.from}": ${reason}`, 0);
      }
      if (io.signal.aborted) throw io.signal.reason;
      if (chunk.done) return reader.finish();
      reader.push(chunk.value);
      await writeAll(out.file, chunk.value, out.path);
      progress.add(chunk.value.length);
    }
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    stream.releaseLock();
  }
}

/** Reads back what was written to `path` and checks it is what arrived. */
async function verify(path: string, received: BackupSummary): Promise<void> {
  const onDisk = await readBackupFile(path);
  if (onDisk.checksum !== received.checksum || onDisk.backupBytes !== received.backupBytes) {
    throw new Error(
      `Cannot save the backup: "${path}" holds ${onDisk.backupBytes} bytes with checksum ` +
        `"${onDisk.checksum}", not the ${received.backupBytes} bytes with "${received.checksum}" received`,
    );
  }
}

/**
 * Saves a backup of the node `client` talks to (one of its endpoints, with
 * failover until one answers) into `file`, with progress on a terminal.
 *
 * @example
 * ```ts ignore
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"] });
 * const saved = await saveBackup(processIo(), client, "nightly.backup");
 * console.log(`index ${saved.index}, checksum ${saved.checksum}`);
 * ```
 */
export async function saveBackup(
  io: CliIo,
  client: RafterClient,
  file: string,
): Promise<SavedBackup> {
  const response = await client.snapshot({ signal: io.signal });
  const from = response.url === "" ? "the node" : new URL(response.url).origin;
  const path = `${file}.part`;
  let out: Deno.FsFile;
  try {
    out = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    await response.body?.cancel();
    throw ioError("create", path, error);
  }
  const progress = new Progress(io, `snapshot save ${file}`);
  try {
    let summary: BackupSummary;
    try {
      summary = await receive(response.body!, { file: out, path }, { io, progress, from });
      await out.syncData().catch((error) => {
        throw ioError("sync", path, error);
      });
    } finally {
      out.close();
    }
    await verify(path, summary);
    await Deno.rename(path, file).catch((error) => {
      throw ioError("rename", path, error);
    });
    return { ...summary, file, from, bytesPerSecond: progress.bytesPerSecond };
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    throw error;
  }
}
