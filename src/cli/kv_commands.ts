/**
 * The key-value client commands: `get`, `put`, `del`, `list` and `txn`.
 *
 * @module
 */

import { READ_LEVELS, type ReadLevel } from "../api.ts";
import type { TxnRequest } from "../client/mod.ts";
import { decodeUtf8 } from "../bytes/utf8.ts";
import { integerArg, type ParsedArgs, positionals, stringFlag } from "./args.ts";
import { CliUsageError, EXIT } from "./io.ts";
import { type ClientCommand, printJson } from "./output.ts";

function levelOf(parsed: ParsedArgs): ReadLevel | undefined {
  const level = stringFlag(parsed, "level");
  if (level === undefined || (READ_LEVELS as readonly string[]).includes(level)) {
    return level as ReadLevel | undefined;
  }
  throw new CliUsageError(`Invalid --level "${level}": expected stale, default or consistent`);
}

function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

async function stdinText(read: () => Promise<Uint8Array>): Promise<string> {
  const text = decodeUtf8(await read());
  if (text === null) throw new CliUsageError("Standard input is not valid UTF-8");
  return text;
}

/**
 * `rafter get KEY`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["put", "k", "v"], io);
 * if (await runClientCommand(["get", "k"], io) !== 0 || io.stdout.at(-1) !== "v\n") throw new Error();
 * await fake.close();
 * ```
 */
export const getCommand: ClientCommand = {
  name: "get",
  summary: "print the value of a key",
  help: `Usage: rafter get KEY [--level stale|default|consistent]

Prints the value of KEY; with --json, the record with its createIndex and modIndex.
Exits 1 when the key does not exist.

Flags:
  --level LEVEL           stale (any node), default (the leader) or consistent (linearizable)`,
  flags: { level: { type: "string" } },
  async run({ io, parsed, json, client }) {
    const [key] = positionals(parsed, ["KEY"]);
    const level = levelOf(parsed);
    const record = await (await client()).get(key!, {
      ...optional("level", level),
      signal: io.signal,
    });
    await (json ? printJson(io, record) : io.out(`${record.value}\n`));
    return EXIT.ok;
  },
};

/**
 * `rafter put KEY [VALUE]`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * if (await runClientCommand(["put", "k", "v", "--prev-index", "0"], io) !== 0) throw new Error();
 * if (await runClientCommand(["put", "k", "w", "--prev-index", "0"], io) !== 1) throw new Error();
 * await fake.close();
 * ```
 */
export const putCommand: ClientCommand = {
  name: "put",
  summary: "write a key (the value from standard input when not given)",
  help: `Usage: rafter put KEY [VALUE] [--prev-index N] [--lease ID]

Writes VALUE under KEY, or all of standard input when VALUE is not given (as is: use printf
rather than echo to leave out the final newline). Prints the write's index.

Flags:
  --prev-index N          compare-and-swap: write only if the key's modIndex is N
                          (0: only if the key does not exist); exits 1 otherwise
  --lease ID              attach the key to lease ID: it is deleted when the lease ends`,
  flags: { "prev-index": { type: "string" }, lease: { type: "string" } },
  async run({ io, parsed, json, client }) {
    const [key, given] = positionals(parsed, ["KEY", "VALUE"], 1);
    const prevIndex = integerArg("--prev-index", stringFlag(parsed, "prev-index"));
    const lease = integerArg("--lease", stringFlag(parsed, "lease"));
    const value = given ?? await stdinText(io.stdin);
    const result = await (await client()).put(key!, value, {
      ...optional("prevIndex", prevIndex),
      ...optional("lease", lease),
      signal: io.signal,
    });
    await (json ? printJson(io, result) : io.out(`OK index ${result.index}\n`));
    return EXIT.ok;
  },
};

/**
 * `rafter del KEY`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["put", "k", "v"], io);
 * if (await runClientCommand(["del", "k"], io) !== 0) throw new Error();
 * if (await runClientCommand(["del", "k"], io) !== 1) throw new Error("not found: exit 1");
 * await fake.close();
 * ```
 */
