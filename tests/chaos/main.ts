/**
 * `deno task chaos`: chaos runs of real rafter nodes (see `--help` and
 * docs/TESTING.md). Outside its lab it checks that one can be built and runs
 * itself again inside one; inside, it plays the runs one after another,
 * prints each run's report and, for several runs, the tallies.
 *
 * @module
 */

import { UsageError } from "../../bench/options.ts";
import { inLab, labUnavailable, runInLab } from "./lab.ts";
import { CHAOS_USAGE, parseChaosOptions } from "./options.ts";
import { formatRun, formatTallies, passed, type RunResult } from "./report.ts";
import { chaosRun } from "./run.ts";

/** Runs `deno task chaos` with `args`; answers the exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseChaosOptions(args, () => crypto.getRandomValues(new Uint32Array(1))[0]!);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`chaos: ${error.message}\n\n${CHAOS_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(CHAOS_USAGE);
    return 0;
  }
  if (!inLab()) {
    const why = await labUnavailable();
    if (why !== null) {
      console.error(`chaos: cannot build the lab: ${why}`);
      return 2;
    }
    // The seed is fixed here, so a random one is the same inside the lab.
    return await runInLab(new URL(import.meta.url).pathname, [
      ...args,
      "--seed",
      String(options.seed),
    ]);
  }
  const results: RunResult[] = [];
  let broken = 0;
  for (let i = 0; i < options.runs; i++) {
    const seed = (options.seed + i) >>> 0;
    try {
      const result = await chaosRun({ ...options, seed });
      console.log(formatRun(result));
      results.push(result);
    } catch (error) {
      broken++;
      console.error(`chaos: run with seed ${seed} could not be carried out: ${error}`);
    }
  }
  if (options.runs > 1) console.log(formatTallies(results));
  return broken === 0 && results.every(passed) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
