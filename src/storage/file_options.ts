/**
 * The options of a node's flat-file storage and their defaults.
 *
 * @module
 */

import type { Logger } from "../log.ts";
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
