/**
 * `deno task soak`: a three-node cluster under write-c64 for a long while,
 * with snapshots and compaction as they come (the node defaults). The first
 * third writes every key of the key space once (so it reaches its full size
 * early), the rest overwrites random keys. Every node's resident memory,
 * heap, log and snapshot bytes are sampled into a CSV and a small SVG plot.
 * The run passes when no request failed, no node exited, the key space was
 * full within the first third, and over the last two thirds the fitted lines
 * through resident memory and disk use rise less than 2% per ten minutes,
 * for each node and for their sum. See docs/TESTING.md.
 *
 * @module
 */

import { RafterCluster } from "./cluster.ts";
import { errorCount, type LoadOptions, type LoadResult, mergeResults } from "./load.ts";
import { runLoadInWorkers, terminateLoadWorkers, workersMax } from "./load_workers.ts";
import { integer, parseFlags, UsageError } from "./options.ts";
import { type Growth, growthVerdicts, soakSvg } from "./soak_fit.ts";
import {
  type NodeSample,
  type Sample,
  type SampledNode,
  sampleNodes,
  samplesCsv,
} from "./soak_samples.ts";

/** What a soak run does. */
export interface SoakOptions {
  durationMs: number;
  keys: number;
  connections: number;
  threads: number;
  sampleEveryMs: number;
  /** Where the CSV, the plot and the summary go. */
  outDir: string;
}

/** What a soak run found. */
export interface SoakResult {
  ids: string[];
  samples: Sample[];
  growth: Growth[];
  /** Everything that went wrong besides growth (errors, exits, a slow fill). */
  problems: string[];
  summary: string;
  passed: boolean;
}

/** The help text. */
export const SOAK_USAGE = `Usage: deno task soak [options]

Starts a 3-node rafter cluster on loopback and writes to it with 64 connections: every key once
in the first third of the run, random keys after, in 60 s spans each sent to the leader of the
moment (a leadership change is reported, and fails the run). Samples each node's resident memory, heap, log
and snapshot bytes every 10 s into samples.csv and plot.svg. Passes (exit 0) when no request
failed, no node exited, and over the last two thirds the fitted lines through resident memory and
disk use rise less than 2% per 10 minutes, for each node and in total.

Options:
  --minutes N       run time, 1..90 [30]
  --keys N          key space, 1000..10000000 [1000000]
  --threads N       Workers of the load generator, 1..${workersMax} [2]
  --out DIR         where samples.csv, plot.svg and summary.txt go [bench/out/soak-<time>]
  --help            show this text`;

/** Write connections, the write-c64 of the benchmark. */
const CONNECTIONS = 64;
/** Seconds between samples. */
const SAMPLE_EVERY_MS = 10_000;
/** A request slower than this counts as an error. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Length of one span of the steady phase, sent to one leader. */
const STEADY_SPAN_MS = 60_000;
/** Bytes of each value. */
const VALUE_BYTES = 100;
/** Port bases are drawn here until one is free. */
const PORT_BASE_MIN = 20_000;
const PORT_BASE_SPAN = 30_000;
const PORT_TRIES_MAX = 10;

/**
 * Parses the command line.
 *
 * @example
 * ```ts
 * import { parseSoakOptions } from "./soak.ts";
 * const options = parseSoakOptions(["--minutes", "5"]);
 * if (options.durationMs !== 300_000 || options.keys !== 1_000_000) throw new Error();
 * ```
 */
