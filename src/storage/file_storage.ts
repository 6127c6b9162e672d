/**
 * The flat-file storage of a real node: one write-ahead log (entries and hard
 * state in segments under `wal/`), snapshots under `snap/`, identity in
 * `node.json`. See `docs/STORAGE.md` for the layout and crash behaviour.
 *
 * @module
 */

import type { HardState, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { NodeIdentity, RecoveredState, SaveBatch, SnapshotReader, Storage } from "./types.ts";
import { createLogger, type Logger } from "../log.ts";
import { StorageError } from "./errors.ts";
import { ensureDir, listFiles, removeFile, writeFileAtomic } from "./fs_util.ts";
import { claimIdentity, writeIdentity } from "./identity.ts";
import { LogTerms } from "./log_terms.ts";
import { validateBatch } from "./batch.ts";
import {
  entryRecordBytes,
  hardStateRecordBytesMax,
  NUMBER_RECORD_BYTES,
  RecordEncoder,
} from "./wal_encoder.ts";
import { WalSegments } from "./wal_segments.ts";
import { type FileStorageOptions, segmentBytesMaxOf } from "./file_options.ts";
import { reconcile, WalReplay } from "./wal_replay.ts";
import {
  type DiskState,
  finishPendingReset,
  readWal,
  reportTornTail,
  RESET_FILE,
} from "./file_recovery.ts";
import { SnapshotStore } from "./snapshot_store.ts";
import { piecesOf } from "./snapshot_pieces.ts";

export { type FileStorageOptions, SEGMENT_BYTES_MAX_DEFAULT } from "./file_options.ts";

/**
 * Durable storage on flat files; see the module documentation.
 *
 * @example
 * ```ts
 * import { FileStorage } from "./file_storage.ts";
 * import { silentLogger } from "../log.ts";
 * const dir = await Deno.makeTempDir();
 * const storage = await FileStorage.open(dir, { nodeId: "n1", logger: silentLogger });
 * await storage.save({
 *   hardState: { term: 1, vote: "n1", commit: 0 },
 *   entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array([7]) }],
 * });
 * await storage.close();
 * const reopened = await FileStorage.open(dir, { nodeId: "n1", logger: silentLogger });
 * if (reopened.recovered().entries.length !== 1) throw new Error("entry lost");
 * await reopened.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStorage implements Storage {
  readonly #dir: string;
  readonly #walDir: string;
  readonly #logger: Logger;
  readonly #segmentBytesMax: number;
  readonly #encoder = new RecordEncoder();
  #identity: NodeIdentity;
  #wal: WalSegments;
  #snapshots: SnapshotStore;
  #terms: LogTerms;
  #hardState: HardState;
  #cache: RecoveredState | null;
  #queue: Promise<void> = Promise.resolve();
  #failure: Error | null = null;

  private constructor(
    dir: string,
    options: { identity: NodeIdentity; logger: Logger; segmentBytesMax: number },
    parts: {
      wal: WalSegments;
      snapshots: SnapshotStore;
      terms: LogTerms;
      hardState: HardState;
      cache: RecoveredState;
    },
  ) {
    this.#dir = dir;
    this.#walDir = `${dir}/wal`;
    this.#identity = options.identity;
    this.#logger = options.logger;
    this.#segmentBytesMax = options.segmentBytesMax;
    this.#wal = parts.wal;
    this.#snapshots = parts.snapshots;
    this.#terms = parts.terms;
    this.#hardState = parts.hardState;
    this.#cache = parts.cache;
  }

  /**
   * Opens (creating if missing) the data directory `dir` for node
   * `options.nodeId`, and recovers the log, hard state and newest snapshot.
   * A torn tail of the last segment is cut and logged; other damage rejects
   * with a {@link StorageError} naming the file and offset.
   */
  static async open(dir: string, options: FileStorageOptions): Promise<FileStorage> {
    const logger = options.logger ?? createLogger("info");
    const segmentBytesMax = segmentBytesMaxOf(dir, options);
    await ensureDir(`${dir}/wal`);
    await ensureDir(`${dir}/snap`);
    await finishPendingReset(dir);
    const hasLog =
      (await listFiles(`${dir}/wal`)).length + (await listFiles(`${dir}/snap`)).length > 0;
    const identity = await claimIdentity(dir, options.nodeId, hasLog);
    await removeFile(`${dir}/node.json.tmp`);
    await removeFile(`${dir}/${RESET_FILE}.tmp`);
    const { store: snapshots, newest } = await SnapshotStore.open(`${dir}/snap`, logger);
    const disk = await readWal(`${dir}/wal`, newest);
    const snapshotIndex = disk.snapshot?.meta.index ?? 0;
    reportTornTail(disk, logger);
    const wal = await WalSegments.open(`${dir}/wal`, disk.segments, {
      firstIndex: snapshotIndex + 1,
      segmentBytesMax,
      cutTail: disk.replay.tail !== null,
      onSynced: options.onSynced,
    });
    const hardState = disk.replay.hardState;
    const terms = new LogTerms(snapshotIndex, disk.snapshot?.meta.term ?? 0);
    terms.append(disk.entries);
    const cache = { hardState: { ...hardState }, snapshot: disk.snapshot, entries: disk.entries };
    const storage = new FileStorage(dir, { identity, logger, segmentBytesMax }, {
      wal,
      snapshots,
      terms,
      hardState,
      cache,
    });
    await storage.#repairAfterOpen(disk);
    return storage;
  }

  /** Records what recovery found but the WAL does not say yet, before new appends. */
  async #repairAfterOpen(disk: DiskState): Promise<void> {
    const encoder = this.#beginWrite();
    const segments = this.#wal.segments;
    // Every segment but the first starts with the hard state, so deleting old
    // segments never loses term or vote; a segment left empty by a crash right
    // after its roll gets it now.
    if (segments.length > 1 && segments[segments.length - 1]!.bytes === 0) {
      encoder.hardState(this.#hardState);
    }
    if (disk.needsRestart) encoder.restart(this.#terms.snapshotIndex + 1);
    if (encoder.length === NUMBER_RECORD_BYTES) return;
    try {
      await this.#wal.append(encoder.bytes(), 0);
    } catch (error) {
      this.#wal.close();
      throw error;
    }
  }

  /** The node and cluster this directory belongs to. */
  identity(): NodeIdentity {
    return { ...this.#identity };
  }

  /**
   * Records the cluster id of a node that joined a cluster after its
   * directory was created. Allowed only while the stored cluster id is empty
   * (setting the same id again is a no-op).
   */
  setClusterId(clusterId: string): Promise<void> {
    return this.#run(async () => {
      if (clusterId === "") throw new Error(`Cannot set an empty cluster id`);
      const stored = this.#identity.clusterId;
      if (stored === clusterId) return;
      if (stored !== "") {
        throw new Error(
          `Cannot set cluster id "${clusterId}": node "${this.#identity.nodeId}" already belongs to cluster "${stored}"`,
        );
      }
      const identity = { nodeId: this.#identity.nodeId, clusterId };
      await writeIdentity(this.#dir, identity);
      this.#identity = identity;
    });
  }

  /**
   * Wipes every log segment and snapshot and records `clusterId`, leaving an
   * empty state (a pristine node adopted into another cluster). Crash-safe:
   * the intent is written first and finished on the next open.
   */
  reset(clusterId: string): Promise<void> {
    return this.#run(async () => {
      if (clusterId === "") throw new Error(`Cannot reset to an empty cluster id`);
      const text = JSON.stringify({ clusterId });
      await writeFileAtomic(this.#dir, RESET_FILE, [new TextEncoder().encode(text)]);
      this.#wal.close();
      await finishPendingReset(this.#dir);
      this.#identity = { nodeId: this.#identity.nodeId, clusterId };
      this.#snapshots = (await SnapshotStore.open(`${this.#dir}/snap`, this.#logger)).store;
      this.#wal = await WalSegments.open(this.#walDir, [], {
        firstIndex: 1,
        segmentBytesMax: this.#segmentBytesMax,
        cutTail: false,
        onSynced: this.#wal.onSynced,
      });
      this.#terms = new LogTerms(0, 0);
      this.#hardState = { term: 0, vote: "", commit: 0 };
      this.#cache = { hardState: { ...this.#hardState }, snapshot: null, entries: [] };
    });
  }

  /**
   * The state as of the last completed save. Computed from disk (with
   * blocking reads) the first time after a change; meant for startup.
   */
  recovered(): RecoveredState {
    if (this.#failure !== null) throw this.#failure;
    if (this.#cache === null) this.#cache = this.#rescan();
    const cache = this.#cache;
    return {
      hardState: { ...cache.hardState },
      snapshot: cache.snapshot,
      entries: [...cache.entries],
    };
  }

  #rescan(): RecoveredState {
    const replay = new WalReplay();
    const segments = this.#wal.segments;
    segments.forEach((segment, position) => {
      let bytes: Uint8Array;
      try {
        bytes = Deno.readFileSync(segment.path).subarray(0, segment.bytes);
      } catch (error) {
        throw new StorageError(`Cannot read "${segment.path}": ${(error as Error).message}`);
      }
      replay.feed(
        { name: segment.path, firstIndex: segment.firstIndex, bytes },
        position === segments.length - 1,
      );
    });
    const snapshot = this.#snapshots.loadNewestSync();
    const result = replay.result();
    const reconciled = reconcile(result, snapshot, segments[0]?.firstIndex ?? 1);
    return { hardState: result.hardState, snapshot, entries: reconciled.entries };
  }

  /** Appends and syncs one batch: one buffer, one write, one `syncData()`. */
  save(batch: SaveBatch): Promise<void> {
    return this.#run(() => this.#save(batch));
  }

  async #save(batch: SaveBatch): Promise<void> {
    const terms = this.#terms;
    validateBatch(batch, {
      snapshotIndex: terms.snapshotIndex,
      lastIndex: terms.lastIndex,
      hardState: this.#hardState,
      termAt: (index) => terms.termAt(index),
    });
    const entries = batch.entries;
    const first = entries[0];
    const rolled = first !== undefined && this.#wal.shouldRoll(first.index);
    if (rolled) await this.#wal.roll(first.index);
    const encoder = this.#beginWrite();
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) bytes += entryRecordBytes(entries[i]!);
    encoder.reserve(
      bytes + NUMBER_RECORD_BYTES + hardStateRecordBytesMax(batch.hardState ?? this.#hardState) * 2,
    );
    if (rolled) encoder.hardState(this.#hardState);
    if (first !== undefined && first.index <= terms.lastIndex) encoder.truncate(first.index);
    for (let i = 0; i < entries.length; i++) encoder.entry(entries[i]!);
    // The hard state goes last: a torn batch then never records a commit
    // index beyond the entries that made it to disk.
    const hardState = batch.hardState;
    if (hardState !== null) this.#encodeHardState(hardState);
    if (encoder.length === NUMBER_RECORD_BYTES) return;
    await this.#wal.append(encoder.bytes(), entries[entries.length - 1]?.index ?? 0);
    terms.append(entries);
    if (hardState !== null) {
      this.#hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    }
    this.#cache = null;
  }

  /** Empties the encoder and starts the write with its batch record (see `wal_record.ts`). */
  #beginWrite(): RecordEncoder {
    const encoder = this.#encoder;
    encoder.reset();
    encoder.batch(this.#wal.nextOffset);
    return encoder;
  }

  #encodeHardState(next: HardState): void {
    const current = this.#hardState;
    if (next.term === current.term && next.vote === current.vote) {
      if (next.commit !== current.commit) this.#encoder.commit(next.commit);
      return;
    }
    this.#encoder.hardState(next);
  }

  /** Persists `snapshot`, as {@link writeSnapshot} does. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await this.writeSnapshot(snapshot.meta, piecesOf(snapshot.data));
  }

  /**
   * Persists the snapshot of `meta` from the state machine bytes in `pieces`
   * as they come (temporary file synced every few MiB, rename, directory
   * sync, read back and verified: `snapshot_writer.ts`) outside the queue of
   * log writes, so a large snapshot does not hold up the batches saved
   * meanwhile; only adopting it waits its turn. When the log does not hold
   * the snapshot's index with its term, a truncate record then restarts the
   * log after it. Deletes nothing. Answers the data bytes written.
   */
  async writeSnapshot(
    meta: SnapshotMeta,
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<number> {
    if (this.#failure !== null) throw this.#failure;
    const { index, term } = meta;
    let bytes: number;
    try {
      bytes = await this.#snapshots.write(meta, pieces);
    } catch (error) {
      if (error instanceof StorageError) this.#failure ??= error;
      throw error;
    }
    await this.#run(async () => {
      const terms = this.#terms;
      if (index < terms.snapshotIndex) {
        throw new Error(
          `Cannot save snapshot at index "${index}": a newer one covers ${terms.snapshotIndex}`,
        );
      }
      const matches = terms.termAt(index) === term;
      this.#snapshots.register(term, index);
      this.#cache = null;
      if (!matches) {
        const encoder = this.#beginWrite();
        encoder.restart(index + 1);
        await this.#wal.append(encoder.bytes(), 0);
        this.#terms = new LogTerms(index, term);
      } else {
        terms.compactTo(index, term);
      }
    });
    return bytes;
  }

  /** The newest durable snapshot to read in ranges, or null unless it is at `index`. */
  openSnapshot(index: number): Promise<SnapshotReader | null> {
    return this.#run(() => this.#snapshots.open(index));
  }

  /** The newest durable snapshot, or null. */
  loadSnapshot(): Promise<Snapshot | null> {
    return this.#run(() => this.#snapshots.loadNewest());
  }

  /**
   * Deletes the oldest segments whose entries are all at or below both
   * `index` and the previous snapshot's index (never the segment being
   * written), and snapshots older than the previous one. The log keeps
   * covering the previous snapshot, read back and verified, so a newest
   * snapshot found damaged on open always has one to fall back to.
   */
  compact(index: number): Promise<void> {
    return this.#run(async () => {
      const fallback = await this.#snapshots.fallbackIndex();
      await this.#wal.deleteThrough(Math.min(index, this.#terms.snapshotIndex, fallback));
      await this.#snapshots.deleteOld();
    });
  }

  /** Waits for pending work and closes the open segment. Later calls reject. */
  close(): Promise<void> {
    const closed = this.#queue.then(() => {
      this.#wal.close();
      this.#failure ??= new Error(`Cannot use storage "${this.#dir}": it is closed`);
    });
    this.#queue = closed;
    return closed;
  }

  /**
   * Runs `operation` after every earlier one. A {@link StorageError} is
   * sticky: the disk state is unknown, so every later call fails with it.
   */
  #run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      if (this.#failure !== null) throw this.#failure;
      return operation();
    });
    this.#queue = result.then(() => {}, (error) => {
      if (error instanceof StorageError) this.#failure ??= error;
    });
    return result;
  }
}
