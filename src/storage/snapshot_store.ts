/**
 * The snapshot files of one data directory: atomic writes read back and
 * verified before they count, the newest valid one on open (a damaged newest
 * one is set aside and the previous one used), the fallback the log must
 * still cover, and deletion of all but the two newest.
 *
 * @module
 */

import type { Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { Logger } from "../log.ts";
import { crc32cUpdate } from "./crc32c.ts";
import { ioError, StorageError } from "./errors.ts";
import { listFiles, openForRead, readFileOrNull, removeFile } from "./fs_util.ts";
import {
  checkSnapshotHeader,
  decodeSnapshot,
  decodeSnapshotOrThrow,
  newestFirst,
  parseSnapshotName,
  SNAPSHOT_HEADER_BYTES,
  snapshotFileName,
  type SnapshotName,
} from "./snapshot_file.ts";
import { openSnapshotReader } from "./snapshot_reader.ts";
import { piecesOf } from "./snapshot_pieces.ts";
import { writeSnapshotFile } from "./snapshot_writer.ts";
import type { SnapshotReader } from "./types.ts";

/** How many snapshots `deleteOld` keeps: the newest and the one before it. */
export const SNAPSHOTS_KEPT = 2;
/** Bytes read at a time when a snapshot file is verified. */
const VERIFY_CHUNK_BYTES = 1024 * 1024;

/** The snapshots under `snap/`, newest first. */
export class SnapshotStore {
  readonly #dir: string;
  readonly #logger: Logger;
  /** Valid snapshots, newest first. */
  #names: SnapshotName[];
  /** Names of the files read back and verified since the directory was opened. */
  readonly #verified = new Set<string>();

  private constructor(dir: string, names: SnapshotName[], logger: Logger) {
    this.#dir = dir;
    this.#names = names;
    this.#logger = logger;
  }

  /**
   * Lists `dir`, removes stray temporary files, and loads the newest snapshot
   * that verifies. Damaged ones are renamed to `*.broken` and logged.
   */
  static async open(
    dir: string,
    logger: Logger,
  ): Promise<{ store: SnapshotStore; newest: Snapshot | null }> {
    const files = await listFiles(dir);
    for (const name of files.filter((file) => file.endsWith(".tmp"))) {
      await removeFile(`${dir}/${name}`);
    }
    const names = newestFirst(files.map(parseSnapshotName).filter((name) => name !== null));
    while (names.length > 0) {
      const name = names[0]!;
      const path = `${dir}/${name.name}`;
      const bytes = await readFileOrNull(path);
      const snapshot = bytes === null ? "file vanished" : decodeSnapshot(bytes, name);
      if (typeof snapshot !== "string") {
        const store = new SnapshotStore(dir, names, logger);
        store.#verified.add(name.name);
        return { store, newest: snapshot };
      }
      logger.warn("skipped a damaged snapshot, falling back to the previous one", {
        file: path,
        reason: snapshot,
      });
      await setAside(path);
      names.shift();
    }
    return { store: new SnapshotStore(dir, [], logger), newest: null };
  }

  /** The newest snapshot's index, or 0. */
  get newestIndex(): number {
    return this.#names[0]?.index ?? 0;
  }

  /** Writes `snapshot` atomically and makes it the newest. */
  async save(snapshot: Snapshot): Promise<void> {
    await this.write(snapshot.meta, piecesOf(snapshot.data));
    this.register(snapshot.meta.term, snapshot.meta.index);
  }

  /**
   * Writes the file of the snapshot of `meta` atomically from the state
   * machine bytes in `pieces` (see `snapshot_writer.ts`), then reads it back
   * and verifies it, without making it the newest yet, so the write can
   * overlap other work; {@link register} then adopts it. A crash in between
   * leaves a valid file that the next open finds. A file that does not read
   * back as written is set aside and rejects with a {@link StorageError}.
   * Answers the data bytes written.
   */
  async write(
    meta: SnapshotMeta,
    pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<number> {
    const { term, index } = meta;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term) || index < 1 || term < 1) {
      throw new Error(`Cannot save a snapshot with index "${index}" and term "${term}"`);
    }
    const name = { name: snapshotFileName(term, index), term, index };
    const bytes = await writeSnapshotFile(this.#dir, name.name, meta, pieces);
    const path = `${this.#dir}/${name.name}`;
    const reason = await verifySnapshotFile(path, name);
    if (reason !== null) {
      await setAside(path);
      throw new StorageError(`Snapshot "${path}" does not read back as written: ${reason}`);
    }
    this.#verified.add(name.name);
    return bytes;
  }

  /** The newest snapshot, if it is at `index`, to read in ranges; null otherwise. */
  async open(index: number): Promise<SnapshotReader | null> {
    const name = this.#names[0];
    if (name === undefined || name.index !== index) return null;
    return await openSnapshotReader(`${this.#dir}/${name.name}`, name);
  }

  /** Makes the written snapshot at (`term`, `index`) the newest. */
  register(term: number, index: number): void {
    const name = snapshotFileName(term, index);
    const names = this.#names.filter((known) => known.name !== name);
    this.#names = newestFirst([{ name, term, index }, ...names]);
  }

  /** Reads and verifies the newest snapshot. */
  async loadNewest(): Promise<Snapshot | null> {
    const name = this.#names[0];
    if (name === undefined) return null;
    const path = `${this.#dir}/${name.name}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw ioError("read", path, error);
    }
    return decodeSnapshotOrThrow(bytes, name, path);
  }

  /** Like {@link loadNewest}, with a blocking read. */
  loadNewestSync(): Snapshot | null {
    const name = this.#names[0];
    if (name === undefined) return null;
    const path = `${this.#dir}/${name.name}`;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (error) {
      throw ioError("read", path, error);
    }
    return decodeSnapshotOrThrow(bytes, name, path);
  }

  /**
   * The index of the snapshot recovery falls back to when the newest one is
   * damaged: the newest but one that reads back intact (verified now if it
   * was not yet), or 0 when there is none and the log must cover everything.
   * Damaged ones met on the way are set aside and logged.
   */
  async fallbackIndex(): Promise<number> {
    while (this.#names.length > 1) {
      const name = this.#names[1]!;
      if (this.#verified.has(name.name)) return name.index;
      const path = `${this.#dir}/${name.name}`;
      const reason = await verifySnapshotFile(path, name);
      if (reason === null) {
        this.#verified.add(name.name);
        return name.index;
      }
      this.#logger.warn("set aside a damaged older snapshot", { file: path, reason });
      await setAside(path);
      this.#names.splice(1, 1);
    }
    return 0;
  }

  /** Deletes every snapshot older than the {@link SNAPSHOTS_KEPT} newest. */
  async deleteOld(): Promise<void> {
    const old = this.#names.slice(SNAPSHOTS_KEPT);
    if (old.length === 0) return;
    this.#names = this.#names.slice(0, SNAPSHOTS_KEPT);
    // No directory sync: a deletion a crash forgets leaves an older valid
    // snapshot behind, which the next open ignores and the next call deletes;
    // a sync here would stall the log's syncs behind a journal commit.
    for (const name of old) await removeFile(`${this.#dir}/${name.name}`);
  }
}

/**
 * Reads snapshot file `path` back in chunks and checks its header and
 * checksum; answers null when intact, else the reason. Memory stays at one
 * chunk whatever the snapshot's size.
 *
 * @example
 * ```ts
 * import { verifySnapshotFile } from "./snapshot_store.ts";
 * import { encodeSnapshot, parseSnapshotName, snapshotFileName } from "./snapshot_file.ts";
 * const dir = await Deno.makeTempDir();
 * const name = parseSnapshotName(snapshotFileName(1, 5))!;
 * const [header, data] = encodeSnapshot({
 *   meta: { index: 5, term: 1, membership: [] },
 *   data: new Uint8Array([1, 2, 3]),
 * });
 * await Deno.writeFile(`${dir}/${name.name}`, new Uint8Array([...header, ...data]));
 * if (await verifySnapshotFile(`${dir}/${name.name}`, name) !== null) throw new Error("damaged");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function verifySnapshotFile(
  path: string,
  name: SnapshotName,
): Promise<string | null> {
  const file = await openForRead(path);
  try {
    const chunk = new Uint8Array(VERIFY_CHUNK_BYTES);
    let filled = 0;
    let crc = 0;
    let stored: number | string | null = null;
    for (;;) {
      const read = await file.read(chunk.subarray(filled));
      if (read === null) break;
      filled += read;
      if (stored === null && filled >= SNAPSHOT_HEADER_BYTES) {
        stored = checkSnapshotHeader(chunk.subarray(0, SNAPSHOT_HEADER_BYTES), name);
        if (typeof stored === "string") return stored;
        crc = crc32cUpdate(crc, chunk, 8, filled);
        filled = 0;
      } else if (stored !== null && filled === chunk.length) {
        crc = crc32cUpdate(crc, chunk, 0, filled);
        filled = 0;
      }
    }
    if (stored === null) return `file of ${filled} bytes is too short`;
    crc = crc32cUpdate(crc, chunk, 0, filled);
    return crc === stored ? null : "checksum mismatch";
  } catch (error) {
    throw ioError("read", path, error);
  } finally {
    file.close();
  }
}

async function setAside(path: string): Promise<void> {
  try {
    await Deno.rename(path, `${path}.broken`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new StorageError(
      `Cannot set aside the damaged snapshot "${path}": ${(error as Error).message}`,
    );
  }
}
