/**
 * The checks after a chaos run, once every fault is healed: the cluster
 * serves again (a write, then a consistent read of it), every member's log
 * and state machine converge, no node crashed but those the nemesis
 * stopped, the history is linearizable, stale reads saw written values, and
 * no acknowledged write was lost.
 *
 * @module
 */

import type { Cluster, NodeProcess } from "../cluster/harness.ts";
import { sleep } from "../cluster/harness.ts";
import { checkLinearizable } from "../sim/linearizability.ts";
import {
  checkerHistory,
  formatRecord,
  lostWrites,
  type OpRecord,
  staleReadViolations,
} from "./history.ts";
import type { ClusterView } from "./membership.ts";
import type { Endpoint, Workload } from "./workload.ts";

/** One check's verdict. */
export interface Verdict {
  check: string;
  ok: boolean;
  /** Why it failed, or a figure worth reporting. */
  detail: string;
  /** For a history violation: the operations around it. */
  excerpt?: string;
  /** For "serves again": milliseconds from the heal to the acknowledged write. */
  ms?: number;
}

/** Pause between polls. */
const POLL_MS = 100;
/** Operations shown before and after the one a violation is about. */
const EXCERPT_BEFORE = 25;
const EXCERPT_AFTER = 10;
/** The key the service check writes; outside the workload's key space. */
const PROBE_KEY = "chaos-heal-probe";

/**
 * Writes then reads back (consistent) one key until both succeed or
 * `boundMs` passes, trying every endpoint in turn; reports the time each took.
 */
export async function servesAgain(
  workload: Workload,
  endpoints: readonly Endpoint[],
  boundMs: number,
): Promise<Verdict> {
  const started = performance.now();
  const deadline = started + boundMs;
  const value = `probe-${Date.now()}`;
  let writeMs = -1;
  let last = "";
  for (let i = 0; performance.now() < deadline; i++) {
    const target = endpoints[i % endpoints.length]!;
    const op = writeMs < 0
      ? { kind: "put" as const, key: PROBE_KEY, value, level: null }
      : { kind: "get" as const, key: PROBE_KEY, value: null, level: "consistent" as const };
    const record = await workload.perform(-2, op, target);
    last = formatRecord(record);
    if (record.outcome === "ok" && op.kind === "put") writeMs = performance.now() - started;
    if (record.outcome === "ok" && op.kind === "get") {
      if (record.read !== value) {
        return { check: "serves again", ok: false, detail: `read back ${last}` };
      }
      const readMs = performance.now() - started;
      return {
        check: "serves again",
        ok: true,
        detail: `write after ${writeMs.toFixed(0)} ms, consistent read after ${
          readMs.toFixed(0)
        } ms`,
        ms: writeMs,
      };
    }
    if (record.outcome !== "ok") await sleep(POLL_MS);
  }
  return { check: "serves again", ok: false, detail: `not within ${boundMs} ms; last: ${last}` };
}

/**
 * Waits until every member reports the same commit, applied and last log
 * index, then reads every key at level stale on each and compares.
 * Answers the verdict and the members compared.
 */
export async function converges(
  cluster: Cluster,
  view: ClusterView,
  keys: readonly string[],
  boundMs: number,
): Promise<{ verdict: Verdict; members: NodeProcess[] }> {
  const deadline = performance.now() + boundMs;
  let last = "";
  let members: NodeProcess[] = [];
  while (performance.now() < deadline) {
    members = (await view.members()).nodes;
    const statuses = await Promise.all(members.map((n) => cluster.status(n)));
    const indexes = statuses.map((s) =>
      s === null ? "down" : `${s.commitIndex}/${s.appliedIndex}/${s.lastLogIndex}`
    );
    last = members.map((n, i) => `${n.id} ${indexes[i]}`).join(", ");
    const first = statuses[0];
    const settled = first !== null && first !== undefined &&
      statuses.every((s) =>
        s !== null && s.commitIndex === first.commitIndex &&
        s.appliedIndex === s.commitIndex && s.lastLogIndex === first.lastLogIndex
      );
    if (settled) {
      const differ = await differingKeys(members, keys);
      if (differ.length === 0) {
        return { verdict: { check: "converges", ok: true, detail: last }, members };
      }
      last = differ.join("; ");
    }
    await sleep(POLL_MS);
  }
  const detail = `not within ${boundMs} ms (commit/applied/last log: ${last})`;
  return { verdict: { check: "converges", ok: false, detail }, members };
}

