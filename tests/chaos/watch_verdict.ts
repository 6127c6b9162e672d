/**
 * The check of a chaos watcher (`watcher.ts`) after healing: a watcher saw
 * exactly the committed changes in order. Across every resume its events
 * have strictly increasing indexes, no repeat; the last event of each key
 * gives the value every node converged to; and every acknowledged write
 * whose answer carried an index is among the events at that index, with
 * its value; and no event puts a value no live write wrote. A watch every node refused with 410 is checked for order only,
 * with a note. Watchers that watched the same prefix from the same index
 * must also agree with each other, event for event, as far as each saw:
 * that also covers the changes of writes whose answer was lost.
 *
 * @module
 */

import type { Verdict } from "./checks.ts";
import { isAcknowledgedWrite, mayHaveWritten, type OpRecord } from "./history.ts";
import type { WatchLog } from "./watcher.ts";

/** Problems of one kind listed in a verdict at most. */
const LISTED_MAX = 5;

/** Where the watcher got to, against where the cluster was after healing. */
export interface CatchUp {
  /** The commit index every member reported once converged. */
  index: number;
  reached: boolean;
}

function listed(problems: readonly string[]): string {
  const more = problems.length > LISTED_MAX ? `; and ${problems.length - LISTED_MAX} more` : "";
  return problems.slice(0, LISTED_MAX).join("; ") + more;
}

/** Events whose index does not rise above the one before: repeats or out of order. */
function orderProblems(log: WatchLog): string[] {
  const problems: string[] = [];
  for (let i = 1; i < log.events.length; i++) {
    const before = log.events[i - 1]!;
    const event = log.events[i]!;
    if (event.index > before.index) continue;
    problems.push(
      `event at index ${event.index} (from ${event.node}) came after index ${before.index} ` +
        `(from ${before.node})`,
    );
  }
  return problems;
}

/** Keys whose last event does not give the value every node holds. */
function valueProblems(log: WatchLog, finals: ReadonlyMap<string, string | null>): string[] {
  const last = new Map<string, string | null>();
  for (const event of log.events) {
    for (const change of event.changes) {
      last.set(change.key, change.type === "put" ? change.value ?? null : null);
    }
  }
  const problems: string[] = [];
  for (const [key, final] of finals) {
    const seen = last.get(key) ?? null;
    if (seen === final) continue;
    problems.push(
      `"${key}": the last event says ${JSON.stringify(seen)}, every node holds ${
        JSON.stringify(final)
      }`,
    );
  }
  return problems;
}

/** Events of the workload's keys that put a value no live put or compare-and-swap wrote there. */
function inventedValues(
  log: WatchLog,
  records: readonly OpRecord[],
  finals: ReadonlyMap<string, string | null>,
): string[] {
  const written = new Set(records.filter(mayHaveWritten).map((r) => `${r.key}=${r.value}`));
  const invented: string[] = [];
  for (const event of log.events) {
    for (const change of event.changes) {
      if (change.type !== "put" || !finals.has(change.key)) continue;
      if (written.has(`${change.key}=${change.value}`)) continue;
      invented.push(`"${change.key}" = ${JSON.stringify(change.value)} at ${event.index}`);
    }
  }
  return invented;
}

/** Acknowledged writes with an index that no event at that index shows, of those checked. */
function missingWrites(log: WatchLog, records: readonly OpRecord[]) {
  const byIndex = new Map(log.events.map((e) => [e.index, e.changes]));
  const missing: string[] = [];
  let checked = 0;
  for (const r of records) {
    if (r.worker < 0 || r.index === null || !isAcknowledgedWrite(r)) continue;
    if (r.kind === "delete" && !r.deleted) continue;
    if (!r.key.startsWith(log.prefix)) continue;
    checked++;
    const put = r.kind !== "delete";
    const found = (byIndex.get(r.index) ?? []).some((c) =>
      c.key === r.key && (put ? c.type === "put" && c.value === r.value : c.type === "delete")
    );
    if (!found) {
      missing.push(
        `${put ? `${r.kind} "${r.key}" = "${r.value}"` : `delete "${r.key}"`} at ${r.index}`,
      );
    }
  }
  return { missing, checked };
}

