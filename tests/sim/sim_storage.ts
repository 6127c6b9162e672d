/**
 * The simulator's storage: the in-memory twin as the disk, with every write
 * pending until the simulator completes it, in order, so it decides when a
 * sync finishes. A crash loses what is still pending (or keeps a torn
 * prefix of the first pending write). A test-only switch acknowledges
 * writes before they are durable, to show the simulator catches that bug.
 *
 * @module
 */

import type { Snapshot, SnapshotMeta } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { joinPieces } from "../../src/storage/snapshot_pieces.ts";
import type {
  NodeIdentity,
  RecoveredState,
  SaveBatch,
  SnapshotReader,
} from "../../src/storage/types.ts";
import type { NodeStorage } from "../../src/node/ports.ts";
import { DurableLog } from "./durable_log.ts";

/** A write waiting for the simulator. */
interface Pending {
  batch: SaveBatch | null;
  snapshot: Snapshot | null;
  resolve(): void;
  reject(error: Error): void;
}

/** What survives a node's crash: its disk and its identity. */
export class SimDisk {
  memory = new MemoryStorage();
  /** What `memory` holds, in brief, for checking the promises of the node's replies. */
  durable = new DurableLog();
  identity: NodeIdentity;

  /** @param nodeId the node it belongs to @param clusterId its cluster, `""` for a fresh node */
  constructor(nodeId: string, clusterId: string) {
    this.identity = { nodeId, clusterId };
  }

  /** Writes `batch` at once, before the node starts (its initial state). */
  seed(batch: SaveBatch): void {
    this.memory.saveSync(batch);
    this.durable.saved(batch);
  }
}

/**
 * Storage over a {@link SimDisk} whose writes complete when the simulator says.
 *
 * @example
 * ```ts
 * import { SimDisk, SimStorage } from "./sim_storage.ts";
 * const storage = new SimStorage(new SimDisk("n1", "c"), false);
 * let done = false;
 * storage.save({ hardState: { term: 1, vote: "", commit: 0 }, entries: [] }).then(() => done = true);
 * storage.completeNext();
 * await Promise.resolve();
 * if (!done || storage.recovered().hardState.term !== 1) throw new Error();
 * ```
 */
export class SimStorage implements NodeStorage {
  readonly disk: SimDisk;
  private readonly pending: Pending[] = [];
  private readonly ackBeforeSync: boolean;
  private crashed = false;

  /**
   * @param disk what the writes land on
   * @param ackBeforeSync the deliberate bug: resolve writes at once, make them durable later
   */
  constructor(disk: SimDisk, ackBeforeSync: boolean) {
    this.disk = disk;
    this.ackBeforeSync = ackBeforeSync;
  }

  /** Writes not completed yet. */
  get pendingCount(): number {
    return this.pending.length;
  }

  identity(): NodeIdentity {
    return { ...this.disk.identity };
  }

  setClusterId(clusterId: string): Promise<void> {
    this.disk.identity = { ...this.disk.identity, clusterId };
    return Promise.resolve();
  }

  reset(clusterId: string): Promise<void> {
    this.disk.memory = new MemoryStorage();
    this.disk.durable = new DurableLog();
    this.disk.identity = { ...this.disk.identity, clusterId };
    return Promise.resolve();
  }

  recovered(): RecoveredState {
    return this.disk.memory.recovered();
  }

  save(batch: SaveBatch): Promise<void> {
    return this.enqueue(batch, null);
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.enqueue(null, snapshot);
  }

  async writeSnapshot(
    meta: SnapshotMeta,
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<number> {
    const data = await joinPieces(pieces);
    await this.saveSnapshot({ meta, data });
    return data.length;
  }

  loadSnapshot(): Promise<Snapshot | null> {
    return this.disk.memory.loadSnapshot();
  }

  openSnapshot(index: number): Promise<SnapshotReader | null> {
    return this.disk.memory.openSnapshot(index);
  }

  compact(index: number): Promise<void> {
    return this.disk.memory.compact(index);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Makes the oldest pending write durable and resolves it; false when none is pending. */
  completeNext(): boolean {
    const next = this.pending.shift();
    if (next === undefined) return false;
    try {
      if (next.batch !== null) {
        this.disk.memory.saveSync(next.batch);
        this.disk.durable.saved(next.batch);
      }
      if (next.snapshot !== null) {
        this.disk.memory.saveSnapshotSync(next.snapshot);
        this.disk.durable.snapshotSaved(next.snapshot.meta.index, next.snapshot.meta.term);
      }
    } catch (error) {
      next.reject(error as Error);
      return true;
    }
    if (!this.ackBeforeSync) next.resolve();
    return true;
  }

  /**
   * The node crashed: pending writes never complete; the first one may
   * leave a torn prefix of its entries (`keepEntries`).
   */
  crash(keepEntries: number): void {
    this.crashed = true;
    const first = this.pending[0];
    if (first?.batch != null && keepEntries > 0 && first.batch.entries.length > 1) {
      const kept = Math.min(keepEntries, first.batch.entries.length - 1);
      this.disk.memory.tornSave(first.batch, kept);
      this.disk.durable.saved(first.batch, kept, false);
    }
    this.pending.length = 0;
  }

  private enqueue(batch: SaveBatch | null, snapshot: Snapshot | null): Promise<void> {
    if (this.crashed) return new Promise(() => {});
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, snapshot, resolve, reject });
      if (this.ackBeforeSync) resolve();
    });
  }
}
