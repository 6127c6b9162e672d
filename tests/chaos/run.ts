/**
 * One chaos run inside the lab: form a cluster of real nodes, let the
 * clients work while the nemesis plays the seed's faults, heal everything,
 * run the checks, and clean up whatever happened.
 *
 * @module
 */

import { Cluster, type NodeProcess, sleep } from "../cluster/harness.ts";
import { converges, historyVerdicts, noCrashes, servesAgain, type Verdict } from "./checks.ts";
import { Lab } from "./lab.ts";
import { Nemesis } from "./nemesis.ts";
import { type NemesisName, planRun } from "./plan.ts";
import { formatRun, passed, type RunResult } from "./report.ts";
import { formatRecord, type OpRecord } from "./history.ts";
import { type Endpoint, Workload, WORKLOAD_DEFAULTS } from "./workload.ts";
import { Watcher } from "./watcher.ts";
import { watchersAgree, watchVerdict } from "./watch_verdict.ts";
import { createRng } from "../../src/raft/rng.ts";

/** What one run does. */
export interface RunOptions {
  nemesis: NemesisName;
  seed: number;
  /** How long faults are played, in seconds. */
  seconds: number;
  /** Voters to start with: 3 or 5. */
  nodes: number;
  /** Test only: consistent reads go out as stale ones (see `WorkloadOptions.unsafeReads`). */
  unsafeReads: boolean;
  /** Test only: watchers lose an event at each resume (see `Watcher`). */
  unsafeWatch: boolean;
  /** Where the report and history go (a folder per seed), or null. */
  outDir: string | null;
  /** More flags for every node. */
  nodeArgs: string[];
  /** The script nodes run, or `""` for this checkout's `main.ts`. */
  entry: string;
}

/** Node timing: the defaults a user gets. */
const HEARTBEAT_MS = 50;
const ELECTION_MS = 500;
/** Applied entries between snapshots, low so that runs take and install some. */
const SNAPSHOT_ENTRIES = 500;
/** Longest a failover is timed; a fault lasts less, so a probe usually ends with the heal. */
const FAILOVER_BOUND_MS = 15_000;
/** Bounds of the checks after healing. */
const SERVE_BOUND_MS = 15_000;
const CONVERGE_BOUND_MS = 30_000;
const FINAL_READ_BOUND_MS = 15_000;
/** Watchers of the workload's keys, and how long they may take to catch up after healing. */
const WATCHERS = 2;
const WATCH_PREFIX = "k";
const WATCH_CATCH_UP_MS = 20_000;
/**
 * A watched key outside the workload's keys, written once after healing:
 * a watcher that saw its event has seen every write before it.
 */
const WATCH_MARK_KEY = "k-watch-mark";
/** Log lines kept per node in a failed run's report. */
const LOG_TAIL_LINES = 80;

/** Runs one chaos run; only inside a lab. */
export async function chaosRun(options: RunOptions): Promise<RunResult> {
  const lab = await Lab.open();
  const cluster = await Cluster.create({
    heartbeatMs: HEARTBEAT_MS,
    electionMs: ELECTION_MS,
    snapshotEntries: SNAPSHOT_ENTRIES,
    placement: (id) => lab.placement(id),
    extraArgs: options.nodeArgs,
    ...(options.entry === "" ? {} : { entry: options.entry }),
  });
  let watchers: Watcher[] = [];
  try {
    for (let i = 1; i <= options.nodes + 1; i++) await lab.addHost(`n${i}`, `${cluster.dir}/disks`);
    await cluster.form(options.nodes);
    const t0 = performance.now();
    const clock = () => performance.now() - t0;
    const endpoints = (): Endpoint[] =>
      cluster.nodes.map((n) => ({ id: n.id, httpAddr: n.httpAddr }));
    const workload = new Workload(
      { ...WORKLOAD_DEFAULTS, seed: options.seed, unsafeReads: options.unsafeReads },
      endpoints,
      clock,
    );
    watchers = startWatchers(options, endpoints);
    const nemesis = new Nemesis(cluster, lab, clock, {
      spareId: `n${options.nodes + 1}`,
      probe: (down, sinceMs, signal) =>
        workload.probeWrite(down, sinceMs, { boundMs: FAILOVER_BOUND_MS, signal }),
    });
    workload.start();
    let verdicts: Verdict[];
    try {
      const runMs = options.seconds * 1000;
      await nemesis.run(planRun(options.nemesis, options.seed, options.seconds), runMs);
      if (clock() < runMs) await sleep(runMs - clock());
      await nemesis.healAll();
      verdicts = [await servesAgain(workload, endpoints(), SERVE_BOUND_MS)];
    } finally {
      await workload.stop();
    }
    const keys = Array.from({ length: WORKLOAD_DEFAULTS.keys }, (_, i) => `k${i}`);
    const converged = await converges(cluster, nemesis.view, keys, CONVERGE_BOUND_MS);
    verdicts.push(converged.verdict);
    const finals = await finalReads(workload, converged.members, keys);
    const watched = await watchVerdicts(watchers, cluster, converged.members, workload, finals);
    workload.close();
    verdicts.push(noCrashes(cluster, nemesis.view, nemesis.diskExitPids));
    verdicts.push(...historyVerdicts(workload.history, finals));
    verdicts.push(anomalies(workload.history));
    verdicts.push(...watched);
    const run: RunResult = {
      ...options,
      records: workload.history,
      watches: watchers.map((w) => w.log),
      timeline: nemesis.timeline,
      verdicts,
      logTails: "",
    };
    if (!passed(run)) run.logTails = cluster.logTails(LOG_TAIL_LINES);
    if (options.outDir !== null) await save(run, options.outDir, cluster.nodes);
    return run;
  } finally {
    await Promise.all(watchers.map((w) => w.stop()));
    await cluster.cleanup();
    await lab.close();
    await Deno.remove(cluster.dir, { recursive: true }).catch(() => {});
  }
}

