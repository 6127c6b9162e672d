/**
 * How the client commands print: aligned tables for people, JSON for programs, and the
 * shape every command is described by.
 *
 * @module
 */

import type { RafterClient } from "../client/mod.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { CliIo } from "./io.ts";

/** What a command runs with. */
export interface CommandContext {
  io: CliIo;
  parsed: ParsedArgs;
  /** True with `--json`. */
  json: boolean;
  /** The client the common flags describe, made on first use. */
  client(): Promise<RafterClient>;
}

/** One client command: its name, its help, its own flags, and what it does. */
export interface ClientCommand {
  name: string;
  /** One line for the overview. */
  summary: string;
  /** Usage and description, without the common flags. */
  help: string;
  flags: Record<string, FlagSpec>;
  /** Runs the command; answers its exit code. */
  run(context: CommandContext): Promise<number>;
}

/**
 * Rows under `headers`, each column as wide as its widest cell, two spaces apart.
 *
 * @example
 * ```ts
 * import { table } from "./output.ts";
 * const text = table(["ID", "ROLE"], [["n1", "leader"], ["n22", "follower"]]);
 * if (text !== "ID   ROLE\nn1   leader\nn22  follower\n") throw new Error(JSON.stringify(text));
 * ```
 */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  return [headers, ...rows].map(line).join("\n") + "\n";
}

/**
 * Prints `value` as one line of JSON.
 *
 * @example
 * ```ts
 * import { printJson } from "./output.ts";
 * let text = "";
 * await printJson({ out: (t: string) => Promise.resolve(void (text += t)) } as never, { a: 1 });
 * if (text !== '{"a":1}\n') throw new Error(text);
 * ```
 */
export function printJson(io: CliIo, value: unknown): Promise<void> {
  return io.out(JSON.stringify(value) + "\n");
}
