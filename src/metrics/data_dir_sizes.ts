/**
 * Sizes of the WAL segments and the newest snapshot in a data directory
 * (layout in docs/STORAGE.md), read when scraped: a few `stat` calls.
 *
 * @module
 */

import type { RafterMetrics } from "./rafter_metrics.ts";

/** Bytes of the WAL segments and of the newest snapshot file. */
export interface DataDirSizes {
  walBytes: number;
  snapshotBytes: number;
}

async function filesIn(dir: string, suffix: string): Promise<Deno.DirEntry[]> {
  const files: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(suffix)) files.push(entry);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    // Deleted between the listing and the stat (compaction): it no longer counts.
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

/**
 * Measures `dataDir`: every `wal/*.wal` and the newest `snap/*.snap`.
 *
 * @example
 * ```ts
 * import { dataDirSizes } from "./data_dir_sizes.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/wal`);
 * await Deno.writeFile(`${dir}/wal/0000000000000001.wal`, new Uint8Array(100));
 * const sizes = await dataDirSizes(dir);
 * await Deno.remove(dir, { recursive: true });
 * if (sizes.walBytes !== 100 || sizes.snapshotBytes !== 0) throw new Error();
 * ```
 */
export async function dataDirSizes(dataDir: string): Promise<DataDirSizes> {
  let walBytes = 0;
  for (const file of await filesIn(`${dataDir}/wal`, ".wal")) {
    walBytes += await sizeOf(`${dataDir}/wal/${file.name}`);
  }
  const snapshots = (await filesIn(`${dataDir}/snap`, ".snap")).map((f) => f.name).sort();
  const newest = snapshots.at(-1);
  const snapshotBytes = newest === undefined ? 0 : await sizeOf(`${dataDir}/snap/${newest}`);
  return { walBytes, snapshotBytes };
}

/**
 * Sets the WAL and snapshot size gauges of `metrics` from `dataDir`.
 *
 * @example
 * ```ts
 * import { sampleDataDir } from "./data_dir_sizes.ts";
 * import { createMetrics } from "./rafter_metrics.ts";
 * const metrics = createMetrics();
 * await sampleDataDir(metrics, "/nonexistent/rafter");
 * if (metrics.disk.walSizeBytes.value !== 0) throw new Error();
 * ```
 */
export async function sampleDataDir(metrics: RafterMetrics, dataDir: string): Promise<void> {
  const sizes = await dataDirSizes(dataDir);
  metrics.disk.walSizeBytes.set(sizes.walBytes);
  metrics.snapshot.sizeBytes.set(sizes.snapshotBytes);
}
