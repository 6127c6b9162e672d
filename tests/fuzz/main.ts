/**
 * The fuzzer's command line:
 *
 *   deno task fuzz [--target T] [--seed S] [--cases N] [--runs R] [--concurrency C]
 *
 * Runs R seeded runs (seeds S..S+R-1) of N cases each against fresh
 * three-node clusters, and prints what each did. Targets: `raft` (the Raft
 * port of a plain cluster), `raft-secret` (the Raft port of a cluster with
 * the cluster secret: strangers and authenticated members sending bad
 * frames), `http` (every route of a cluster with auth and the secret), or
 * `all` (the default). A failing run prints its seed; `--seed` with
 * `--runs 1` replays it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { withFuzzCluster } from "./fuzz_cluster.ts";
import { fuzzHttpOf, type HttpReport } from "./http_fuzz.ts";
import { fuzzRaftPort, type FuzzReport } from "./raft_port.ts";

const USAGE = "Usage: deno task fuzz [--target raft|raft-secret|http|all] [--seed S] [--cases N] " +
  "[--runs R] [--concurrency C]";
const TARGETS = ["raft", "raft-secret", "http", "all"] as const;
type Target = (typeof TARGETS)[number];

interface Options {
  target: Target;
  seed: number;
  cases: number;
  runs: number;
  concurrency: number;
}

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`--${name} must be a positive integer, got "${text}"`);
  }
  return n;
}

function parse(args: string[]): Options | "help" {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string", default: "all" },
      seed: { type: "string", default: "1" },
      cases: { type: "string", default: "2000" },
      runs: { type: "string", default: "1" },
      concurrency: { type: "string", default: "8" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  if (!(TARGETS as readonly string[]).includes(values.target)) {
    throw new RangeError(`--target must be one of ${TARGETS.join(", ")}, got "${values.target}"`);
  }
  return {
    target: values.target as Target,
    seed: count("seed", values.seed),
    cases: count("cases", values.cases),
    runs: count("runs", values.runs),
    concurrency: count("concurrency", values.concurrency),
  };
}

function raftLine(name: string, r: FuzzReport, seconds: string): string {
  return `${name} seed ${r.seed}: ${r.cases} connections, ${r.frames} frames, ${r.dropped} ` +
    `counted as dropped, term ${r.termBefore} -> ${r.termAfter}, ${seconds} s`;
}

function httpLine(r: HttpReport, seconds: string): string {
  const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(" ");
  return `http seed ${r.seed}: ${r.cases} requests on ${Object.keys(r.routes).length} routes, ` +
    `statuses ${statuses}, ${r.failureCount} failures, ${seconds} s`;
}

/** Runs one seed of `target`; throws on the first broken rule. */
async function runOne(target: Exclude<Target, "all">, seed: number, o: Options): Promise<string> {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  if (target !== "http") {
    const secure = target === "raft-secret";
    const r = await fuzzRaftPort(seed, o.cases, { secure, concurrency: o.concurrency });
    return raftLine(target, r, seconds());
  }
  let line = "";
  await withFuzzCluster(true, async (fuzz) => {
    const r = await fuzzHttpOf(fuzz, seed, o.cases, o.concurrency);
    if (r.failureCount > 0) throw new Error(`${httpLine(r, seconds())}\n${r.failures.join("\n")}`);
    line = httpLine(r, seconds());
  });
  return line;
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(Deno.args);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const targets = options.target === "all"
    ? (["raft", "raft-secret", "http"] as const)
    : [options.target];
  for (let run = 0; run < options.runs; run++) {
    const seed = options.seed + run;
    for (const target of targets) {
      try {
        console.log(await runOne(target, seed, options));
      } catch (error) {
        console.error(
          `FAIL ${target} seed ${seed}: ${error instanceof Error ? error.stack : error}`,
        );
        console.error(
          `replay: deno task fuzz --target ${target} --seed ${seed} --cases ${options.cases} ` +
            `--concurrency ${options.concurrency}`,
        );
        return 1;
      }
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
