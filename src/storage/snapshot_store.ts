/**
 * The snapshot files of one data directory: atomic writes, the newest valid
 * one on open (a damaged newest one is set aside and the previous one used),
 * and deletion of all but the two newest.
 *
 * @module
 */

import type { Snapshot } from "../raft/types.ts";
import type { Logger } from "../log.ts";
import { ioError, StorageError } from "./errors.ts";
import { listFiles, readFileOrNull, removeFile, writeFileAtomic } from "./fs_util.ts";
import {
  decodeSnapshot,
  decodeSnapshotOrThrow,
  encodeSnapshot,
  newestFirst,
  parseSnapshotName,
  snapshotFileName,
  type SnapshotName,
} from "./snapshot_file.ts";

/** How many snapshots `deleteOld` keeps: the newest and the one before it. */
export const SNAPSHOTS_KEPT = 2;

/** The snapshots under `snap/`, newest first. */
export class SnapshotStore {
  readonly #dir: string;
  /** Valid snapshots, newest first. */
  #names: SnapshotName[];

  private constructor(dir: string, names: SnapshotName[]) {
    this.#dir = dir;
    this.#names = names;
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
        return { store: new SnapshotStore(dir, names), newest: snapshot };
      }
      logger.warn("skipped a damaged snapshot, falling back to the previous one", {
        file: path,
        reason: snapshot,
      });
      await setAside(path);
      names.shift();
    }
    return { store: new SnapshotStore(dir, []), newest: null };
  }

  /** The newest snapshot's index, or 0. */
  get newestIndex(): number {
    return this.#names[0]?.index ?? 0;
  }

  /** Writes `snapshot` atomically and makes it the newest. */
  async save(snapshot: Snapshot): Promise<void> {
    await this.write(snapshot);
    this.register(snapshot.meta.term, snapshot.meta.index);
  }

  /**
   * Writes `snapshot`'s file atomically without making it the newest yet, so
   * the write can overlap other work; {@link register} then adopts it. A
   * crash in between leaves a valid file that the next open finds.
   */
  async write(snapshot: Snapshot): Promise<void> {
    const { term, index } = snapshot.meta;
    await writeFileAtomic(this.#dir, snapshotFileName(term, index), encodeSnapshot(snapshot));
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
