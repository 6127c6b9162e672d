/**
 * `deno task bench:overhead`: what counting costs a cluster under load. Runs
 * `deno task bench` (`bench/main.ts`) in interleaved rounds, each round once
 * with `--metrics off` and once with `--metrics on` (every node scraped
 * every second), the order flipping every round, each run on a fresh
 * cluster. Prints per scenario, for throughput and for the servers' CPU time
 * per request, the medians of each side and the median of the rounds'
 * on/off ratios, so a slow moment of a busy machine weighs on both sides
 * alike, and the spread of the off runs as the noise to read it against.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ScenarioReport } from "./scenarios.ts";
import { median } from "./median.ts";

const USAGE = `Usage: deno task bench:overhead [--rounds N] [-- BENCH OPTIONS...]

  --rounds N     interleaved rounds, each one run with metrics off and one on (default 3)
  -- ...         passed to every "deno task bench" run (e.g. -- --duration 5)`;

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

type Side = "off" | "on";

/** Attempts at one run before the whole measurement gives up. */
const ATTEMPTS_MAX = 3;

interface Run {
  side: Side;
  round: number;
  load: number[];
  scenarios: ScenarioReport[];
}

async function runOnce(side: Side, round: number, passThrough: string[]): Promise<Run> {
  const json = await Deno.makeTempFile({ prefix: `rafter-overhead-${side}-`, suffix: ".json" });
  const log = `${json}.log`;
  const loadBefore = Deno.loadavg()[0]!;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, "--metrics", side, "--json", json, ...passThrough],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = await child.output();
  await Deno.writeFile(log, new Uint8Array([...output.stdout, ...output.stderr]));
  if (output.code !== 0) {
    throw new Error(`Round ${round}, metrics ${side}: bench exited ${output.code}; see "${log}"`);
  }
  const data = JSON.parse(await Deno.readTextFile(json)) as { scenarios: ScenarioReport[] };
  await Deno.remove(json);
  const run = { side, round, load: [loadBefore, Deno.loadavg()[0]!], scenarios: data.scenarios };
  const rates = run.scenarios.map((s) => `${s.scenario}=${s.requestsPerSecond.toFixed(0)}`);
  console.log(
    `round ${round} metrics ${side}: ${rates.join(" ")} (load ${
      run.load.map((l) => l.toFixed(1)).join(" -> ")
    }; log ${log})`,
  );
  return run;
}

/**
 * A run that failed (an election under load answers some writes 307 or 503, and the
 * benchmark counts them as errors) is run again, up to {@link ATTEMPTS_MAX} times in all.
 */
async function runRetrying(side: Side, round: number, passThrough: string[]): Promise<Run> {
  for (let attempt = 1;; attempt++) {
    try {
      return await runOnce(side, round, passThrough);
    } catch (error) {
      if (attempt >= ATTEMPTS_MAX) throw error;
      console.log(`${(error as Error).message}; running it again`);
    }
  }
}

function pct(ratio: number): string {
  return `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(1)}%`;
}

/** A scenario's figure in one run. */
type Figure = (report: ScenarioReport) => number;

const REQUESTS_PER_SECOND: Figure = (r) => r.requestsPerSecond;
/** Server CPU (all nodes) per request, in microseconds. */
const SERVER_CPU_US: Figure = (r) => r.serverCpuMs * 1000 / r.requests;

function figureOf(runs: Run[], side: Side, round: number, name: string, figure: Figure): number {
  const run = runs.find((r) => r.side === side && r.round === round)!;
  return figure(run.scenarios.find((s) => s.scenario === name)!);
}

/** One row per scenario: each side's median, the rounds' on/off ratios and the off runs' spread. */
function table(runs: Run[], figure: Figure, title: string, digits: number): string {
  const rows = [
    `| scenario | off ${title} | on ${title} | on/off, median of rounds (each round) | off runs' spread |`,
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  const rounds = Math.max(...runs.map((r) => r.round));
  for (const name of runs[0]!.scenarios.map((s) => s.scenario)) {
    const off: number[] = [];
    const on: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      off.push(figureOf(runs, "off", round, name, figure));
      on.push(figureOf(runs, "on", round, name, figure));
      ratios.push(on.at(-1)! / off.at(-1)! - 1);
    }
    const spread = (Math.max(...off) - Math.min(...off)) / median(off);
    rows.push(
      `| ${name} | ${median(off).toFixed(digits)} | ${median(on).toFixed(digits)} | ` +
        `${pct(median(ratios))} (${ratios.map(pct).join(", ")}) | ${(spread * 100).toFixed(1)}% |`,
    );
  }
  return rows.join("\n");
}

async function main(args: string[]): Promise<number> {
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  const passThrough = end === -1 ? [] : args.slice(end + 1);
  const { values } = parseArgs({
    args: own,
    options: { rounds: { type: "string", default: "3" }, help: { type: "boolean" } },
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (!/^[1-9]\d?$/.test(values.rounds)) {
    console.error(`--rounds must be an integer in 1..99, got "${values.rounds}"\n\n${USAGE}`);
    return 2;
  }
  const rounds = Number(values.rounds);
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Side[] = round % 2 === 1 ? ["off", "on"] : ["on", "off"];
    for (const side of order) runs.push(await runRetrying(side, round, passThrough));
  }
  console.log(`\n== metrics overhead, ${rounds} interleaved rounds: throughput`);
  console.log(table(runs, REQUESTS_PER_SECOND, "req/s", 0));
  console.log(`\n== server CPU per request, all nodes together (µs; 10 ms clock ticks)`);
  console.log(table(runs, SERVER_CPU_US, "µs", 1));
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
