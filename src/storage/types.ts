/**
 * The narrow interface the driver uses to make Raft state durable. Two
 * implementations share it: the flat-file one for real nodes and an in-memory
 * twin with the same crash model for the simulator and unit tests.
 *
 * @module
 */

import type { Entry, HardState, Snapshot, SnapshotMeta } from "../raft/types.ts";

/** The identity written once into a fresh data directory (`node.json`). */
export interface NodeIdentity {
  nodeId: string;
  clusterId: string;
}

/** Everything recovered on open: what was synced before the last crash or stop. */
export interface RecoveredState {
  hardState: HardState;
  /** The newest valid snapshot, or null. */
  snapshot: Snapshot | null;
  /** Log entries after the snapshot's index, consecutive and in order. */
  entries: Entry[];
}

/** One batch to make durable with a single write and a single sync. */
export interface SaveBatch {
  /** Hard state to record, or null when unchanged. */
  hardState: HardState | null;
  /**
   * Entries to append. When the first index is at or below the last stored
   * index, the stored suffix from that index on is replaced (a follower's
   * conflicting suffix, §3.5).
   */
  entries: Entry[];
}

/**
 * A stored snapshot's state machine bytes, read a range at a time (to send
 * it to a follower without holding it in memory). Close it when done; it
 * stays readable after the snapshot is deleted from storage.
 */
export interface SnapshotReader {
  meta: SnapshotMeta;
  /** Bytes of state machine data. */
  bytes: number;
  /** Reads `length` bytes (fewer only at the end) of the data from `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

/** Durable storage for one node. Every method either completes durably or rejects (a fatal error). */
export interface Storage {
  /** The state as of the last completed sync. */
  recovered(): RecoveredState;
  /** Appends and syncs one batch: one write, one `syncData()`. */
  save(batch: SaveBatch): Promise<void>;
  /**
   * Persists a snapshot (temporary file, sync, rename, directory sync). Log
   * entries at or below its index become unneeded; if the log does not hold
   * the snapshot's index with the snapshot's term, the whole log is dropped.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * Persists the snapshot of `meta` whose state machine bytes arrive in
   * `pieces` (an encoding as it goes), as {@link saveSnapshot} does;
   * answers how many data bytes it wrote. A piece is read before the next
   * is asked for: its bytes may be overwritten after that.
   */
  writeSnapshot(
    meta: SnapshotMeta,
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<number>;
  /** The newest durable snapshot to read in ranges, or null unless it is at `index`. */
  openSnapshot(index: number): Promise<SnapshotReader | null>;
  /** The newest durable snapshot, or null. */
  loadSnapshot(): Promise<Snapshot | null>;
  /** Deletes log segments whose entries are all at or below `index`; keeps one older snapshot. */
  compact(index: number): Promise<void>;
  /** Flushes nothing new; closes files. */
  close(): Promise<void>;
}
