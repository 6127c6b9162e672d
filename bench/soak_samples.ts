/**
 * What the soak measures every few seconds on each node: resident memory
 * (from `/proc`), V8 heap (the node's own figure, printed by `soak_node.ts`),
 * and the bytes of its log segments and snapshots on disk; and the CSV the
 * samples are written to.
 *
 * @module
 */

/** One node's figures at one moment, in bytes. */
export interface NodeSample {
  rssBytes: number;
  heapBytes: number;
  walBytes: number;
  snapBytes: number;
}

/** Every node's figures at one moment of the run. */
export interface Sample {
  /** Seconds since the load started. */
  atS: number;
  /** `fill` while the key space grows to its size, `steady` after. */
  phase: "fill" | "steady";
  nodes: NodeSample[];
}

/** A node as the sampler finds it. */
export interface SampledNode {
  id: string;
  pid: number;
  dataDir: string;
  /** The file the node's stdout (its memory lines) is copied to. */
  stdoutPath: string;
}

/**
 * Resident memory of process `pid` (VmRSS), or 0 once it is gone. Deno lets
 * a process read another's `/proc` entries only with `--allow-all`.
 */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return kib === null ? 0 : Number(kib[1]) * 1024;
  } catch {
    return 0;
  }
}

/** The heap in use in the last memory line the node printed, or 0 when none yet. */
export async function heapBytes(stdoutPath: string): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(stdoutPath);
  } catch {
    return 0;
  }
  const lines = text.trimEnd().split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const figures = JSON.parse(lines[i]!) as { heapUsed?: unknown };
      if (typeof figures.heapUsed === "number") return figures.heapUsed;
    } catch {
      // Not a memory line.
    }
  }
  return 0;
}

/** Bytes of the files in `dir` (0 when it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      total += await Deno.stat(`${dir}/${entry.name}`).then((s) => s.size, () => 0);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return total;
}

/** Samples every node once. */
export async function sampleNodes(nodes: readonly SampledNode[]): Promise<NodeSample[]> {
  return await Promise.all(nodes.map(async (node) => ({
    rssBytes: await rssBytes(node.pid),
    heapBytes: await heapBytes(node.stdoutPath),
    walBytes: await folderBytes(`${node.dataDir}/wal`),
    snapBytes: await folderBytes(`${node.dataDir}/snap`),
  })));
}

const MIB = 1024 * 1024;

/**
 * The samples as CSV: one row per sample, four columns per node in MiB.
 *
 * @example
 * ```ts
 * import { samplesCsv } from "./soak_samples.ts";
 * const csv = samplesCsv(["n1"], [
 *   { atS: 10, phase: "fill", nodes: [{ rssBytes: 2097152, heapBytes: 1048576, walBytes: 0, snapBytes: 0 }] },
 * ]);
 * if (csv !== "t_s,phase,n1_rss_mib,n1_heap_mib,n1_wal_mib,n1_snap_mib\n10,fill,2.0,1.0,0.0,0.0\n") {
 *   throw new Error(csv);
 * }
 * ```
 */
export function samplesCsv(ids: readonly string[], samples: readonly Sample[]): string {
  const header = ["t_s", "phase"];
  for (const id of ids) {
    header.push(`${id}_rss_mib`, `${id}_heap_mib`, `${id}_wal_mib`, `${id}_snap_mib`);
  }
  const rows = samples.map((s) => {
    const cells = [String(Math.round(s.atS)), s.phase];
    for (const n of s.nodes) {
      cells.push(
        ...[n.rssBytes, n.heapBytes, n.walBytes, n.snapBytes].map((b) => (b / MIB).toFixed(1)),
      );
    }
    return cells.join(",");
  });
  return [header.join(","), ...rows].join("\n") + "\n";
}
