/**
 * Command-line options of `deno task chaos`, parsed and checked.
 *
 * @module
 */

import { integer, oneOf, parseFlags } from "../../bench/options.ts";
import { NEMESES, type NemesisName } from "./plan.ts";

/** Everything `deno task chaos` is told. */
export interface ChaosOptions {
  runs: number;
  seconds: number;
  nemesis: NemesisName;
  nodes: number;
  /** The first run's seed; later runs count up from it. */
  seed: number;
  outDir: string;
  unsafeReads: boolean;
  /** Test only: watchers lose an event at each resume (see `Watcher`), which the checks must catch. */
  unsafeWatch: boolean;
  /** More flags for every node (a test-only server switch, a timing). */
  nodeArgs: string[];
  /** The script nodes run (another checkout's `main.ts`, a bundle), or `""` for this one's. */
  entry: string;
  help: boolean;
}

/** The help text. */
export const CHAOS_USAGE = `Usage: deno task chaos [options]

Runs real rafter nodes, each on a host of its own inside a private Linux lab (network, mount
and PID namespaces; needs root, iproute2, iptables and strace), while clients put, delete,
compare-and-swap (POST /txn) and read at every level, two watchers follow every change
(GET /watch, resumed with Last-Event-ID), and a nemesis kills, pauses, partitions, changes
the membership and fails disks, all drawn from a seed. After each run every fault is healed
and the checks run: the cluster serves again, every node converges, no node crashed but those
stopped on purpose, the history is linearizable, no acknowledged write was lost, and each
watcher saw exactly the committed changes in order. Exits 1 if any check failed.

Options:
  --runs N          runs, seeds counting up from --seed, 1..10000 [1]
  --seconds S       time faults are played in each run, 5..3600 [30]
  --nemesis NAME    ${NEMESES.join(" | ")} [mixed]
  --nodes N         voters to start with: 3 | 5 [3]
  --seed S          the first run's seed, 0..4294967295 [random]
  --out DIR         each run's report, history and timeline under DIR [data/chaos]
  --unsafe-reads    test only: consistent reads are sent as stale ones, a server that skips
                    ReadIndex, which the checks must catch
  --unsafe-watch    test only: watchers drop the first change of every resumed stream, a
                    client that loses an event at each resume, which the checks must catch
  --node-args "..." more flags for every node, space-separated (e.g. a test-only switch)
  --entry FILE      the script nodes run, e.g. dist/rafter.js or another checkout's main.ts
                    [this checkout's main.ts]
  --help            show this text

Replay a run with the command its report prints: same seed, same faults.`;

/** The largest seed. */
const SEED_MAX = 0xffffffff;

/**
 * Parses the command line; `randomSeed` supplies the seed when none is given.
 *
 * @example
 * ```ts
 * import { parseChaosOptions } from "./options.ts";
 * const options = parseChaosOptions(["--nemesis", "kill", "--seed", "7"], () => 1);
 * if (options.nemesis !== "kill" || options.seed !== 7 || options.runs !== 1) throw new Error();
 * ```
 */
export function parseChaosOptions(args: string[], randomSeed: () => number): ChaosOptions {
  const parsed = parseFlags(args, {
    runs: { type: "string", default: "1" },
    seconds: { type: "string", default: "30" },
    nemesis: { type: "string", default: "mixed" },
    nodes: { type: "string", default: "3" },
    seed: { type: "string" },
    out: { type: "string", default: "data/chaos" },
    "unsafe-reads": { type: "boolean", default: false },
    "unsafe-watch": { type: "boolean", default: false },
    "node-args": { type: "string", default: "" },
    entry: { type: "string", default: "" },
    help: { type: "boolean", default: false },
  });
  return {
    runs: integer("runs", parsed.runs, 1, 10_000),
    seconds: integer("seconds", parsed.seconds, 5, 3600),
    nemesis: oneOf("nemesis", parsed.nemesis, NEMESES),
    nodes: Number(oneOf("nodes", parsed.nodes, ["3", "5"] as const)),
    seed: parsed.seed === undefined ? randomSeed() : integer("seed", parsed.seed, 0, SEED_MAX),
    outDir: parsed.out,
    unsafeReads: parsed["unsafe-reads"],
    unsafeWatch: parsed["unsafe-watch"],
    nodeArgs: parsed["node-args"].split(" ").filter((arg) => arg !== ""),
    entry: parsed.entry,
    help: parsed.help,
  };
}
