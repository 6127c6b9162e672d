/**
 * The client commands of `rafter` (`get`, `put`, `status`, ...): which names they are,
 * their overview for `rafter --help`, and the one runner that parses, runs, prints errors
 * and picks the exit code.
 *
 * @module
 */

import type { RafterClient } from "../client/mod.ts";
import { clientOf, COMMON_HELP, parseClientArgs } from "./args.ts";
import {
  joinCommand,
  membersCommand,
  removeCommand,
  statusCommand,
  transferLeaderCommand,
} from "./cluster_commands.ts";
import { type CliIo, CliUsageError, EXIT, exitCodeOf } from "./io.ts";
import { delCommand, getCommand, listCommand, putCommand, txnCommand } from "./kv_commands.ts";
import { leaseCommand } from "./lease_commands.ts";
import { lockCommand } from "./lock_command.ts";
import type { ClientCommand } from "./output.ts";
import { snapshotCommand } from "./snapshot_command.ts";
import { watchCommand } from "./watch_command.ts";

export { type CliIo, EXIT, processIo } from "./io.ts";

/**
 * Exit code of a command stopped by Ctrl-C or SIGTERM before it finished, as shells expect.
 *
 * @example
 * ```ts
 * import { EXIT_INTERRUPTED } from "./mod.ts";
 * if (EXIT_INTERRUPTED !== 128 + 2) throw new Error();
 * ```
 */
export const EXIT_INTERRUPTED = 130;

const COMMANDS: readonly ClientCommand[] = [
  getCommand,
  putCommand,
  delCommand,
  listCommand,
  watchCommand,
  txnCommand,
  leaseCommand,
  lockCommand,
  statusCommand,
  membersCommand,
  joinCommand,
  removeCommand,
  transferLeaderCommand,
  snapshotCommand,
];

/**
 * True when `name` is a client command.
 *
 * @example
 * ```ts
 * import { isClientCommand } from "./mod.ts";
 * if (!isClientCommand("get") || isClientCommand("serve")) throw new Error();
 * ```
 */
export function isClientCommand(name: string | undefined): boolean {
  return COMMANDS.some((command) => command.name === name);
}

/**
 * The client commands, one line each, for `rafter --help`.
 *
 * @example
 * ```ts
 * import { CLIENT_COMMANDS_HELP } from "./mod.ts";
 * if (!/^  get +print the value of a key$/m.test(CLIENT_COMMANDS_HELP)) throw new Error();
 * ```
 */
export const CLIENT_COMMANDS_HELP = COMMANDS.map((c) => `  ${c.name.padEnd(22)}  ${c.summary}`)
  .join("\n");

/**
 * Runs the client command `args[0]` with the rest of `args`; answers the exit code. Errors
 * are printed to standard error as `rafter NAME: message`.
 *
 * @example
 * ```ts
 * import { EXIT, runClientCommand } from "./mod.ts";
 * const lines: string[] = [];
 * const io = {
 *   out: (text: string) => Promise.resolve(void lines.push(text)),
 *   err: (line: string) => void lines.push(line),
 *   stdin: () => Promise.resolve(new Uint8Array()),
 *   env: () => undefined,
 *   errIsTerminal: false,
 *   signal: new AbortController().signal,
 * };
 * if (await runClientCommand(["get", "--help"], io) !== EXIT.ok) throw new Error();
 * if (!lines[0]!.startsWith("Usage: rafter get KEY")) throw new Error(lines[0]);
 * if (await runClientCommand(["get"], io) !== EXIT.usage) throw new Error();
 * ```
 */
export async function runClientCommand(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`rafter: Unknown command "${name ?? ""}"; run with --help`);
    return EXIT.usage;
  }
  let client: RafterClient | null = null;
  try {
    const parsed = parseClientArgs(rest, command.flags);
    if (parsed.values.help === true) {
      await io.out(`${command.help}\n\n${COMMON_HELP}\n`);
      return EXIT.ok;
    }
    return await command.run({
      io,
      parsed,
      json: parsed.values.json === true,
      client: async () => client ??= await clientOf(parsed, io),
    });
  } catch (error) {
    if (io.signal.aborted) return EXIT_INTERRUPTED;
    io.err(`rafter ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof CliUsageError) io.err(`Run "rafter ${command.name} --help" for usage`);
    return exitCodeOf(error);
  } finally {
    (client as RafterClient | null)?.close();
  }
}