export const delCommand: ClientCommand = {
  name: "del",
  summary: "delete a key",
  help: `Usage: rafter del KEY [--prev-index N]

Deletes KEY. Exits 1 when the key did not exist, or when --prev-index does not match.

Flags:
  --prev-index N          delete only if the key's modIndex is N`,
  flags: { "prev-index": { type: "string" } },
  async run({ io, parsed, json, client }) {
    const [key] = positionals(parsed, ["KEY"]);
    const prevIndex = integerArg("--prev-index", stringFlag(parsed, "prev-index"));
    const result = await (await client()).delete(key!, {
      ...optional("prevIndex", prevIndex),
      signal: io.signal,
    });
    if (json) await printJson(io, result);
    else if (result.deleted) await io.out(`OK index ${result.index}\n`);
    else io.err(`rafter del: Key "${key}" not found`);
    return result.deleted ? EXIT.ok : EXIT.failed;
  },
};

/**
 * `rafter list [PREFIX]`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * for (const key of ["a/1", "a/2", "b/1"]) await runClientCommand(["put", key, "v"], io);
 * await runClientCommand(["list", "a/", "--keys-only", "--limit", "1"], io);
 * if (io.stdout.slice(-2).join("") !== "a/1\na/2\n") throw new Error(io.stdout.join(""));
 * await fake.close();
 * ```
 */
export const listCommand: ClientCommand = {
  name: "list",
  summary: "list the keys under a prefix, page by page",
  help: `Usage: rafter list [PREFIX] [--limit N] [--level LEVEL] [--keys-only]

Prints every key under PREFIX (every key when not given) in key order, one per line as
KEY<TAB>VALUE (KEY alone with --keys-only); with --json, one record per line. The keys are
read in pages; a key that exists throughout appears exactly once.

Flags:
  --limit N               keys per page, 1 to 10000 (default 1000)
  --level LEVEL           stale, default or consistent
  --keys-only             leave out the values`,
  flags: { limit: { type: "string" }, level: { type: "string" }, "keys-only": { type: "boolean" } },
  async run({ io, parsed, json, client }) {
    const [prefix = ""] = positionals(parsed, ["PREFIX"], 1);
    const keysOnly = parsed.values["keys-only"] === true;
    const pages = (await client()).list(prefix, {
      ...optional("limit", integerArg("--limit", stringFlag(parsed, "limit"))),
      ...optional("level", levelOf(parsed)),
      keysOnly,
      signal: io.signal,
    });
    for await (const page of pages) {
      const lines = page.items.map((record) =>
        json ? JSON.stringify(record) : keysOnly ? record.key : `${record.key}\t${record.value}`
      );
      if (lines.length > 0) await io.out(lines.join("\n") + "\n");
    }
    return EXIT.ok;
  },
};

function parseTxn(text: string): Partial<TxnRequest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`Standard input is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliUsageError(`Expected a JSON object with "compare", "success", "failure"`);
  }
  return parsed as Partial<TxnRequest>;
}

/**
 * `rafter txn`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * const request = { compare: [{ key: "k", exists: false }], success: [{ put: { key: "k", value: "1" } }] };
 * const txnIo = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! }, JSON.stringify(request));
 * if (await runClientCommand(["txn"], txnIo) !== 0) throw new Error();
 * if (await runClientCommand(["txn"], txnIo) !== 1) throw new Error("the key exists now");
 * await fake.close();
 * ```
 */
export const txnCommand: ClientCommand = {
  name: "txn",
  summary: "run a transaction read as JSON from standard input",
  help: `Usage: rafter txn < request.json

Reads {"compare":[...],"success":[...],"failure":[...]} from standard input and runs it as
one transaction (see docs/CLIENT.md for the operations). Prints which branch ran and each
operation's result; exits 1 when a comparison failed (the failure branch ran).`,
  flags: {},
  async run({ io, parsed, json, client }) {
    positionals(parsed, []);
    const request = parseTxn(await stdinText(io.stdin));
    const result = await (await client()).txn(request).commit({ signal: io.signal });
    if (json) {
      await printJson(io, result);
    } else {
      const branch = result.succeeded ? "SUCCEEDED" : "FAILED";
      const lines = result.results.map((r) => JSON.stringify(r));
      await io.out([`${branch} index ${result.index}`, ...lines].join("\n") + "\n");
    }
    return result.succeeded ? EXIT.ok : EXIT.failed;
  },
};
