/**
 * The fuzzer's command line:
 *
 *   deno task fuzz [--seed S] [--cases N] [--runs R]
 *
 * Runs R seeded runs (seeds S..S+R-1) of N hostile connections each against
 * a fresh three-node cluster, and prints what each did. A failing run prints
 * its seed; `--seed` with `--runs 1` replays it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fuzzRaftPort } from "./raft_port.ts";

const USAGE = "Usage: deno task fuzz [--seed S] [--cases N] [--runs R]";

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`--${name} must be a positive integer, got "${text}"`);
  }
  return n;
}

async function main(): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        seed: { type: "string", default: "1" },
        cases: { type: "string", default: "2000" },
        runs: { type: "string", default: "1" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    options = {
      seed: count("seed", values.seed),
      cases: count("cases", values.cases),
      runs: count("runs", values.runs),
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  for (let run = 0; run < options.runs; run++) {
    const seed = options.seed + run;
    const started = performance.now();
    try {
      const r = await fuzzRaftPort(seed, options.cases);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `seed ${seed}: ${r.cases} connections, ${r.frames} frames, ${r.dropped} counted as ` +
          `dropped, term ${r.termBefore} -> ${r.termAfter}, ${seconds} s`,
      );
    } catch (error) {
      console.error(`FAIL seed ${seed}: ${error instanceof Error ? error.stack : error}`);
      console.error(`replay: deno task fuzz --seed ${seed} --cases ${options.cases}`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
