/**
 * When and how a node snapshots its state machine: every so many applied
 * entries or bytes of them (more when the state is large, so the cost per
 * write stays flat; the bytes bound the memory the log holds between two
 * snapshots when entries are large),
 * frozen at once and encoded a piece at a time in the background while the
 * loop goes on, each piece written as it comes (storage syncs every few MiB,
 * so the log's syncs never queue behind the whole file, and no more than a
 * piece is held); the loop learns of it in a later turn and compacts the log
 * behind it. A snapshot sent to a follower is read from storage in ranges.
 *
 * @module
 */

import { encodeSnapshotPieces } from "../kv/snapshot.ts";
import type { KvStateMachine } from "../kv/state_machine.ts";
import type { RaftNode } from "../raft/raft.ts";
import { entryBytes, type RaftLog } from "../raft/raft_log.ts";
import type { Message, SnapshotMeta } from "../raft/types.ts";
import type { SnapshotReader, Storage } from "../storage/types.ts";
import type { DriverListener, DriverOptions } from "./driver_options.ts";
import type { Clock, PeerTransport } from "./ports.ts";

/** The data of a snapshot message whose bytes its link reads from storage. */
const EMPTY = new Uint8Array(0);
/** A snapshot waits for at least 1/N as many applied entries as there are keys. */
const SNAPSHOT_STATE_SHARE = 4;
/** Bytes and records encoded per piece of a background snapshot (a few milliseconds each). */
const SNAPSHOT_PIECE = { pieceBytes: 1024 * 1024, pieceRecords: 20_000, reuse: true };
/**
 * Bytes of applied entries (data plus header) that start a snapshot before
 * their count does, or 1/SNAPSHOT_STATE_BYTES_SHARE of the state's bytes if
 * more.
 */
export const SNAPSHOT_LOG_BYTES = 16 * 1024 * 1024;
/**
 * A snapshot waits for applied entries worth at least 1/N of the state's
 * bytes: with small entries the count (above) comes first, as it did before
 * the bytes counted, and large ones cost at most N times their bytes in
 * snapshots.
 */
const SNAPSHOT_STATE_BYTES_SHARE = 2;
/** At most this many bytes of entries stay in the log behind a snapshot, for lagging followers. */
export const SNAPSHOT_CATCH_UP_BYTES = 8 * 1024 * 1024;
/** A node's snapshot point moves by up to 1/N of the interval, apart from its peers'. */
const SNAPSHOT_OFFSET_SHARE = 5;

/** Settings of a {@link Snapshotter}. */
export interface SnapshotterOptions {
  /** The node's id: it spreads the nodes' snapshot points apart. */
  id: string;
  /** Applied entries between snapshots (before the per-node offset). */
  snapshotEntries: number;
  storage: Storage;
  clock: Clock;
  /** A snapshot began: the state is frozen at `meta.index` and encodes in the background. */
  onStarted?(meta: SnapshotMeta): void;
  /** A snapshot was written: the loop should take it in (`takeSaved`). */
  onSaved(meta: SnapshotMeta, bytes: number, seconds: number): void;
  /** Writing failed: storage is broken. */
  onFatal(error: Error): void;
  /** Entries kept in the log behind a snapshot for followers a little behind (default 0). */
  catchUpEntries?: number;
  /** Bytes of applied entries that start a snapshot (default {@link SNAPSHOT_LOG_BYTES}). */
  logBytes?: number;
  /** Test-only bug: label a snapshot one entry past the state it holds. */
  breakLabelAhead?: boolean;
}

/**
 * Takes and tracks one node's snapshots.
 *
 * @example
 * ```ts
 * import { Snapshotter } from "./snapshots.ts";
 * import { MemoryStorage } from "../storage/memory_storage.ts";
 * import { systemClock } from "./system_clock.ts";
 * const snapshots = new Snapshotter({
 *   id: "n1", snapshotEntries: 100, storage: new MemoryStorage(), clock: systemClock,
 *   onSaved() {}, onFatal(error) { throw error; },
 * });
 * if (snapshots.every !== 100 + 12) throw new Error(String(snapshots.every));
 * ```
 */
