/**
 * Figures and text of chaos runs: availability (ok operations per second)
 * while each kind of fault holds and while none does, the time from a
 * leader's loss to the first write a new leader acknowledged, one run's
 * report, and the tallies over many runs.
 *
 * @module
 */

import type { Verdict } from "./checks.ts";
import { isAcknowledgedWrite, type OpRecord } from "./history.ts";
import type { TimelineEvent } from "./nemesis.ts";
import type { WatchLog } from "./watcher.ts";
import type { FaultKind, NemesisName } from "./plan.ts";

/** Kinds of failure a run's report lists. */
const FAILURE_KINDS_SHOWN = 6;

/** Ok operations over a span of time. */
export interface Availability {
  okOps: number;
  ops: number;
  indeterminate: number;
  ms: number;
}

/** Everything one run produced. */
export interface RunResult {
  nemesis: NemesisName;
  seed: number;
  nodes: number;
  seconds: number;
  unsafeReads: boolean;
  unsafeWatch: boolean;
  nodeArgs: string[];
  entry: string;
  records: OpRecord[];
  /** What each watcher saw. */
  watches: WatchLog[];
  timeline: TimelineEvent[];
  verdicts: Verdict[];
  /** Every node's log tail, kept when a check failed. */
  logTails: string;
}

/** The command that replays a run's faults. */
export function replayCommand(
  run: Pick<
    RunResult,
    "nemesis" | "seed" | "nodes" | "seconds" | "unsafeReads" | "unsafeWatch" | "nodeArgs" | "entry"
  >,
): string {
  const extra = (run.unsafeReads ? " --unsafe-reads" : "") +
    (run.unsafeWatch ? " --unsafe-watch" : "") +
    (run.nodeArgs.length > 0 ? ` "--node-args=${run.nodeArgs.join(" ")}"` : "") +
    (run.entry === "" ? "" : ` --entry ${run.entry}`);
  return `deno task chaos --runs 1 --nemesis ${run.nemesis} --seed ${run.seed} ` +
    `--seconds ${run.seconds} --nodes ${run.nodes}${extra}`;
}

/** Whether every check of `run` passed. */
export function passed(run: RunResult): boolean {
  return run.verdicts.every((v) => v.ok);
}

function empty(): Availability {
  return { okOps: 0, ops: 0, indeterminate: 0, ms: 0 };
}

function count(into: Availability, records: readonly OpRecord[], from: number, to: number) {
  for (const r of records) {
    if (r.ret < from || r.ret >= to) continue;
    into.ops++;
    if (r.outcome === "ok") into.okOps++;
    if (r.outcome === "indeterminate") into.indeterminate++;
  }
  into.ms += to - from;
}

/**
 * Operations completed while each kind of fault held (an operation during
 * two overlapping faults counts for both) and while none did, from the
 * first operation to the last.
 */
export function availability(run: RunResult): Map<FaultKind | "healthy", Availability> {
  const records = run.records.filter((r) => r.worker >= 0);
  const result = new Map<FaultKind | "healthy", Availability>();
  for (const event of run.timeline) {
    const into = result.get(event.kind) ?? empty();
    count(into, records, event.start, event.end);
    result.set(event.kind, into);
  }
  // One millisecond past the last completion, so the last operation counts.
  const end = records.reduce((max, r) => Math.max(max, r.ret), 0) + 1;
  const windows = [...run.timeline].sort((a, b) => a.start - b.start);
  const healthy = empty();
  let from = 0;
  for (const event of windows) {
    if (event.start > from) count(healthy, records, from, event.start);
    from = Math.max(from, event.end);
  }
  if (end > from) count(healthy, records, from, end);
  result.set("healthy", healthy);
  return result;
}

/**
 * For each `kill -9` or `SIGSTOP` of the leader: milliseconds from the fault
 * to the first write a new leader acknowledged, as the nemesis' probe timed
 * it (writes through the other nodes with short timeouts, so the clients'
 * own timeouts do not count).
 */
export function failoverTimes(run: RunResult): number[] {
  return run.timeline.flatMap((e) => typeof e.failoverMs === "number" ? [e.failoverMs] : []);
}

/**
 * For each fault: milliseconds from its heal to the first write any client
 * had acknowledged after it (how long the cluster took to serve again).
 */