export function parseSoakOptions(args: string[]): SoakOptions & { help: boolean } {
  const parsed = parseFlags(args, {
    minutes: { type: "string", default: "30" },
    keys: { type: "string", default: "1000000" },
    threads: { type: "string", default: "2" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return {
    durationMs: integer("minutes", parsed.minutes, 1, 90) * 60_000,
    keys: integer("keys", parsed.keys, 1000, 10_000_000),
    connections: CONNECTIONS,
    threads: integer("threads", parsed.threads, 1, workersMax),
    sampleEveryMs: SAMPLE_EVERY_MS,
    outDir: parsed.out ?? new URL(`./out/soak-${stamp}`, import.meta.url).pathname,
    help: parsed.help,
  };
}

async function createCluster(): Promise<RafterCluster> {
  let last: unknown;
  for (let i = 0; i < PORT_TRIES_MAX; i++) {
    const base = PORT_BASE_MIN + Math.floor(Math.random() * PORT_BASE_SPAN / 100) * 100;
    try {
      return await RafterCluster.create({
        raftPortFirst: base,
        httpPortFirst: base + 50,
        mainPath: new URL("./soak_node.ts", import.meta.url).pathname,
      });
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

/** Samples every node at a fixed interval until stopped; `phase` labels the samples. */
class Sampler {
  readonly samples: Sample[] = [];
  phase: Sample["phase"] = "fill";
  readonly #t0 = performance.now();
  #done = false;
  readonly #loop: Promise<void>;

  constructor(nodes: readonly SampledNode[], everyMs: number) {
    this.#loop = (async () => {
      while (!this.#done) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        const atS = (performance.now() - this.#t0) / 1000;
        this.samples.push({ atS, phase: this.phase, nodes: await sampleNodes(nodes) });
      }
    })();
  }

  /** Milliseconds since sampling started. */
  elapsedMs(): number {
    return performance.now() - this.#t0;
  }

  /** Takes one last sample at the next tick and stops. */
  async stop(): Promise<Sample[]> {
    this.#done = true;
    await this.#loop;
    return this.samples;
  }
}

/**
 * The two phases of the load: every key once within a third of the run, then
 * random keys in spans of {@link STEADY_SPAN_MS}, each sent to the node that
 * leads when it starts, so a leadership change costs the errors of one span
 * and the figures keep coming. Each change is noted.
 */
async function runPhases(cluster: RafterCluster, options: SoakOptions, sampler: Sampler) {
  const base: Omit<LoadOptions, "mode" | "durationMs" | "url"> = {
    target: "rafter",
    op: "write",
    connections: options.connections,
    keys: options.keys,
    valueBytes: VALUE_BYTES,
    timeoutMs: REQUEST_TIMEOUT_MS,
    client: "raw",
  };
  const third = Math.floor(options.durationMs / 3);
  let url = cluster.leaderUrl;
  const fill = await runLoadInWorkers(
    { ...base, url, mode: "preload", durationMs: third },
    options.threads,
  );
  sampler.phase = "steady";
  let steady: LoadResult | null = null;
  const changes: string[] = [];
  for (let restMs = options.durationMs - sampler.elapsedMs(); restMs >= 1;) {
    const leader = await cluster.currentLeaderUrl() ?? url;
    if (leader !== url) {
      changes.push(
        `the leader moved from ${url} to ${leader} by ${sampler.elapsedMs() / 1000 | 0} s`,
      );
      url = leader;
    }
    const durationMs = Math.round(Math.min(restMs, STEADY_SPAN_MS));
    const span = await runLoadInWorkers(
      { ...base, url, mode: "random", durationMs },
      options.threads,
    );
    steady = steady === null ? span : mergeResults(steady, span, "sequential");
    restMs = options.durationMs - sampler.elapsedMs();
  }
  return { fill, steady: steady ?? fill, changes };
}

/** Everything besides growth that fails a run. */
function problemsOf(
  loads: { fill: LoadResult; steady: LoadResult; changes: string[] },
  cluster: RafterCluster,
  keys: number,
): string[] {
  const problems: string[] = [...loads.changes];
  if (!loads.fill.complete) {
    problems.push(`the key space did not reach ${keys} keys within the first third`);
  }
  for (const [name, result] of [["fill", loads.fill], ["steady", loads.steady]] as const) {
    const errors = errorCount(result);
    if (errors > 0) problems.push(`${name}: ${errors} errors, first: ${result.firstError}`);
  }
  for (const node of cluster.nodes().filter((n) => n.exited)) {
    problems.push(`${node.id} exited with status ${node.exitCode}`);
  }
  return problems;
}

function rate(result: LoadResult): string {
  const seconds = result.elapsedMs / 1000;
  return `${result.ok} writes in ${seconds.toFixed(0)} s (${
    (result.ok / seconds).toFixed(0)
  }/s), ` +
    `${errorCount(result)} errors`;
}

/** The summary: throughput, figures at both ends of the judged window, growth, problems. */
function formatSummary(
  options: SoakOptions,
  loads: { fill: LoadResult; steady: LoadResult },
  result: Omit<SoakResult, "summary">,
): string {
  const runS = options.durationMs / 1000;
  const judged = result.samples.filter((s) => s.atS >= runS / 3);
  const ends = [judged[0], judged[judged.length - 1]];
  const at = (end: number, i: number, f: (n: NodeSample) => number) => {
    const node = ends[end]?.nodes[i];
    return node === undefined ? "-" : mib(f(node));
  };
  const disk = (n: NodeSample) => n.walBytes + n.snapBytes;
  return [
    `== soak: ${(runS / 60).toFixed(0)} min, ${options.keys} keys, ` +
    `write-c${options.connections}, ${result.ids.length} nodes ==`,
    `fill: ${rate(loads.fill)}`,
    `steady: ${rate(loads.steady)}`,
    "judged window (last two thirds), first and last sample:",
    ...result.ids.map((id, i) =>
      `  ${id}: rss ${at(0, i, (n) => n.rssBytes)} -> ${at(1, i, (n) => n.rssBytes)}, ` +
      `heap ${at(0, i, (n) => n.heapBytes)} -> ${at(1, i, (n) => n.heapBytes)}, ` +
      `disk ${at(0, i, disk)} -> ${at(1, i, disk)}`
    ),
    "growth of the fitted line per 10 minutes (limit 2%):",
    ...result.growth.map((g) =>
      `  ${g.ok ? "ok  " : "FAIL"} ${g.series}: ` +
      (g.growth === null ? "-" : `${(g.growth * 100).toFixed(2)}%`)
    ),
    ...result.problems.map((p) => `FAIL ${p}`),
    result.passed ? "PASS" : "FAIL",
  ].join("\n");
}

/** Copies every node's log into `outDir` (best effort: the cluster's folder goes with it). */
async function keepLogs(cluster: RafterCluster, outDir: string): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  for (const node of cluster.nodes()) {
    await Deno.copyFile(node.stderrPath, `${outDir}/${node.id}.log`).catch(() => {});
  }
}

/** Runs a soak and writes its CSV, plot, summary and node logs; always stops the cluster. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const cluster = await createCluster();
  try {
    await cluster.start();
    const nodes = cluster.nodes().map((n) => ({
      ...n,
      stdoutPath: `${cluster.dir}/${n.id}.stdout.log`,
    }));
    const ids = nodes.map((n) => n.id);
    const sampler = new Sampler(nodes, options.sampleEveryMs);
    const loads = await runPhases(cluster, options, sampler);
    const samples = await sampler.stop();
    const problems = problemsOf(loads, cluster, options.keys);
    const runS = options.durationMs / 1000;
    const growth = growthVerdicts(ids, samples, runS);
    const passed = problems.length === 0 && growth.every((g) => g.ok);
    const partial = { ids, samples, growth, problems, passed };
    const summary = formatSummary(options, loads, partial);
    await Deno.mkdir(options.outDir, { recursive: true });
    await Deno.writeTextFile(`${options.outDir}/samples.csv`, samplesCsv(ids, samples));
    await Deno.writeTextFile(`${options.outDir}/plot.svg`, soakSvg(ids, samples, runS));
    await Deno.writeTextFile(`${options.outDir}/summary.txt`, summary + "\n");
    return { ...partial, summary };
  } finally {
    await keepLogs(cluster, options.outDir);
    await cluster.stop();
  }
}

/** Runs `deno task soak` with `args`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseSoakOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`soak: ${error.message}\n\n${SOAK_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(SOAK_USAGE);
    return 0;
  }
  const onSignal = () => {
    terminateLoadWorkers();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const result = await runSoak(options);
    console.log(result.summary);
    console.log(`samples: ${options.outDir}/samples.csv, plot: ${options.outDir}/plot.svg`);
    return result.passed ? 0 : 1;
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