export class Snapshotter {
  /** Applied entries between this node's snapshots: `snapshotEntries` plus a per-node offset. */
  readonly every: number;
  private readonly options: SnapshotterOptions;
  /** The snapshot being encoded or written, until the loop takes it in. */
  private job: { cancelled: boolean } | null = null;
  private saved: SnapshotMeta[] = [];
  private write: Promise<void> = Promise.resolve();
  /** Settles once the snapshot storage is writing now is written (or refused); null if none. */
  private writing: Promise<unknown> | null = null;
  /** Bytes of the entries applied after the last snapshot's point, counted up to `countedTo`. */
  private appliedBytes = 0;
  private countedTo = 0;

  /**
   * The snapshotter of a driver built from `options`: it reports to the
   * driver's listener, then calls `saved` (the loop takes the snapshot in)
   * or `fatal` (storage failed).
   */
  static forDriver(
    options: DriverOptions,
    saved: () => void,
    fatal: (error: Error) => void,
  ): Snapshotter {
    const { listener } = options;
    return new Snapshotter({
      id: options.id,
      snapshotEntries: options.settings.snapshotEntries,
      catchUpEntries: options.settings.snapshotCatchUpEntries,
      storage: options.storage,
      clock: options.clock,
      onStarted: (meta) => listener.snapshotStarted?.(meta),
      onSaved: (meta, bytes, seconds) => {
        listener.snapshotSaved?.(meta, bytes, seconds);
        saved();
      },
      onFatal: fatal,
      breakLabelAhead: options.breaks?.snapshotLabelAhead === true,
    });
  }

  /** @param options when, where and how to report */
  constructor(options: SnapshotterOptions) {
    this.options = options;
    const spread = Math.max(1, Math.floor(options.snapshotEntries / SNAPSHOT_OFFSET_SHARE));
    // Nodes apply the same entries at about the same time; a per-node offset
    // keeps their snapshot writes (and the disk syncs they slow) apart.
    this.every = options.snapshotEntries + stableHash(options.id) % spread;
  }

  /**
   * Starts a snapshot when enough entries applied since the last one, the
   * state machine has applied everything the core handed out, and all of
   * it is durable here.
   */
  maybeStart(core: RaftNode, machine: KvStateMachine): void {
    if (this.job !== null) return;
    const applied = machine.appliedIndex;
    const last = core.snapshot()?.index ?? 0;
    // A snapshot costs time proportional to the whole state: with many keys,
    // wait for writes worth a fraction of it, so the cost per write stays flat.
    const every = Math.max(this.every, Math.floor(machine.size / SNAPSHOT_STATE_SHARE));
    const bytes = Math.max(
      this.options.logBytes ?? SNAPSHOT_LOG_BYTES,
      Math.floor(machine.dataBytes / SNAPSHOT_STATE_BYTES_SHARE),
    );
    const due = applied - last >= every || this.countApplied(core.log, last) >= bytes;
    if (!due || applied !== core.log.applied) return;
    // Entries applied while their own sync ran (§10.2.1) are not on this
    // disk yet: a snapshot waits for them, or the log would restart past them.
    if (applied > core.log.stableIndex) return;
    const index = this.options.breakLabelAhead === true && applied < core.log.lastIndex()
      ? applied + 1
      : applied;
    const meta = { index, term: core.log.term(index), membership: machine.membership };
    const job = { cancelled: false };
    this.job = job;
    this.appliedBytes = 0;
    this.countedTo = applied;
    const started = this.options.clock.nowMs();
    const frozen = machine.freeze();
    this.options.onStarted?.(meta);
    const pieces = encodeSnapshotPieces(frozen, SNAPSHOT_PIECE, this.options.clock.pause);
    this.write = this.writePieces(meta, pieces, job)
      .then((bytes) => {
        if (bytes < 0) return;
        const seconds = (this.options.clock.nowMs() - started) / 1000;
        this.options.onSaved(meta, bytes, seconds);
      })
      .catch((error) => this.options.onFatal(error instanceof Error ? error : new Error(error)));
  }

