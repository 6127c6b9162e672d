/**
 * A backup of one node's state machine, taken while writes go on: the state
 * is frozen at the applied index (O(1): the record tree copies nodes on
 * write from then on), then encoded and framed a chunk at a time as the
 * reader of the stream asks for bytes, so a slow reader holds back the
 * encoding instead of a whole copy piling up in memory.
 *
 * @module
 */

import { type Backup, UnavailableError } from "../api.ts";
import { encodeSnapshotChunks, type FrozenState } from "../kv/snapshot.ts";
import { backupChunks } from "../storage/backup_file.ts";
import type { Driver } from "./driver.ts";

/**
 * Bytes of snapshot encoded per chunk, and about what the stream keeps
 * encoded ahead of its reader.
 *
 * @example
 * ```ts
 * import { BACKUP_CHUNK_BYTES } from "./backup.ts";
 * if (BACKUP_CHUNK_BYTES !== 256 * 1024) throw new Error();
 * ```
 */
export const BACKUP_CHUNK_BYTES = 256 * 1024;

/**
 * A backup of `driver`'s state machine at its applied index; throws an
 * `UnavailableError` (503, may be asked again) before anything is applied.
 *
 * @example
 * ```ts ignore
 * const backup = openBackup(node.driver);
 * await backup.body.pipeTo((await Deno.create("n1.backup")).writable);
 * ```
 */
export function openBackup(driver: Driver): Backup {
  const frozen = driver.machine.freeze();
  return backupOf(frozen, driver.core.log.term(frozen.appliedIndex));
}

/**
 * The backup of a frozen state whose applied index has `term`, its bytes
 * made as the stream is read.
 *
 * @example
 * ```ts
 * import { backupOf } from "./backup.ts";
 * import { KvStateMachine } from "../kv/state_machine.ts";
 * import { encodePut } from "../kv/command.ts";
 * import { BackupReader } from "../storage/backup_file.ts";
 * const machine = new KvStateMachine();
 * machine.apply({ index: 1, term: 1, type: "normal", data: encodePut("k", "v") });
 * const backup = backupOf(machine.freeze(), 1);
 * const reader = new BackupReader();
 * for await (const bytes of backup.body) reader.push(bytes);
 * if (reader.finish().index !== 1 || backup.keys !== 1) throw new Error();
 * ```
 */
export function backupOf(frozen: FrozenState, term: number): Backup {
  const index = frozen.appliedIndex;
  if (index < 1 || term < 1) {
    throw new UnavailableError(`Nothing to back up yet: this node has applied index "${index}"`);
  }
  const chunks = backupChunks(
    { index, term },
    encodeSnapshotChunks(frozen, BACKUP_CHUNK_BYTES),
  );
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      // Until a chunk's worth waits for the reader: a frame head and its payload, or the end.
      while ((controller.desiredSize ?? 0) > 0) {
        const next = chunks.next();
        if (next.done) return controller.close();
        controller.enqueue(next.value);
      }
    },
    cancel() {
      chunks.return();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: BACKUP_CHUNK_BYTES }));
  return { index, term, keys: frozen.records.size, body };
}
