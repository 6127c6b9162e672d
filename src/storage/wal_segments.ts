/**
 * The WAL's segment files on disk: the open last segment that batches are
 * appended to, rolling over to a new file when it grows past its size bound,
 * and deleting old segments after a snapshot.
 *
 * @module
 */

import { ioError } from "./errors.ts";
import { removeFile, syncDir, writeAll, writeAllSync } from "./fs_util.ts";

const NAME_PATTERN = /^(\d{16})\.wal$/;

/** The file name of the segment whose first entry is `firstIndex`. */
export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(16, "0")}.wal`;
}

/** The first index in a segment file name, or null for other files. */
export function parseSegmentName(name: string): number | null {
  const match = NAME_PATTERN.exec(name);
  return match === null ? null : Number(match[1]);
}

/** One segment as the writer tracks it. */
export interface SegmentInfo {
  /** Path of the file. */
  path: string;
  /** The index in its name. */
  firstIndex: number;
  /** Bytes known durable. */
  bytes: number;
  /** The highest entry index written into it, 0 if none. */
  maxEntryIndex: number;
}

/** Opens `path` for appending. */
async function openForAppend(path: string, createNew: boolean): Promise<Deno.FsFile> {
  try {
    return await Deno.open(
      path,
      createNew ? { write: true, createNew: true, append: true } : { write: true, append: true },
    );
  } catch (error) {
    throw ioError(createNew ? "create" : "open", path, error);
  }
}

/** Told the seconds of each append's `syncData()` and the bytes it made durable. */
export type WalSyncObserver = (seconds: number, bytes: number) => void;

const MS_PER_SECOND = 1000;
/**
 * Largest WAL batch written synchronously: copying it into the page cache
 * takes microseconds, less than a round trip through a worker thread.
 */
const WRITE_SYNC_BYTES_MAX = 64 * 1024;

/** The segment files of one WAL directory, the last one open for appends. */
export class WalSegments {
  readonly #dir: string;
  readonly #segmentBytesMax: number;
  readonly #segments: SegmentInfo[];
  #file: Deno.FsFile | null;
  /** Told about every append's sync (metrics, slow-sync warnings). */
  onSynced: WalSyncObserver | undefined;

  private constructor(
    dir: string,
    segmentBytesMax: number,
    segments: SegmentInfo[],
    file: Deno.FsFile,
  ) {
    this.#dir = dir;
    this.#segmentBytesMax = segmentBytesMax;
    this.#segments = segments;
    this.#file = file;
  }

  /**
   * Opens the last of `segments` for appending, first cutting it to its
   * durable length (dropping a torn tail). With no segments, creates one
   * named `firstIndex`.
   */
  static async open(
    dir: string,
    segments: SegmentInfo[],
    options: {
      firstIndex: number;
      segmentBytesMax: number;
      cutTail: boolean;
      onSynced?: WalSyncObserver | undefined;
    },
  ): Promise<WalSegments> {
    const wal = await WalSegments.#open(dir, segments, options);
    wal.onSynced = options.onSynced;
    return wal;
  }

  static async #open(
    dir: string,
    segments: SegmentInfo[],
    options: { firstIndex: number; segmentBytesMax: number; cutTail: boolean },
  ): Promise<WalSegments> {
    if (segments.length === 0) {
      const path = `${dir}/${segmentFileName(options.firstIndex)}`;
      const file = await openForAppend(path, true);
      await syncDir(dir);
      segments = [{ path, firstIndex: options.firstIndex, bytes: 0, maxEntryIndex: 0 }];
      return new WalSegments(dir, options.segmentBytesMax, segments, file);
    }
    const last = segments[segments.length - 1]!;
    const file = await openForAppend(last.path, false);
    if (options.cutTail) {
      try {
        await file.truncate(last.bytes);
        await file.syncData();
      } catch (error) {
        file.close();
        throw ioError("cut the torn tail of", last.path, error);
      }
    }
    return new WalSegments(dir, options.segmentBytesMax, segments, file);
  }

  /** The segments, oldest first, with their durable sizes. */
  get segments(): readonly SegmentInfo[] {
    return this.#segments;
  }

  /** Where the next append begins in the last segment. */
  get nextOffset(): number {
    return this.#active.bytes;
  }

  get #active(): SegmentInfo {
    return this.#segments[this.#segments.length - 1]!;
  }

  /**
   * Whether a batch whose first entry is `firstIndex` should start a new
   * segment: the last one is full, and the new name would sort after it (a
   * batch that replaces entries from before the last segment's start stays
   * in it, so names keep increasing).
   */
  shouldRoll(firstIndex: number): boolean {
    const active = this.#active;
    return active.bytes >= this.#segmentBytesMax && firstIndex > active.firstIndex;
  }

  /** Starts the segment `firstIndex`: creates it, syncs the directory, makes it the append target. */
  async roll(firstIndex: number): Promise<void> {
    const path = `${this.#dir}/${segmentFileName(firstIndex)}`;
    const file = await openForAppend(path, true);
    this.#file?.close();
    this.#file = file;
    await syncDir(this.#dir);
    this.#segments.push({ path, firstIndex, bytes: 0, maxEntryIndex: 0 });
  }

  /**
   * Appends `bytes` to the last segment with one write and one `syncData()`.
   * A batch up to {@link WRITE_SYNC_BYTES_MAX} is written from this thread:
   * only the sync waits on a worker, one hand-off per batch instead of two.
   */
  async append(bytes: Uint8Array, maxEntryIndex: number): Promise<void> {
    const active = this.#active;
    const file = this.#file;
    if (file === null) throw ioError("append to", active.path, new Error("the WAL is closed"));
    if (bytes.length <= WRITE_SYNC_BYTES_MAX) writeAllSync(file, bytes, active.path);
    else await writeAll(file, bytes, active.path);
    const syncStartMs = performance.now();
    try {
      await file.syncData();
    } catch (error) {
      throw ioError("sync", active.path, error);
    }
    this.onSynced?.((performance.now() - syncStartMs) / MS_PER_SECOND, bytes.length);
    active.bytes += bytes.length;
    if (maxEntryIndex > active.maxEntryIndex) active.maxEntryIndex = maxEntryIndex;
  }

  /**
   * Deletes segments, oldest first, while every entry in them is at or below
   * `index`; never the last one. Each deletion is made durable before the
   * next, so a crash leaves a contiguous run of segments.
   */
  async deleteThrough(index: number): Promise<number> {
    let deleted = 0;
    while (this.#segments.length > 1 && this.#segments[0]!.maxEntryIndex <= index) {
      const oldest = this.#segments.shift()!;
      await removeFile(oldest.path);
      await syncDir(this.#dir);
      deleted++;
    }
    return deleted;
  }

  /** Closes the open segment. */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}
