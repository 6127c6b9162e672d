/**
 * When and how a node snapshots its state machine: every so many applied
 * entries (more when the state is large, so the cost per write stays flat),
 * frozen at once and encoded in slices in the background while the loop
 * goes on, then written beside the log; the loop learns of it in a later
 * turn and compacts the log behind it.
 *
 * @module
 */

import { encodeSnapshotInSlices } from "../kv/snapshot.ts";
import type { KvStateMachine } from "../kv/state_machine.ts";
import type { RaftNode } from "../raft/raft.ts";
import type { Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { Storage } from "../storage/types.ts";
import type { Clock } from "./ports.ts";

/** A snapshot waits for at least 1/N as many applied entries as there are keys. */
const SNAPSHOT_STATE_SHARE = 4;
/** Records encoded per slice of a background snapshot (a few milliseconds each). */
const SNAPSHOT_SLICE_RECORDS = 20_000;
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

  /** @param options when, where and how to report */
  constructor(options: SnapshotterOptions) {
    this.options = options;
    const spread = Math.max(1, Math.floor(options.snapshotEntries / SNAPSHOT_OFFSET_SHARE));
    // Nodes apply the same entries at about the same time; a per-node offset
    // keeps their snapshot writes (and the disk syncs they slow) apart.
    this.every = options.snapshotEntries + stableHash(options.id) % spread;
  }

  /**
   * Starts a snapshot when enough entries applied since the last one and
   * the state machine has applied everything the core handed out.
   */
  maybeStart(core: RaftNode, machine: KvStateMachine): void {
    if (this.job !== null) return;
    const applied = machine.appliedIndex;
    const last = core.snapshot()?.index ?? 0;
    // A snapshot costs time proportional to the whole state: with many keys,
    // wait for writes worth a fraction of it, so the cost per write stays flat.
    const every = Math.max(this.every, Math.floor(machine.size / SNAPSHOT_STATE_SHARE));
    if (applied - last < every || applied !== core.log.applied) return;
    const index = this.options.breakLabelAhead === true && applied < core.log.lastIndex()
      ? applied + 1
      : applied;
    const meta = { index, term: core.log.term(index), membership: machine.membership };
    const job = { cancelled: false };
    this.job = job;
    const started = this.options.clock.nowMs();
    const frozen = machine.freeze();
    this.options.onStarted?.(meta);
    this.write = encodeSnapshotInSlices(frozen, SNAPSHOT_SLICE_RECORDS, this.options.clock.pause)
      .then(async (data) => {
        if (job.cancelled) {
          this.job = null;
          return;
        }
        const written = this.options.storage.saveSnapshot({ meta, data });
        this.writing = written.catch(() => undefined);
        try {
          await written;
        } finally {
          this.writing = null;
        }
        this.saved.push(meta);
        const seconds = (this.options.clock.nowMs() - started) / 1000;
        this.options.onSaved(meta, data.length, seconds);
      })
      .catch((error) => this.options.onFatal(error instanceof Error ? error : new Error(error)));
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

  /** The snapshot at `index` with its bytes, read from storage, to send to a follower. */
  async load(index: number): Promise<Snapshot> {
    const snapshot = await this.options.storage.loadSnapshot();
    if (snapshot === null || snapshot.meta.index !== index) {
      throw new Error(`Snapshot ${index} is no longer in storage`);
    }
    return snapshot;
  }

  /** Resolves once the snapshot being written (if any) is written. */
  settled(): Promise<void> {
    return this.write;
  }
}

/** A small deterministic hash of a node id (FNV-1a). */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
