/**
 * Watches against the committed log. A watcher's life is a list of
 * segments, one per stream it opened; each segment covers the indexes from
 * the one it asked to start at (or, opened without one, the first index the
 * node said it covers) through the last it knows it has seen: its last
 * event, or a progress index the node reported. In that range the events
 * must be exactly the applied entries that changed a watched key, each
 * whole (only the watched keys' changes, as the node that applied it
 * reported them), in index order, no gap, no repeat. A watcher resumes from
 * the index after the last it saw, so a resume that loses an index shows
 * as a missing event in the next segment.
 *
 * @module
 */

import type { Change } from "../../src/kv/results.ts";
import { describeChange } from "./dm_describe.ts";
import type { AppliedLog } from "./dm_history.ts";

/** What a watcher watches. */
export type WatchTarget = { key: string } | { prefix: string };

/** One stream of a watcher. */
export interface WatchSegment {
  node: string;
  /** The first index the stream covers. */
  from: number;
  /** Events taken, in the order taken. */
  events: { index: number; changes: readonly Change[] }[];
  /** The highest progress index the node reported (from - 1 when none). */
  confirmed: number;
  /** How the stream ended, if it did. */
  ended: string;
}

/** A watcher and its streams. */
export interface WatchRecord {
  name: string;
  target: WatchTarget;
  segments: WatchSegment[];
}

/** True when `target` watches `key`. */
export function watches(target: WatchTarget, key: string): boolean {
  return "key" in target ? key === target.key : key.startsWith(target.prefix);
}

function describeEvent(index: number, changes: readonly Change[]): string {
  return `@${index} [${changes.map(describeChange).join("; ")}]`;
}

/** The events a segment must hold: every applied entry from `from` to `to` that changed a watched key. */
function expectedEvents(log: AppliedLog, target: WatchTarget, from: number, to: number) {
  const events: string[] = [];
  for (let index = from; index <= to; index++) {
    const applied = log.entries.get(index);
    if (applied === undefined && index > log.maxApplied) {
      return `Watch: it claims index ${index}, beyond the ${log.maxApplied} any node applied`;
    }
    if (applied === undefined) return `Checker: no node reported applying entry ${index}`;
    const changes = (applied.result?.changes ?? []).filter((c) => watches(target, c.key));
    if (changes.length > 0) events.push(describeEvent(index, changes));
  }
  return events;
}

/**
 * Answers the first watcher whose events differ from the log's changes, or null.
 *
 * @example
 * ```ts
 * import { AppliedLog } from "./dm_history.ts";
 * import { checkWatches } from "./watch_check.ts";
 * const log = new AppliedLog();
 * const change = { type: "put" as const, key: "k", value: "v", createIndex: 1, modIndex: 1, lease: 0, prev: null };
 * log.note("n1", { index: 1, term: 1, type: "normal", data: new Uint8Array() }, { kind: "put", index: 1, changes: [change] });
 * const segment = { node: "n1", from: 1, events: [], confirmed: 1, ended: "" };
 * if (checkWatches(log, [{ name: "w1", target: { key: "k" }, segments: [segment] }]) === null) {
 *   throw new Error("a missed event went unnoticed");
 * }
 * ```
 */
export function checkWatches(log: AppliedLog, records: readonly WatchRecord[]): string | null {
  for (const record of records) {
    for (const [n, segment] of record.segments.entries()) {
      const last = segment.events[segment.events.length - 1]?.index ?? 0;
      const to = Math.max(segment.confirmed, last);
      const expected = expectedEvents(log, record.target, segment.from, to);
      const where = `watcher ${record.name} (${JSON.stringify(record.target)}), stream ${n} on ` +
        `"${segment.node}" from index ${segment.from} through ${to} (ended: ${
          segment.ended || "no"
        })`;
      if (typeof expected === "string") return `${expected}: ${where}`;
      const got = segment.events.map((e) => describeEvent(e.index, e.changes));
      for (let i = 0; i < Math.max(got.length, expected.length); i++) {
        if (got[i] === expected[i]) continue;
        return `Watch: ${where}: event ${i} is\n  ${got[i] ?? "missing"}\nbut the log says\n  ` +
          `${expected[i] ?? "none"}\nevents: ${segment.events.map((e) => e.index).join(", ")}`;
      }
    }
  }
  return null;
}
