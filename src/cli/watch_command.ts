/**
 * `rafter watch`: prints the changes to a key or a prefix as they commit, until stopped.
 *
 * @module
 */

import type { Change } from "../client/mod.ts";
import { integerArg, positionals, stringFlag } from "./args.ts";
import { CliUsageError, EXIT } from "./io.ts";
import type { ClientCommand } from "./output.ts";

function changeLine(index: number, change: Change): string {
  return change.type === "put"
    ? `${index}\tPUT\t${change.key}\t${change.value ?? ""}`
    : `${index}\tDELETE\t${change.key}`;
}

/**
 * `rafter watch KEY | --prefix P`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["put", "cfg/a", "1"], io);
 * const watching = runClientCommand(["watch", "--prefix", "cfg/", "--from-index", "1"], io);
 * for (let i = 0; i < 500 && io.stdout.length < 2; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 * }
 * io.stop();
 * if (await watching !== 0 || !io.stdout[1]!.includes("PUT\tcfg/a\t1")) throw new Error();
 * await fake.close();
 * ```
 */
export const watchCommand: ClientCommand = {
  name: "watch",
  summary: "print the changes to a key or prefix as they happen",
  help: `Usage: rafter watch KEY | --prefix PREFIX [--from-index N] [--prev-value]

Prints each change to KEY (or to every key under PREFIX) as it commits, one line each:
INDEX<TAB>PUT<TAB>KEY<TAB>VALUE or INDEX<TAB>DELETE<TAB>KEY; with --json, one event (every
change of one log entry) per line. After a disconnect it resumes on any node from the last
index it printed. Runs until Ctrl-C (exit 0); exits 1 when the changes it needs have been
compacted away.

Flags:
  --prefix PREFIX         watch every key under PREFIX instead of one key
  --from-index N          start at index N (inclusive) instead of now
  --prev-value            include each change's previous record (with --json)
  --level LEVEL           consistent: start no earlier than a linearizable read`,
  flags: {
    prefix: { type: "string" },
    "from-index": { type: "string" },
    "prev-value": { type: "boolean" },
    level: { type: "string" },
  },
  async run({ io, parsed, json, client }) {
    const prefix = stringFlag(parsed, "prefix");
    const [key] = positionals(parsed, ["KEY"], prefix === undefined ? 0 : 1);
    if (prefix !== undefined && key !== undefined) {
      throw new CliUsageError(`Give KEY or --prefix, not both: got "${key}" and "${prefix}"`);
    }
    const fromIndex = integerArg("--from-index", stringFlag(parsed, "from-index"));
    const level = stringFlag(parsed, "level");
    if (level !== undefined && level !== "consistent") {
      throw new CliUsageError(`Invalid --level "${level}": watch takes only consistent`);
    }
    const events = (await client()).watch(prefix ?? key!, {
      prefix: prefix !== undefined,
      prevValue: parsed.values["prev-value"] === true,
      ...(fromIndex === undefined ? {} : { fromIndex }),
      ...(level === undefined ? {} : { level: "consistent" as const }),
      signal: io.signal,
    });
    try {
      for await (const event of events) {
        const text = json
          ? JSON.stringify(event)
          : event.changes.map((change) => changeLine(event.index, change)).join("\n");
        await io.out(text + "\n");
      }
    } catch (error) {
      if (io.signal.aborted) return EXIT.ok;
      throw error;
    }
    return EXIT.ok;
  },
};
