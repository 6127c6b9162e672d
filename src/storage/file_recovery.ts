/**
 * The read side of opening a data directory: replaying the WAL against the
 * newest snapshot, and finishing a reset that a crash interrupted.
 *
 * @module
 */

import type { Entry, Snapshot } from "../raft/types.ts";
import type { Logger } from "../log.ts";
import { StorageError } from "./errors.ts";
import { listFiles, removeFile, syncDir } from "./fs_util.ts";
import { readIdentity, writeIdentity } from "./identity.ts";
import { parseSegmentName, type SegmentInfo } from "./wal_segments.ts";
import { reconcile, type ReplayResult, WalReplay } from "./wal_replay.ts";

/** The file recording a reset in progress: `{"clusterId": "..."}`. */
export const RESET_FILE = "reset.pending";

/** Everything recovery reads from disk, before the writer is set up. */
export interface DiskState {
  replay: ReplayResult;
  segments: SegmentInfo[];
  snapshot: Snapshot | null;
  /** Entries after the snapshot. */
  entries: Entry[];
  /** The WAL must restart the log after the snapshot before new appends. */
  needsRestart: boolean;
}

/** Logs the torn record recovery found at the end of the log, if any (it is cut on open). */
export function reportTornTail(disk: DiskState, logger: Logger): void {
  const tail = disk.replay.tail;
  if (tail === null) return;
  logger.warn("cut a torn record off the end of the log", {
    file: tail.name,
    offset: tail.offset,
    bytes: tail.bytes,
    reason: tail.reason,
  });
}

/**
 * Reads and replays every segment of `walDir` (one in memory at a time) and
 * reconciles the log with `snapshot`. Throws a {@link StorageError} on
 * corruption; a torn tail is returned in `replay.tail`, not yet cut.
 */
export async function readWal(walDir: string, snapshot: Snapshot | null): Promise<DiskState> {
  const names = (await listFiles(walDir)).filter((name) => parseSegmentName(name) !== null);
  const replay = new WalReplay();
  for (let i = 0; i < names.length; i++) {
    const path = `${walDir}/${names[i]}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw new StorageError(`Cannot read "${path}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    replay.feed(
      { name: path, firstIndex: parseSegmentName(names[i]!)!, bytes },
      i === names.length - 1,
    );
  }
  const result = replay.result();
  const firstSegmentIndex = result.segments[0]?.firstIndex ?? (snapshot?.meta.index ?? 0) + 1;
  const reconciled = reconcile(result, snapshot, firstSegmentIndex);
  const segments = result.segments.map((segment) => ({
    path: segment.name,
    firstIndex: segment.firstIndex,
    bytes: segment.validBytes,
    maxEntryIndex: segment.maxEntryIndex,
  }));
  return {
    replay: result,
    segments,
    snapshot,
    entries: reconciled.entries,
    needsRestart: reconciled.needsRestart,
  };
}

/** Completes a reset whose intent file exists: wipe log and snapshots, then rewrite `node.json`. */
export async function finishPendingReset(dir: string): Promise<void> {
  const path = `${dir}/${RESET_FILE}`;
  let clusterId: string;
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path)) as { clusterId?: unknown };
    if (typeof parsed.clusterId !== "string") throw new Error("no cluster id");
    clusterId = parsed.clusterId;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new StorageError(`Cannot read "${path}": ${(error as Error).message}`);
  }
  const identity = await readIdentity(dir);
  if (identity === null) {
    throw new StorageError(`Cannot finish the reset of "${dir}": node.json is missing`);
  }
  for (const sub of ["wal", "snap"]) {
    for (const name of await listFiles(`${dir}/${sub}`)) await removeFile(`${dir}/${sub}/${name}`);
  }
  await syncDir(`${dir}/wal`);
  await syncDir(`${dir}/snap`);
  await writeIdentity(dir, { nodeId: identity.nodeId, clusterId });
  await removeFile(path);
  await syncDir(dir);
}
