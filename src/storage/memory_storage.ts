/**
 * The in-memory twin of the file storage, for the deterministic simulator and
 * unit tests. Same interface and rules (batch checks, the snapshot rule), and
 * the same crash model: what a completed save wrote survives, nothing else.
 * Every save here is atomic and complete the moment it returns, so a crash
 * loses nothing that was saved; `tornSave` models a crash in the middle of
 * one. Everything is deep-copied in and out, so callers mutating their arrays
 * cannot change what is "on disk".
 *
 * @module
 */

import type { Entry, HardState, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { RecoveredState, SaveBatch, SnapshotReader, Storage } from "./types.ts";
import { joinPieces, memorySnapshotReader } from "./snapshot_pieces.ts";
import { validateBatch } from "./batch.ts";
import { StorageError } from "./errors.ts";

function copyEntry(entry: Entry): Entry {
  return { index: entry.index, term: entry.term, type: entry.type, data: entry.data.slice() };
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  const { index, term, membership } = snapshot.meta;
  return {
    meta: { index, term, membership: membership.map((member) => ({ ...member })) },
    data: snapshot.data.slice(),
  };
}

/**
 * Storage held in memory; see the module documentation.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./memory_storage.ts";
 * const storage = new MemoryStorage();
 * const data = new Uint8Array([1]);
 * storage.saveSync({ hardState: null, entries: [{ index: 1, term: 1, type: "normal", data }] });
 * data[0] = 9;
 * storage.crash();
 * if (storage.recovered().entries[0]!.data[0] !== 1) throw new Error("disk changed");
 * ```
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = { term: 0, vote: "", commit: 0 };
  #snapshot: Snapshot | null = null;
  /** Entries after the snapshot index, consecutive. */
  #entries: Entry[] = [];
  #failure: Error | null = null;
  /** Number of completed saves that wrote something: what a file storage would sync. */
  syncs = 0;

  get #snapshotIndex(): number {
    return this.#snapshot?.meta.index ?? 0;
  }

  get #lastIndex(): number {
    return this.#entries[this.#entries.length - 1]?.index ?? this.#snapshotIndex;
  }

  #termAt(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshot?.meta.term ?? 0;
    return this.#entries[index - this.#snapshotIndex - 1]?.term;
  }

  #check(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** The state as of the last completed save, deep-copied. */
  recovered(): RecoveredState {
    this.#check();
    return {
      hardState: { ...this.#hardState },
      snapshot: this.#snapshot === null ? null : copySnapshot(this.#snapshot),
      entries: this.#entries.map(copyEntry),
    };
  }

  /** Saves `batch` at once; throws like `save` would reject. */
  saveSync(batch: SaveBatch): void {
    this.#apply(batch, batch.entries.length, true);
  }

  /**
   * Models a crash in the middle of writing `batch`: only its first
   * `keepEntries` entries reach the disk (replacing a conflicting suffix as a
   * full save would) and its hard state does not.
   */
  tornSave(batch: SaveBatch, keepEntries: number): void {
    this.#apply(batch, Math.max(0, Math.min(keepEntries, batch.entries.length)), false);
  }

  #apply(batch: SaveBatch, keepEntries: number, withHardState: boolean): void {
    this.#check();
    const snapshotIndex = this.#snapshotIndex;
    validateBatch(batch, {
      snapshotIndex,
      lastIndex: this.#lastIndex,
      hardState: this.#hardState,
      termAt: (index) => this.#termAt(index),
    });
    const first = batch.entries[0];
    if (first !== undefined && keepEntries > 0) {
      this.#entries.length = first.index - snapshotIndex - 1;
      for (let i = 0; i < keepEntries; i++) this.#entries.push(copyEntry(batch.entries[i]!));
    }
    if (withHardState && batch.hardState !== null) this.#hardState = { ...batch.hardState };
    if (keepEntries > 0 || (withHardState && batch.hardState !== null)) this.syncs++;
  }

  /** Stores `snapshot`; the log is kept after it only if it holds the snapshot's index and term. */
  saveSnapshotSync(snapshot: Snapshot): void {
    this.#check();
    const { index, term } = snapshot.meta;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term) || index < 1 || term < 1) {
      throw new Error(`Cannot save a snapshot with index "${index}" and term "${term}"`);
    }
    if (index < this.#snapshotIndex) {
      throw new Error(
        `Cannot save snapshot at index "${index}": a newer one covers ${this.#snapshotIndex}`,
      );
    }
    const matches = this.#termAt(index) === term;
    this.#entries = matches ? this.#entries.slice(index - this.#snapshotIndex) : [];
    this.#snapshot = copySnapshot(snapshot);
    this.syncs++;
  }

  /** Nothing to delete in memory: entries at or below the snapshot are already gone. */
  compactSync(index: number): void {
    this.#check();
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new Error(`Cannot compact at index "${index}"`);
    }
  }

  /**
   * Models a crash and restart. A no-op: every completed save is durable and
   * there is never a save in progress (see `tornSave` for that case).
   */
  crash(): void {}

  /**
   * Makes every later call fail with a {@link StorageError} carrying
   * `message`, as a full or failing disk would.
   */
  fail(message: string): void {
    this.#failure = new StorageError(message);
  }

  /** Appends and "syncs" one batch. */
  save(batch: SaveBatch): Promise<void> {
    return settle(() => this.saveSync(batch));
  }

  /** Persists a snapshot. */
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return settle(() => this.saveSnapshotSync(snapshot));
  }

  /** Joins `pieces` and persists them as the snapshot of `meta`; answers the bytes. */
  async writeSnapshot(
    meta: SnapshotMeta,
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<number> {
    const data = await joinPieces(pieces);
    this.saveSnapshotSync({ meta, data });
    return data.length;
  }

  /** A reader over a copy of the newest snapshot, or null unless it is at `index`. */
  openSnapshot(index: number): Promise<SnapshotReader | null> {
    return settle(() => {
      this.#check();
      const snapshot = this.#snapshot;
      if (snapshot === null || snapshot.meta.index !== index) return null;
      return memorySnapshotReader(copySnapshot(snapshot));
    });
  }

  /** The newest snapshot, deep-copied, or null. */
  loadSnapshot(): Promise<Snapshot | null> {
    return settle(() => {
      this.#check();
      return this.#snapshot === null ? null : copySnapshot(this.#snapshot);
    });
  }

  /** See {@link compactSync}. */
  compact(index: number): Promise<void> {
    return settle(() => this.compactSync(index));
  }

  /** Nothing to close; the state stays readable through `recovered()`. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function settle<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error);
  }
}