/** Starts the watchers of the workload's keys, from the first index, each on a random node. */
function startWatchers(
  options: Pick<RunOptions, "seed" | "unsafeWatch">,
  endpoints: () => readonly Endpoint[],
): Watcher[] {
  return Array.from({ length: WATCHERS }, (_, i) => {
    const rng = createRng((options.seed ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const log = { name: `watch-${i + 1}`, prefix: WATCH_PREFIX, fromIndex: 1 };
    const watcher = new Watcher(log, endpoints, rng, options.unsafeWatch);
    watcher.start();
    return watcher;
  });
}

/**
 * Writes the mark, lets every watcher see through its index (or, if it
 * could not be written, the commit index the converged members report),
 * stops them, and answers their verdicts.
 */
async function watchVerdicts(
  watchers: readonly Watcher[],
  cluster: Cluster,
  members: readonly NodeProcess[],
  workload: Workload,
  finals: ReadonlyMap<string, string | null>,
): Promise<Verdict[]> {
  let index = 0;
  const mark = { kind: "put" as const, key: WATCH_MARK_KEY, value: "mark", level: null };
  for (let i = 0; i < members.length * 2 && index === 0; i++) {
    const record = await workload.perform(-4, mark, members[i % members.length]!);
    index = record.outcome === "ok" ? record.index ?? 0 : 0;
  }
  if (index === 0) {
    const statuses = await Promise.all(members.map((n) => cluster.status(n)));
    index = Math.max(0, ...statuses.map((s) => s?.commitIndex ?? 0));
  }
  const reached = await Promise.all(
    watchers.map((w) => w.catchUp(index, members, WATCH_CATCH_UP_MS)),
  );
  await Promise.all(watchers.map((w) => w.stop()));
  const verdicts = watchers.map((w, i) =>
    watchVerdict(w.log, workload.history, finals, { index, reached: reached[i]! })
  );
  const agree = watchersAgree(watchers.map((w) => w.log));
  return agree === null ? verdicts : [...verdicts, agree];
}

/**
 * Reads every key once more at level consistent, recorded as the last
 * operations of the history; answers what each key ends with.
 */
async function finalReads(
  workload: Workload,
  members: readonly Endpoint[],
  keys: readonly string[],
): Promise<Map<string, string | null>> {
  const finals = new Map<string, string | null>();
  const deadline = performance.now() + FINAL_READ_BOUND_MS;
  for (const key of keys) {
    for (let i = 0; performance.now() < deadline && members.length > 0; i++) {
      const op = { kind: "get" as const, key, value: null, level: "consistent" as const };
      const record = await workload.perform(-1, op, members[i % members.length]!);
      if (record.outcome !== "ok") continue;
      workload.history.push(record);
      finals.set(key, record.read);
      break;
    }
  }
  return finals;
}

/** No valid request may be answered with a 400 or a 500. */
function anomalies(records: readonly OpRecord[]): Verdict {
  const odd = records.filter((r) => r.anomaly);
  return {
    check: "no unexpected answers",
    ok: odd.length === 0,
    detail: odd.slice(0, 5).map(formatRecord).join("\n"),
  };
}

/**
 * Writes the report, the history (one JSON record per line), the timeline
 * and every node's log under `outDir/NEMESIS-seed-S`.
 */
async function save(run: RunResult, outDir: string, nodes: readonly NodeProcess[]): Promise<void> {
  const dir = `${outDir}/${run.nemesis}-seed-${run.seed}`;
  await Deno.mkdir(dir, { recursive: true });
  for (const node of nodes) {
    await Deno.writeTextFile(`${dir}/${node.id}.log`, node.lines.join("\n") + "\n");
  }
  await Deno.writeTextFile(`${dir}/report.txt`, formatRun(run) + "\n");
  await Deno.writeTextFile(
    `${dir}/history.jsonl`,
    run.records.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  await Deno.writeTextFile(`${dir}/timeline.json`, JSON.stringify(run.timeline, null, 2) + "\n");
  await Deno.writeTextFile(`${dir}/watches.json`, JSON.stringify(run.watches, null, 2) + "\n");
}
