/**
 * The options of a node's flat-file storage, their defaults and their checks.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { StorageError } from "./errors.ts";
import type { WalSyncObserver } from "./wal_segments.ts";

/** Options of `FileStorage.open`. */
export interface FileStorageOptions {
  /** The id of the node opening the directory; must match `node.json` when it exists. */
  nodeId: string;
  /** A segment rolls over once it holds this many bytes (default 64 MiB). */
  segmentBytesMax?: number;
  /** Where recovery reports what it cut or skipped; info-level stderr lines by default. */
  logger?: Logger;
  /** Told the seconds and bytes of every WAL append's sync (metrics, slow-sync warnings). */
  onSynced?: WalSyncObserver;
}

/** The default size at which a WAL segment rolls over. */
export const SEGMENT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/**
 * The segment size `options` ask for in directory `dir`, or the default;
 * throws a {@link StorageError} unless it is a positive integer.
 *
 * @example
 * ```ts
 * import { SEGMENT_BYTES_MAX_DEFAULT, segmentBytesMaxOf } from "./file_options.ts";
 * if (segmentBytesMaxOf("/data", { nodeId: "n1" }) !== SEGMENT_BYTES_MAX_DEFAULT) throw new Error();
 * ```
 */
export function segmentBytesMaxOf(dir: string, options: FileStorageOptions): number {
  const segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_MAX_DEFAULT;
  if (!Number.isSafeInteger(segmentBytesMax) || segmentBytesMax < 1) {
    throw new StorageError(
      `Cannot open "${dir}": segmentBytesMax "${segmentBytesMax}" is not a positive integer`,
    );
  }
  return segmentBytesMax;
}
