/**
 * A data directory prepared from a backup: the first node of a new cluster
 * (a new cluster id, the membership reset to this node alone) whose state
 * machine is the backup's, at the backup's index and term. The backup is
 * read and checked whole before anything is written; a directory that is
 * not empty is refused. The other nodes then join the restored one as usual.
 *
 * @module
 */

import type { BackupMeta } from "../storage/backup_file.ts";
import { readBackupFile } from "../storage/backup_read.ts";
import { ioError } from "../storage/errors.ts";
import { FileStorage } from "../storage/file_storage.ts";
import { encodeSnapshot } from "../kv/snapshot.ts";
import { KvStateMachine } from "../kv/state_machine.ts";
import { silentLogger } from "../log.ts";
import type { Member } from "../raft/types.ts";

/** Where and as whom {@link restoreBackup} prepares a node. */
export interface RestoreOptions {
  /** The data directory to create; it must be missing or empty. */
  dataDir: string;
  /** The node the directory is for, the new cluster's only member (a voter). */
  member: Member;
  /** Called as the backup is read, with the bytes of each piece. */
  onBytes?(bytes: number): void;
}

/** What a restore prepared. */
export interface RestoreResult extends BackupMeta {
  /** Keys in the restored state. */
  keys: number;
  /** The new cluster's id. */
  clusterId: string;
  /** Bytes of the backup file. */
  backupBytes: number;
}

/** A copy of `buffer` with room for at least `bytes` (the file grew while it was read). */
function grown(buffer: Uint8Array, bytes: number): Uint8Array {
  const copy = new Uint8Array(Math.max(bytes, 2 * buffer.length));
  copy.set(buffer);
  return copy;
}

/** Throws unless `dir` is missing or an empty directory; answers whether it exists. */
async function requireEmpty(dir: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new Error(`Cannot restore into "${dir}": ${(error as Error).message}`);
  }
  if (!info.isDirectory) throw new Error(`Cannot restore into "${dir}": it is not a directory`);
  for await (const _ of Deno.readDir(dir)) {
    throw new Error(`Cannot restore into "${dir}": it is not empty`);
  }
  return true;
}

/** Reads, checks and decodes the backup at `file`; answers the state machine it holds. */
async function readState(
  file: string,
  onBytes: ((bytes: number) => void) | undefined,
): Promise<{ machine: KvStateMachine; meta: BackupMeta; backupBytes: number }> {
  let fileBytes: number;
  try {
    fileBytes = (await Deno.stat(file)).size;
  } catch (error) {
    throw ioError("open", file, error);
  }
  // The snapshot is shorter than the file that frames it: one buffer, filled as frames arrive.
  let buffer: Uint8Array = new Uint8Array(fileBytes);
  let at = 0;
  const summary = await readBackupFile(file, {
    onPayload: (bytes) => {
      if (at + bytes.length > buffer.length) buffer = grown(buffer, at + bytes.length);
      buffer.set(bytes, at);
      at += bytes.length;
    },
    ...(onBytes === undefined ? {} : { onBytes }),
  });
  const snapshot = buffer.subarray(0, summary.snapshotBytes);
  const machine = new KvStateMachine();
  machine.restore(snapshot);
  if (machine.appliedIndex !== summary.index) {
    throw new Error(
      `Cannot restore "${file}": its header says index "${summary.index}", its snapshot ` +
        `"${machine.appliedIndex}"`,
    );
  }
  const meta = { index: summary.index, term: summary.term };
  return { machine, meta, backupBytes: summary.backupBytes };
}

/**
 * Prepares `options.dataDir` from the backup at `file` for node
 * `options.member`, the only member of a new cluster. Throws before writing
 * anything when the directory is not empty or the backup does not check
 * (`BackupFormatError` with the offset, or `Cannot restore snapshot: ...`);
 * a failure while writing removes what it wrote.
 *
 * @example
 * ```ts
 * import { restoreBackup } from "./restore.ts";
 * import { backupOf } from "./backup.ts";
 * import { KvStateMachine } from "../kv/state_machine.ts";
 * import { encodePut } from "../kv/command.ts";
 * const machine = new KvStateMachine();
 * machine.apply({ index: 1, term: 1, type: "normal", data: encodePut("k", "v") });
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/nightly.backup`, backupOf(machine.freeze(), 1).body);
 * const member = { id: "n1", voter: true, raftAddr: "127.0.0.1:7001", httpAddr: "127.0.0.1:8001" };
 * const restored = await restoreBackup(`${dir}/nightly.backup`, { dataDir: `${dir}/n1`, member });
 * if (restored.index !== 1 || restored.keys !== 1 || restored.clusterId === "") throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function restoreBackup(file: string, options: RestoreOptions): Promise<RestoreResult> {
  const { dataDir } = options;
  const member = { ...options.member, voter: true };
  const existed = await requireEmpty(dataDir);
  const { machine, meta, backupBytes } = await readState(file, options.onBytes);
  const data = encodeSnapshot({ ...machine.freeze(), membership: [member] });
  const clusterId = crypto.randomUUID();
  try {
    const storage = await FileStorage.open(dataDir, { nodeId: member.id, logger: silentLogger });
    try {
      await storage.setClusterId(clusterId);
      await storage.saveSnapshot({ meta: { ...meta, membership: [member] }, data });
      await storage.save({
        hardState: { term: meta.term, vote: "", commit: meta.index },
        entries: [],
      });
    } finally {
      await storage.close();
    }
  } catch (error) {
    await removeWritten(dataDir, existed);
    throw error;
  }
  return { ...meta, keys: machine.size, clusterId, backupBytes };
}

/** Removes what a failed restore wrote: the directory, or its contents when it existed before. */
async function removeWritten(dir: string, existed: boolean): Promise<void> {
  try {
    if (!existed) return await Deno.remove(dir, { recursive: true });
    for await (const entry of Deno.readDir(dir)) {
      await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
    }
  } catch {
    // Nothing more to do: the error that stopped the restore says what went wrong.
  }
}
