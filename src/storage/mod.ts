/**
 * Durable storage for rafter: the flat-file implementation for real nodes,
 * its in-memory twin, and the pieces the driver needs around them.
 *
 * @example
 * ```ts
 * import { MemoryStorage, StorageError } from "./mod.ts";
 * const storage = new MemoryStorage();
 * storage.fail("Cannot sync: disk full");
 * await storage.save({ hardState: null, entries: [] }).then(
 *   () => { throw new Error("expected a failure"); },
 *   (error) => { if (!(error instanceof StorageError)) throw error; },
 * );
 * ```
 *
 * @module
 */

export type { NodeIdentity, RecoveredState, SaveBatch, Storage } from "./types.ts";
export { FileStorage, type FileStorageOptions, SEGMENT_BYTES_MAX_DEFAULT } from "./file_storage.ts";
export { MemoryStorage } from "./memory_storage.ts";
export { StorageError } from "./errors.ts";
export { GroupCommit } from "./group_commit.ts";
export { mergeBatches } from "./batch.ts";
export { crc32c } from "./crc32c.ts";