  /**
   * Adds the bytes of the entries applied since the last call to those
   * applied since snapshot `last` (the count starts again at a newer one,
   * such as a snapshot installed from the leader); answers the sum.
   */
  private countApplied(log: RaftLog, last: number): number {
    if (this.countedTo < last) {
      this.countedTo = last;
      this.appliedBytes = 0;
    }
    for (let index = Math.max(this.countedTo, log.offset) + 1; index <= log.applied; index++) {
      this.appliedBytes += entryBytes(log.entry(index));
    }
    this.countedTo = Math.max(this.countedTo, log.applied);
    return this.appliedBytes;
  }

  /**
   * Where the log is compacted behind snapshot `index`: up to `catchUpEntries`
   * entries and {@link SNAPSHOT_CATCH_UP_BYTES} bytes of them stay for
   * followers a little behind (further behind, they get the snapshot).
   */
  compactionPoint(log: RaftLog, index: number): number {
    const entries = this.options.catchUpEntries ?? 0;
    return log.compactionKeeping(index, entries, SNAPSHOT_CATCH_UP_BYTES);
  }

  /** Writes the pieces as they come; -1 when the job was cancelled on the way. */
  private async writePieces(
    meta: SnapshotMeta,
    pieces: AsyncGenerator<Uint8Array, void, undefined>,
    job: { cancelled: boolean },
  ): Promise<number> {
    const cancelled = new CancelledError();
    async function* untilCancelled() {
      for await (const piece of pieces) {
        if (job.cancelled) throw cancelled;
        yield piece;
      }
    }
    const written = this.options.storage.writeSnapshot(meta, untilCancelled());
    this.writing = written.catch(() => undefined);
    try {
      const bytes = await written;
      this.saved.push(meta);
      return bytes;
    } catch (error) {
      if (error !== cancelled) throw error;
      this.job = null;
      return -1;
    } finally {
      this.writing = null;
    }
  }

  /**
   * A snapshot from the leader is about to replace the state: the one being
   * encoded (older) is not written after it, where storage would refuse it,
   * and one storage is already writing is let finish first; resolves when
   * the leader's snapshot may be written.
   */
  cancel(): Promise<void> {
    if (this.job !== null) this.job.cancelled = true;
    return this.writing === null ? Promise.resolve() : this.writing.then(() => undefined);
  }

  /** Snapshots written since the last call; a new one may start once they are taken. */
  takeSaved(): SnapshotMeta[] {
    const out = this.saved;
    if (out.length === 0) return out;
    this.saved = [];
    this.job = null;
    return out;
  }

  /** The snapshot at `index`, opened in storage to be read in ranges and sent to a follower. */
  async open(index: number): Promise<SnapshotReader> {
    const reader = await this.options.storage.openSnapshot(index);
    if (reader === null) throw new Error(`Snapshot ${index} is no longer in storage`);
    return reader;
  }

  /**
   * Sends snapshot message `m` through `transport`, its bytes read from
   * storage as the link sends them; reports to `listener`, and calls
   * `failed` when the snapshot cannot be opened.
   */
  async send(
    m: Message,
    transport: Pick<PeerTransport, "sendSnapshot">,
    listener: Pick<DriverListener, "snapshotSent">,
    failed: () => void,
  ): Promise<void> {
    const index = m.snapshot?.meta.index ?? 0;
    try {
      const source = await this.open(index);
      listener.snapshotSent?.(m.to, index, source.bytes);
      transport.sendSnapshot({ ...m, snapshot: { meta: source.meta, data: EMPTY } }, source);
    } catch (error) {
      listener.snapshotSent?.(m.to, index, 0, String(error));
      failed();
    }
  }

  /** Resolves once the snapshot being written (if any) is written. */
  settled(): Promise<void> {
    return this.write;
  }
}

/** Ends the writing of a snapshot that a newer one from the leader replaces. */
class CancelledError extends Error {
  constructor() {
    super("Snapshot cancelled: the leader's replaces it");
    this.name = "CancelledError";
  }
}

/** A small deterministic hash of a node id (FNV-1a). */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