export function recoveryTimes(run: RunResult): { kind: FaultKind; ms: number }[] {
  const writes = run.records
    .filter((r) => r.worker >= 0 && isAcknowledgedWrite(r))
    .map((r) => r.ret)
    .sort((a, b) => a - b);
  const times: { kind: FaultKind; ms: number }[] = [];
  for (const event of run.timeline) {
    const first = writes.find((ret) => ret > event.end);
    if (first !== undefined) times.push({ kind: event.kind, ms: first - event.end });
  }
  return times;
}

/** The kind of answer behind a failed or indeterminate operation, without its specifics. */
function failureKind(r: OpRecord): string {
  if (r.status !== 0) {
    let error = r.note;
    try {
      error = String((JSON.parse(r.note) as { error?: unknown }).error ?? r.note);
    } catch {
      // Not JSON (cut short, or a plain body).
    }
    return `${r.status} ${error.replace(/"[^"]*"/g, '"…"').slice(0, 60)}`;
  }
  if (r.note.includes("Connection refused") || r.note.includes("client error (Connect)")) {
    return "could not connect";
  }
  if (r.note.includes("TimeoutError") || r.note.includes("timed out")) return "client timeout";
  if (r.note.includes("connection closed")) return "connection closed";
  return r.note.slice(0, 60);
}

/**
 * Failed and indeterminate operations grouped by what answered them, most
 * frequent first, with the median time to that answer: how the cluster
 * says no.
 */
export function failureBreakdown(records: readonly OpRecord[]): string[] {
  const groups = new Map<string, number[]>();
  for (const r of records) {
    if (r.worker < 0 || r.outcome === "ok") continue;
    const kind = `${r.kind === "get" ? "read" : "write"}: ${failureKind(r)}`;
    const list = groups.get(kind) ?? [];
    list.push(r.ret - r.call);
    groups.set(kind, list);
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length).map(([kind, times]) =>
    `${kind} x${times.length} (median ${medianMax(times)!.median.toFixed(0)} ms)`
  );
}

/** The workers' operations by kind: `put 120, delete 40, cas 61 (swapped 30), get 240`. */
export function kindCounts(records: readonly OpRecord[]): string {
  const of = (kind: OpRecord["kind"]) => records.filter((r) => r.worker >= 0 && r.kind === kind);
  const swapped = of("cas").filter((r) => r.outcome === "ok" && r.swapped).length;
  return `put ${of("put").length}, delete ${of("delete").length}, cas ${of("cas").length} ` +
    `(swapped ${swapped}), get ${of("get").length}`;
}

/** Change events the watchers of `run` got, over all of them. */
export function watchEventCount(run: Pick<RunResult, "watches">): number {
  return run.watches.reduce((sum, w) => sum + w.events.length, 0);
}

