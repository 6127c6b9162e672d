/**
 * Running the `rafter` program in tests: as a real process (exit code, both streams, an
 * optional standard input), or its client commands in this process with captured output.
 *
 * @module
 */

import type { CliIo } from "../../src/cli/mod.ts";
import { NODE_PERMISSIONS } from "../../src/node_flags.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** The program under test. */
export const MAIN = `${ROOT}main.ts`;
/** The permissions `deno task rafter` grants. */
export const PERMISSIONS = [...NODE_PERMISSIONS, "--allow-run"];

/** What a finished run printed and how it exited. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runRafter}. */
export interface RunOptions {
  /** Environment variables beside `NO_COLOR`. */
  env?: Record<string, string>;
  /** Text fed to standard input (none: standard input is closed). */
  stdin?: string;
  /** Deno permissions (those of `deno task rafter` by default). */
  permissions?: string[];
}

/** Runs `main.ts args...` as a process and waits for it. */
export async function runRafter(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...options.permissions ?? PERMISSIONS, MAIN, ...args],
    cwd: ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A {@link CliIo} that records what a command prints; stop it with `stop()`. */
export interface MemoryIo extends CliIo {
  stdout: string[];
  stderr: string[];
  stop(): void;
}

/** An in-memory {@link CliIo} with `env` and `stdin` as given. */
export function memoryIo(env: Record<string, string> = {}, stdin = ""): MemoryIo {
  const stop = new AbortController();
  const io: MemoryIo = {
    stdout: [],
    stderr: [],
    out: (text) => Promise.resolve(void io.stdout.push(text)),
    err: (line) => void io.stderr.push(line),
    stdin: () => Promise.resolve(new TextEncoder().encode(stdin)),
    env: (name) => env[name],
    errIsTerminal: false,
    signal: stop.signal,
    stop: () => stop.abort(),
  };
  return io;
}