async function differingKeys(nodes: readonly NodeProcess[], keys: readonly string[]) {
  const differ: string[] = [];
  for (const key of keys) {
    const values = await Promise.all(nodes.map(async (node) => {
      const url = `http://${node.httpAddr}/key?key=${encodeURIComponent(key)}&level=stale`;
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      return response.status === 404 ? null : JSON.parse(text).value as string;
    }));
    if (values.some((value) => value !== values[0])) {
      differ.push(`${key}: ${nodes.map((n, i) => `${n.id}=${values[i]}`).join(" ")}`);
    }
  }
  return differ;
}

/** Lines a node printed while running as process `pid`. */
function linesOfRun(node: NodeProcess, pid: number): string[] {
  const start = node.lines.findIndex((line) => line.includes(`started (pid ${pid})`));
  if (start < 0) return [];
  const end = node.lines.findIndex((line, i) => i > start && line.startsWith(`--- ${node.id} `));
  return node.lines.slice(start, end < 0 ? undefined : end + 1);
}

/**
 * No node exited but those the harness signalled and those a failed disk was
 * meant to stop (status 1, after an error line naming a file of its data
 * directory), and every node that should run runs.
 */
export function noCrashes(
  cluster: Cluster,
  view: ClusterView,
  diskExitPids: ReadonlySet<number>,
): Verdict {
  const crashes: string[] = [];
  for (const node of cluster.nodes) {
    for (const exit of node.exits) {
      if (exit.byHarness) continue;
      // The node must have said why: an error naming a file of its data directory.
      const said = linesOfRun(node, exit.pid).some((l) =>
        l.includes(" error ") && l.includes(node.dataDir)
      );
      if (diskExitPids.has(exit.pid) && exit.code === 1 && said) continue;
      crashes.push(`${node.id} (pid ${exit.pid}) exited with ${exit.code} (${exit.signal})`);
    }
    if (!view.removed.has(node.id) && node.child === null) {
      crashes.push(`${node.id} is not running`);
    }
  }
  const detail = crashes.length === 0
    ? "only nodes the nemesis stopped exited"
    : crashes.join("; ");
  return { check: "no crashes", ok: crashes.length === 0, detail };
}

/** The history checks: linearizable, stale reads plausible, nothing acknowledged lost. */
export function historyVerdicts(
  records: readonly OpRecord[],
  finals: ReadonlyMap<string, string | null>,
): Verdict[] {
  const { ops, source } = checkerHistory(records);
  const result = checkLinearizable(ops);
  const linearizable: Verdict = {
    check: "linearizable",
    ok: result.ok,
    detail: result.ok
      ? `${ops.length} operations, ${result.steps} search steps`
      : `${result.unknown === true ? "undecided" : "violated"} on key "${result.key}"`,
  };
  if (!result.ok) {
    const stuck = result.stuck === undefined ? undefined : source.get(result.stuck);
    linearizable.excerpt = excerpt(records, result.key ?? "", stuck);
  }
  const stale = staleReadViolations(records);
  const lost = lostWrites(records, finals);
  return [
    linearizable,
    { check: "stale reads saw written values", ok: stale.length === 0, detail: stale.join("\n") },
    { check: "no acknowledged write lost", ok: lost.length === 0, detail: lost.join("\n") },
  ];
}

/** The operations on `key` around `stuck` (or the last ones), one per line. */
function excerpt(records: readonly OpRecord[], key: string, stuck: OpRecord | undefined): string {
  const ops = records.filter((r) => r.key === key).sort((a, b) => a.call - b.call);
  const at = stuck === undefined ? ops.length - 1 : ops.indexOf(stuck);
  const window = ops.slice(Math.max(0, at - EXCERPT_BEFORE), at + EXCERPT_AFTER + 1);
  return window.map((r) => `${r === stuck ? ">> " : "   "}${formatRecord(r)}`).join("\n");
}
