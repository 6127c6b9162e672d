/**
 * The simulator's command line:
 *
 *   deno task sim [--seeds N] [--steps M] [--seed S] [--first F] [--trace]
 *
 * Runs seeds F..F+N-1 (or just S) for M ticks each, prints fault counts and
 * exits non-zero on the first failure with the command that replays it.
 * `--trace` prints every fault, leader, write and read of the run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runSimulation, SimFailure, type SimResult } from "./simulation.ts";

const USAGE =
  "Usage: deno task sim [--seeds N] [--steps M] [--seed S] [--first F] [--quiet] [--trace]";

function parse(
  args: string[],
): { seeds: number[]; steps: number; quiet: boolean; trace: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: "string", default: "100" },
      steps: { type: "string", default: "600" },
      seed: { type: "string" },
      first: { type: "string", default: "1" },
      quiet: { type: "boolean", default: false },
      trace: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`--${name} must be a whole number, got "${text}"`);
    }
    return n;
  };
  const steps = int("steps", values.steps);
  const { quiet, trace } = values;
  if (values.seed !== undefined) return { seeds: [int("seed", values.seed)], steps, quiet, trace };
  const first = int("first", values.first);
  const count = int("seeds", values.seeds);
  return { seeds: Array.from({ length: count }, (_, i) => first + i), steps, quiet, trace };
}

function addCounts(total: Record<string, number>, part: object): void {
  for (const [k, v] of Object.entries(part)) total[k] = (total[k] ?? 0) + (v as number);
}

function sortedKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a < b ? -1 : 1));
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(Deno.args);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  const faults: Record<string, number> = {};
  const ops: Record<string, number> = {};
  const network: Record<string, number> = {};
  const dataModel: Record<string, number> = {};
  let leaders = 0;
  const started = performance.now();
  for (const seed of options.seeds) {
    let result: SimResult;
    try {
      result = await runSimulation({ seed, steps: options.steps, trace: options.trace });
    } catch (error) {
      if (error instanceof SimFailure) {
        console.error(`FAIL ${error.message}`);
        return 1;
      }
      throw error;
    }
    addCounts(faults, result.faults);
    addCounts(ops, result.ops);
    addCounts(network, result.network);
    addCounts(dataModel, result.dataModel);
    leaders += result.leaders;
    if (!options.quiet && options.seeds.length > 1 && seed % 100 === 0) {
      console.log(`seed ${seed} ok (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${options.seeds.length} seeds x ${options.steps} ticks passed in ${seconds} s`);
  console.log(`faults:  ${JSON.stringify(faults)}`);
  console.log(`network: ${JSON.stringify(network)}`);
  console.log(`ops:     ${JSON.stringify(ops)}`);
  console.log(`data model: ${JSON.stringify(sortedKeys(dataModel))}`);
  console.log(`leaders elected: ${leaders}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
