/**
 * What the nodes' own log lines say about a run: every snapshot a node took
 * (`snapshot taken index=... bytes=... durationMs=...`), with the time of the
 * line, so a scenario's report can say how many snapshots fell inside it and
 * what they cost.
 *
 * @module
 */

/** One `snapshot taken` line. */
export interface SnapshotTaken {
  /** The node whose log it is (`n1`...). */
  node: string;
  /** When the line was written, in milliseconds since the epoch. */
  atMs: number;
  index: number;
  bytes: number;
  durationMs: number;
}

const TAKEN = /^(\S+) (\S+) info snapshot taken index=(\d+) bytes=(\d+) durationMs=(\d+)$/;

/**
 * The `snapshot taken` lines of one node's text log.
 *
 * @example
 * ```ts
 * import { parseSnapshotsTaken } from "./node_logs.ts";
 * const line = "2026-11-28T08:18:18.771Z n1 info snapshot taken index=7 bytes=900 durationMs=12";
 * const [taken] = parseSnapshotsTaken(`${line}\nother line\n`);
 * if (taken?.bytes !== 900 || taken.node !== "n1" || taken.durationMs !== 12) throw new Error();
 * ```
 */
export function parseSnapshotsTaken(text: string): SnapshotTaken[] {
  const out: SnapshotTaken[] = [];
  for (const line of text.split("\n")) {
    const match = TAKEN.exec(line);
    if (match === null) continue;
    out.push({
      node: match[2]!,
      atMs: Date.parse(match[1]!),
      index: Number(match[3]),
      bytes: Number(match[4]),
      durationMs: Number(match[5]),
    });
  }
  return out;
}

/** Every snapshot the logs at `paths` record (unreadable files count as empty). */
export async function snapshotsTaken(paths: readonly string[]): Promise<SnapshotTaken[]> {
  const all: SnapshotTaken[] = [];
  for (const path of paths) {
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch {
      // A node that never started has no log.
    }
    all.push(...parseSnapshotsTaken(text));
  }
  return all;
}

/** Snapshots in a window: how many, and the largest size and duration. */
export interface SnapshotSummary {
  count: number;
  bytesMax: number;
  durationMsMax: number;
  durationMsMedian: number;
}

/**
 * Summarizes the snapshots that ran, at least in part, from `fromMs` to
 * `toMs` (a line is written when a snapshot ends, `durationMs` after it began).
 *
 * @example
 * ```ts
 * import { summarizeSnapshots } from "./node_logs.ts";
 * const taken = [[100, 5], [130, 20], [200, 9]].map(([atMs, durationMs], i) => ({
 *   node: "n1", atMs: atMs!, index: i, bytes: 10 * i, durationMs: durationMs!,
 * }));
 * const summary = summarizeSnapshots(taken, 100, 120);
 * if (summary.count !== 2 || summary.durationMsMax !== 20 || summary.bytesMax !== 10) throw new Error();
 * ```
 */
export function summarizeSnapshots(
  taken: readonly SnapshotTaken[],
  fromMs: number,
  toMs: number,
): SnapshotSummary {
  const inside = taken.filter((s) => s.atMs >= fromMs && s.atMs - s.durationMs < toMs);
  const durations = inside.map((s) => s.durationMs).sort((a, b) => a - b);
  return {
    count: inside.length,
    bytesMax: Math.max(0, ...inside.map((s) => s.bytes)),
    durationMsMax: durations[durations.length - 1] ?? 0,
    durationMsMedian: durations[Math.floor((durations.length - 1) / 2)] ?? 0,
  };
}
