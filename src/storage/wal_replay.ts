/**
 * Rebuilds the log and hard state from the WAL segments, oldest first, and
 * reconciles them with the newest snapshot. Pure: bytes in, state out, so
 * open and `recovered()` share it and tests can feed it any damage.
 *
 * @module
 */

import type { Entry, HardState, Snapshot } from "../raft/types.ts";
import { StorageError } from "./errors.ts";
import { scanSegment } from "./wal_scan.ts";
import type { WalRecord } from "./wal_record.ts";

/** One segment's bytes as read from disk. */
export interface SegmentBytes {
  /** File name relative to the data directory, for error messages (`wal/0000000000000001.wal`). */
  name: string;
  /** The index in the file name. */
  firstIndex: number;
  bytes: Uint8Array;
}

/** What replay learned about one segment. */
export interface SegmentSummary {
  name: string;
  firstIndex: number;
  /** Bytes of intact records; for the last segment, where a torn tail would be cut. */
  validBytes: number;
  /** The highest entry index written into the segment (live or later truncated), 0 if none. */
  maxEntryIndex: number;
}

/** The log as the WAL holds it, before reconciling with a snapshot. */
export interface ReplayResult {
  hardState: HardState;
  /** Live entries, consecutive. */
  entries: Entry[];
  /** The index the next entry must have, or null when no entry or truncate record was seen. */
  nextIndex: number | null;
  segments: SegmentSummary[];
  /** Damage cut from the end of the last segment, or null. */
  tail: { name: string; offset: number; bytes: number; reason: string } | null;
}

/** The empty hard state of a node that never voted. */
export function emptyHardState(): HardState {
  return { term: 0, vote: "", commit: 0 };
}

class LogReplay {
  hardState: HardState = emptyHardState();
  entries: Entry[] = [];
  nextIndex: number | null = null;
  maxEntryIndex = 0;

  apply(record: WalRecord, where: () => string): void {
    switch (record.kind) {
      case "entry": {
        const index = record.entry.index;
        if (this.nextIndex !== null && index !== this.nextIndex) {
          throw new StorageError(
            `Corrupt WAL ${where()}: entry index "${index}" where "${this.nextIndex}" was expected`,
          );
        }
        this.entries.push(record.entry);
        this.nextIndex = index + 1;
        this.maxEntryIndex = Math.max(this.maxEntryIndex, index);
        return;
      }
      case "hardState":
        this.hardState = record.hardState;
        return;
      case "commit":
        this.hardState = { ...this.hardState, commit: record.commit };
        return;
      case "truncate":
        this.truncate(record.nextIndex);
        return;
      case "batch":
        // Marks where a write began; only the scan needs it.
        return;
    }
  }

  /** Drops entries at or after `nextIndex`; a gap after the remaining ones restarts the log. */
  truncate(nextIndex: number): void {
    const first = this.entries[0]?.index ?? nextIndex;
    const keep = Math.max(0, Math.min(this.entries.length, nextIndex - first));
    this.entries.length = keep;
    const last = this.entries[keep - 1]?.index;
    if (last !== undefined && last !== nextIndex - 1) this.entries.length = 0;
    this.nextIndex = nextIndex;
  }
}

/**
 * Replays segments one at a time, oldest first, so that only one segment's
 * bytes are in memory at once. Damage after the last intact record of the
 * segment fed with `last` is reported in the result's `tail`; any other
 * damage throws a {@link StorageError} naming the file and offset.
 */
export class WalReplay {
  readonly #log = new LogReplay();
  readonly #segments: SegmentSummary[] = [];
  #tail: ReplayResult["tail"] = null;

  /** Replays one segment; `last` allows a torn tail. */
  feed(segment: SegmentBytes, last: boolean): void {
    const log = this.#log;
    log.maxEntryIndex = 0;
    const scan = scanSegment(segment.bytes, { name: segment.name, last }, (record, offset) => {
      log.apply(record, () => `record in "${segment.name}" at offset ${offset}`);
    });
    if (scan.tailReason !== null) {
      const bytes = segment.bytes.length - scan.validBytes;
      this.#tail = { name: segment.name, offset: scan.validBytes, bytes, reason: scan.tailReason };
    }
    this.#segments.push({
      name: segment.name,
      firstIndex: segment.firstIndex,
      validBytes: scan.validBytes,
      maxEntryIndex: log.maxEntryIndex,
    });
  }

  /** The state after every segment fed so far. */
  result(): ReplayResult {
    return {
      hardState: this.#log.hardState,
      entries: this.#log.entries,
      nextIndex: this.#log.nextIndex,
      segments: this.#segments,
      tail: this.#tail,
    };
  }
}

/** Replays `segments` (sorted oldest first); the last one may have a torn tail. */
export function replayWal(segments: SegmentBytes[]): ReplayResult {
  const replay = new WalReplay();
  segments.forEach((segment, position) => replay.feed(segment, position === segments.length - 1));
  return replay.result();
}

/** The log reconciled with the newest snapshot. */
export interface Reconciled {
  /** Entries after the snapshot index. */
  entries: Entry[];
  /**
   * True when the WAL does not yet record that the log restarts after the
   * snapshot (a crash between writing an installed snapshot and its restart
   * records): they must be appended before new entries.
   */
  needsRestart: boolean;
}

function gapError(first: number, snapshotIndex: number): StorageError {
  const covered = snapshotIndex === 0
    ? "no snapshot covers"
    : `the newest valid snapshot ends at index ${snapshotIndex}, before`;
  return new StorageError(
    `Cannot recover: the log starts at index "${first}" but ${covered} the entries before it`,
  );
}

/**
 * Applies the snapshot rule to the replayed log: entries after the snapshot
 * are kept when the log holds the snapshot's index with its term (or starts
 * right after it); otherwise the log belonged to another history and is
 * dropped. A gap between snapshot and log is an error: entries were lost.
 */
export function reconcile(
  replay: ReplayResult,
  snapshot: Snapshot | null,
  firstSegmentIndex: number,
): Reconciled {
  const snapshotIndex = snapshot?.meta.index ?? 0;
  const snapshotTerm = snapshot?.meta.term ?? 0;
  const entries = replay.entries;
  const first = entries[0]?.index;
  if (first === undefined) {
    const next = replay.nextIndex ?? firstSegmentIndex;
    if (next > snapshotIndex + 1) throw gapError(next, snapshotIndex);
    return { entries: [], needsRestart: replay.nextIndex !== null && next !== snapshotIndex + 1 };
  }
  if (first > snapshotIndex + 1) throw gapError(first, snapshotIndex);
  if (first === snapshotIndex + 1) return { entries, needsRestart: false };
  const atSnapshot = entries[snapshotIndex - first];
  if (atSnapshot !== undefined && atSnapshot.term === snapshotTerm) {
    return { entries: entries.slice(snapshotIndex - first + 1), needsRestart: false };
  }
  return { entries: [], needsRestart: true };
}