/**
 * The verdict on one watcher: `finals` are the values every node converged
 * to, `records` the workload's history.
 *
 * @example
 * ```ts
 * import { watchVerdict } from "./watch_verdict.ts";
 * const change = { type: "put" as const, key: "k0", value: "a" };
 * const event = { index: 5, changes: [change], node: "n1" };
 * const log = {
 *   name: "watch-1", prefix: "k", fromIndex: 1, events: [event, event],
 *   streams: [], through: 5, refused: 0, compacted: null,
 * };
 * const verdict = watchVerdict(log, [], new Map([["k0", "a"]]), { index: 5, reached: true });
 * if (verdict.ok) throw new Error("a repeated event went unnoticed");
 * ```
 */
export function watchVerdict(
  log: WatchLog,
  records: readonly OpRecord[],
  finals: ReadonlyMap<string, string | null>,
  catchUp: CatchUp,
): Verdict {
  const check = `watcher ${log.name} saw the committed changes in order`;
  const nodes = new Set(log.streams.map((s) => s.node)).size;
  const seen = `${log.events.length} events over ${log.streams.length} streams on ${nodes} nodes`;
  const order = orderProblems(log);
  if (order.length > 0) return { check, ok: false, detail: `${seen}; ${listed(order)}` };
  if (log.compacted !== null) {
    return { check, ok: true, detail: `${seen}; ended early, order only: ${log.compacted}` };
  }
  if (!catchUp.reached) {
    const detail = `${seen}; it saw through index ${log.through}, the cluster is at ` +
      `${catchUp.index}`;
    return { check, ok: false, detail };
  }
  const values = valueProblems(log, finals);
  if (values.length > 0) return { check, ok: false, detail: `${seen}; ${listed(values)}` };
  const invented = inventedValues(log, records, finals);
  if (invented.length > 0) {
    const detail = `${seen}; events of writes nobody made: ${listed(invented)}`;
    return { check, ok: false, detail };
  }
  const { missing, checked } = missingWrites(log, records);
  if (missing.length > 0) {
    const detail = `${seen}; ${missing.length} acknowledged writes missing: ${listed(missing)}`;
    return { check, ok: false, detail };
  }
  return { check, ok: true, detail: `${seen}, ${checked} acknowledged writes among them` };
}

function describeEvent(event: WatchLog["events"][number]): string {
  const changes = event.changes.map((c) =>
    c.type === "put" ? `put "${c.key}" = ${JSON.stringify(c.value)}` : `delete "${c.key}"`
  );
  return `@${event.index} [${changes.join("; ")}]`;
}

/**
 * Whether watchers of the same prefix from the same index saw the same
 * events through the lowest index all of them saw; null when fewer than two
 * can be compared (a watch every node refused with 410 is left out).
 *
 * @example
 * ```ts
 * import { watchersAgree } from "./watch_verdict.ts";
 * const log = (value: string) => ({
 *   name: value, prefix: "k", fromIndex: 1, streams: [], through: 5, refused: 0, compacted: null,
 *   events: [{ index: 5, node: "n1", changes: [{ type: "put" as const, key: "k0", value }] }],
 * });
 * if (watchersAgree([log("a"), log("b")])?.ok !== false) throw new Error("a difference went unnoticed");
 * ```
 */
export function watchersAgree(logs: readonly WatchLog[]): Verdict | null {
  const open = logs.filter((l) => l.compacted === null);
  const first = open[0];
  const compared = open.filter((l) =>
    l.prefix === first?.prefix && l.fromIndex === first.fromIndex
  );
  if (first === undefined || compared.length < 2) return null;
  const check = "watchers saw the same events";
  const through = Math.min(...compared.map((l) => l.through));
  const seen = compared.map((l) => l.events.filter((e) => e.index <= through).map(describeEvent));
  for (const [n, events] of seen.entries()) {
    const other = compared[n]!;
    for (let i = 0; i < Math.max(events.length, seen[0]!.length); i++) {
      if (events[i] === seen[0]![i]) continue;
      const detail = `event ${i}: ${first.name} saw ${seen[0]![i] ?? "nothing"}, ${other.name} ` +
        `saw ${events[i] ?? "nothing"}`;
      return { check, ok: false, detail };
    }
  }
  return { check, ok: true, detail: `${seen[0]!.length} events each through index ${through}` };
}