function rate(a: Availability): string {
  return a.ms <= 0 ? "-" : (a.okOps / (a.ms / 1000)).toFixed(1);
}

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(1)}s`;
}

/** The report of one run: seed, timeline, figures, checks, and on failure excerpts and logs. */
export function formatRun(run: RunResult): string {
  const lines = [
    `== chaos run: nemesis ${run.nemesis}, seed ${run.seed}, ${run.nodes} nodes, ${run.seconds} s ==`,
    "timeline:",
  ];
  for (const event of run.timeline) {
    const notes = event.notes.length === 0 ? "" : ` [${event.notes.join("; ")}]`;
    lines.push(`  ${seconds(event.start)} .. ${seconds(event.end)}  ${event.detail}${notes}`);
  }
  const records = run.records.filter((r) => r.worker >= 0);
  const by = (outcome: string) => records.filter((r) => r.outcome === outcome).length;
  const anomalies = records.filter((r) => r.anomaly).length;
  lines.push(
    `operations: ${records.length} (ok ${by("ok")}, failed ${by("failed")}, ` +
      `indeterminate ${by("indeterminate")}, anomalies ${anomalies})`,
    `by kind: ${kindCounts(records)}`,
  );
  for (const watch of run.watches) {
    const resumes = Math.max(0, watch.streams.length - 1);
    lines.push(
      `${watch.name}: ${watch.events.length} change events through index ${watch.through}, ` +
        `${watch.streams.length} streams (${resumes} resumes, ${watch.refused} refused with 410)` +
        (watch.compacted === null ? "" : `, ended early: ${watch.compacted}`),
    );
  }
  const figures = [...availability(run)].map(([kind, a]) => `${kind} ${rate(a)}`);
  lines.push(`availability (ok ops/s): ${figures.join(", ")}`);
  const failures = failureBreakdown(run.records).slice(0, FAILURE_KINDS_SHOWN);
  if (failures.length > 0) lines.push(`failures by answer:\n  ${failures.join("\n  ")}`);
  const failover = failoverTimes(run).map((ms) => `${ms.toFixed(0)} ms`);
  if (failover.length > 0) lines.push(`leader lost -> first write on a new leader: ${failover}`);
  lines.push("checks:");
  for (const v of run.verdicts) {
    lines.push(`  ${v.ok ? "ok  " : "FAIL"} ${v.check}${v.detail === "" ? "" : `: ${v.detail}`}`);
    if (v.excerpt !== undefined) lines.push(`history around the violation:\n${v.excerpt}`);
  }
  lines.push(`replay: ${replayCommand(run)}`);
  if (!passed(run)) lines.push(`node logs:\n${run.logTails}`);
  return lines.join("\n");
}

/** Median and maximum of `values`, or null when empty. */
export function medianMax(values: readonly number[]): { median: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, max: sorted[sorted.length - 1]! };
}

/** The tallies over many runs: per nemesis, per fault kind, and failover times. */
export function formatTallies(runs: readonly RunResult[]): string {
  const lines = ["== tallies =="];
  lines.push("nemesis     runs  operations  indeterminate  violations    cas  watch events");
  const nemeses = [...new Set(runs.map((r) => r.nemesis))];
  for (const nemesis of nemeses) {
    const of = runs.filter((r) => r.nemesis === nemesis);
    const records = of.flatMap((r) => r.records.filter((x) => x.worker >= 0));
    const indeterminate = records.filter((r) => r.outcome === "indeterminate").length;
    const failed = of.filter((r) => !passed(r)).length;
    const cas = records.filter((r) => r.kind === "cas").length;
    const events = of.reduce((sum, r) => sum + watchEventCount(r), 0);
    lines.push(
      `${nemesis.padEnd(11)} ${String(of.length).padStart(4)}  ${
        String(records.length).padStart(10)
      }  ${String(indeterminate).padStart(13)}  ${String(failed).padStart(10)}  ${
        String(cas).padStart(5)
      }  ${String(events).padStart(12)}`,
    );
  }
  lines.push("fault kind   episodes  operations  indeterminate  runs failed  ok ops/s");
  const kinds = new Map<string, Availability & { episodes: number; failed: number }>();
  for (const run of runs) {
    for (const [kind, a] of availability(run)) {
      const into = kinds.get(kind) ?? { ...empty(), episodes: 0, failed: 0 };
      into.okOps += a.okOps;
      into.ops += a.ops;
      into.indeterminate += a.indeterminate;
      into.ms += a.ms;
      into.episodes += kind === "healthy" ? 0 : run.timeline.filter((e) => e.kind === kind).length;
      into.failed += passed(run) ? 0 : 1;
      kinds.set(kind, into);
    }
  }
  for (const [kind, a] of kinds) {
    lines.push(
      `${kind.padEnd(12)} ${String(a.episodes).padStart(8)}  ${String(a.ops).padStart(10)}  ${
        String(a.indeterminate).padStart(13)
      }  ${String(a.failed).padStart(11)}  ${rate(a).padStart(8)}`,
    );
  }
  const recoveries = runs.flatMap(recoveryTimes);
  for (const kind of new Set(recoveries.map((r) => r.kind))) {
    const figures = medianMax(recoveries.filter((r) => r.kind === kind).map((r) => r.ms))!;
    lines.push(
      `${kind} healed -> next acknowledged write: median ${figures.median.toFixed(0)} ms, ` +
        `max ${figures.max.toFixed(0)} ms`,
    );
  }
  const served = medianMax(runs.flatMap((r) => r.verdicts.flatMap((v) => v.ms ?? [])));
  if (served !== null) {
    lines.push(
      `heal -> first acknowledged write: median ${served.median.toFixed(0)} ms, ` +
        `max ${served.max.toFixed(0)} ms`,
    );
  }
  const failover = medianMax(runs.flatMap(failoverTimes));
  lines.push(
    failover === null
      ? "failover: no leader was taken out"
      : `failover (leader kill -9 or SIGSTOP -> first write on a new leader): ` +
        `median ${failover.median.toFixed(0)} ms, max ${failover.max.toFixed(0)} ms ` +
        `over ${runs.flatMap(failoverTimes).length} faults`,
  );
  for (const run of runs.filter((r) => !passed(r))) {
    const failedChecks = run.verdicts.filter((v) => !v.ok).map((v) => v.check).join(", ");
    lines.push(`FAILED seed ${run.seed} (${run.nemesis}): ${failedChecks}`);
  }
  return lines.join("\n");
}
