/**
 * The client commands' command line: the flags every command takes (`--endpoints`,
 * `--token`, `--cacert`, `--json`, `--timeout-ms`, `--help`), each command's own, the
 * arguments after `--`, and the client built from them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RafterClient } from "../client/mod.ts";
import { type CliIo, CliUsageError } from "./io.ts";

/** A flag as `node:util` `parseArgs` describes it. */
export type FlagSpec = { type: "string" | "boolean"; short?: string };

/**
 * Where the client connects when neither `--endpoints` nor `RAFTER_ENDPOINTS` is given: the
 * address `deno task start` serves.
 *
 * @example
 * ```ts
 * import { DEFAULT_ENDPOINT } from "./args.ts";
 * if (DEFAULT_ENDPOINT !== "http://127.0.0.1:8001") throw new Error();
 * ```
 */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8001";

/** The flags every client command takes. */
const COMMON_FLAGS: Record<string, FlagSpec> = {
  endpoints: { type: "string" },
  token: { type: "string" },
  cacert: { type: "string" },
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/**
 * The help lines of the common flags, shared by every command's help.
 *
 * @example
 * ```ts
 * import { COMMON_HELP } from "./args.ts";
 * if (!COMMON_HELP.includes("--endpoints")) throw new Error();
 * ```
 */
export const COMMON_HELP = `Common flags:
  --endpoints URL,...     nodes to talk to (env RAFTER_ENDPOINTS; default ${DEFAULT_ENDPOINT})
  --token TOKEN           bearer token (env RAFTER_TOKEN)
  --cacert FILE           PEM certificate to trust for https endpoints
  --json                  machine output: JSON
  --timeout-ms N          longest a call may take, retries included (default 10000)
  -h, --help              this text

Exit codes: 0 done, 1 not found or compare failed, 2 usage, 3 unavailable or unknown outcome.`;

/** A parsed command line. */
export interface ParsedArgs {
  /** Flag values by name. */
  values: Record<string, string | boolean | undefined>;
  /** Arguments before `--`. */
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
}

/**
 * Parses `args` (after the command name) with the common flags and `flags`.
 *
 * @example
 * ```ts
 * import { parseClientArgs } from "./args.ts";
 * const parsed = parseClientArgs(["k", "--json", "--", "echo", "--x"], {});
 * if (parsed.positionals[0] !== "k" || parsed.values.json !== true) throw new Error();
 * if (parsed.rest.join(" ") !== "echo --x") throw new Error();
 * ```
 */
export function parseClientArgs(args: string[], flags: Record<string, FlagSpec>): ParsedArgs {
  const end = args.indexOf("--");
  const head = end === -1 ? args : args.slice(0, end);
  let parsed;
  try {
    parsed = parseArgs({
      args: head,
      options: { ...COMMON_FLAGS, ...flags },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message.split("\n")[0]!);
  }
  return {
    values: parsed.values as ParsedArgs["values"],
    positionals: parsed.positionals,
    rest: end === -1 ? [] : args.slice(end + 1),
  };
}

/**
 * The string flag `name`, or undefined.
 *
 * @example
 * ```ts
 * import { parseClientArgs, stringFlag } from "./args.ts";
 * const parsed = parseClientArgs(["--level", "stale"], { level: { type: "string" } });
 * if (stringFlag(parsed, "level") !== "stale" || stringFlag(parsed, "token") !== undefined) {
 *   throw new Error();
 * }
 * ```
 */
export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * A non-negative integer from `text` (flag or argument `name`), or undefined when absent.
 *
 * @example
 * ```ts
 * import { integerArg } from "./args.ts";
 * if (integerArg("--limit", "20") !== 20 || integerArg("--limit", undefined) !== undefined) {
 *   throw new Error();
 * }
 * ```
 */
export function integerArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CliUsageError(`${name} must be a non-negative integer, got "${text}"`);
  }
  return Number(text);
}

/**
 * The positional arguments, `names.length` of them (the last `optional` may be missing);
 * otherwise a usage error naming what was expected.
 *
 * @example
 * ```ts
 * import { parseClientArgs, positionals } from "./args.ts";
 * const [key, value] = positionals(parseClientArgs(["k"], {}), ["KEY", "VALUE"], 1);
 * if (key !== "k" || value !== undefined) throw new Error();
 * ```
 */
export function positionals(parsed: ParsedArgs, names: string[], optional = 0): string[] {
  const given = parsed.positionals;
  if (given.length > names.length || given.length < names.length - optional) {
    const expected = names.map((n, i) => i >= names.length - optional ? `[${n}]` : n).join(" ");
    throw new CliUsageError(
      `Expected ${expected}, got ${given.length === 0 ? "nothing" : `"${given.join(" ")}"`}`,
    );
  }
  return given;
}

/**
 * The endpoints of `--endpoints`, else `RAFTER_ENDPOINTS`, comma-separated.
 *
 * @example
 * ```ts
 * import { endpointsOf, parseClientArgs } from "./args.ts";
 * const io = { env: () => "a:1, b:2" } as never;
 * if (endpointsOf(parseClientArgs([], {}), io).join() !== "a:1,b:2") throw new Error();
 * ```
 */
export function endpointsOf(parsed: ParsedArgs, io: CliIo): string[] {
  const text = stringFlag(parsed, "endpoints") ?? io.env("RAFTER_ENDPOINTS") ?? DEFAULT_ENDPOINT;
  const endpoints = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (endpoints.length === 0) throw new CliUsageError(`No endpoint in "${text}"`);
  return endpoints;
}

/**
 * The client the common flags describe (`--token`/`RAFTER_TOKEN`, `--cacert`,
 * `--timeout-ms`).
 *
 * @example
 * ```ts
 * import { clientOf, parseClientArgs } from "./args.ts";
 * const io = { env: () => undefined } as never;
 * using client = await clientOf(parseClientArgs(["--endpoints", "127.0.0.1:8001"], {}), io);
 * if (client.leader !== null) throw new Error();
 * ```
 */
export async function clientOf(parsed: ParsedArgs, io: CliIo): Promise<RafterClient> {
  const token = stringFlag(parsed, "token") ?? io.env("RAFTER_TOKEN");
  const cacert = stringFlag(parsed, "cacert");
  let caCerts: string[] = [];
  if (cacert !== undefined) {
    try {
      caCerts = [await Deno.readTextFile(cacert)];
    } catch (error) {
      throw new CliUsageError(`Cannot read --cacert "${cacert}": ${(error as Error).message}`);
    }
  }
  const timeoutMs = integerArg("--timeout-ms", stringFlag(parsed, "timeout-ms"));
  return new RafterClient({
    endpoints: endpointsOf(parsed, io),
    ...(token === undefined || token === "" ? {} : { token }),
    ...(caCerts.length === 0 ? {} : { caCerts }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}
