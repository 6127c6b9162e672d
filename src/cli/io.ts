/**
 * What the client commands touch outside themselves (output, input, environment, the stop
 * signal), the exit codes, and the one place where an error becomes an exit code.
 *
 * @module
 */

import { BadRequestError, IndeterminateError, UnavailableError } from "../client/mod.ts";

/**
 * Exit codes of the client commands.
 *
 * @example
 * ```ts
 * import { EXIT } from "./io.ts";
 * if (EXIT.ok !== 0 || EXIT.failed !== 1 || EXIT.usage !== 2 || EXIT.unavailable !== 3) {
 *   throw new Error();
 * }
 * ```
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Not found, compare failed, or refused. */
  failed: 1,
  /** Bad command line or input. */
  usage: 2,
  /** No node could serve the command, or a write's fate is unknown. */
  unavailable: 3,
} as const;

/** The outside world of a command; tests pass their own. */
export interface CliIo {
  /** Writes `text` to standard output as is. */
  out(text: string): Promise<void>;
  /** Writes one line to standard error. */
  err(line: string): void;
  /** Reads all of standard input. */
  stdin(): Promise<Uint8Array>;
  /** An environment variable, or undefined. */
  env(name: string): string | undefined;
  /** True when standard error is a terminal (progress is shown there). */
  errIsTerminal: boolean;
  /** Aborts when the user asks to stop (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
}

/**
 * A command line that cannot be run: exit 2.
 *
 * @example
 * ```ts
 * import { CliUsageError, EXIT, exitCodeOf } from "./io.ts";
 * if (exitCodeOf(new CliUsageError("Expected KEY, got nothing")) !== EXIT.usage) throw new Error();
 * ```
 */
export class CliUsageError extends Error {
  /** @param message one line saying what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/**
 * The exit code for `error`.
 *
 * @example
 * ```ts
 * import { EXIT, exitCodeOf } from "./io.ts";
 * import { NotFoundError, UnavailableError } from "../client/mod.ts";
 * if (exitCodeOf(new NotFoundError(`Key "a" not found`)) !== EXIT.failed) throw new Error();
 * if (exitCodeOf(new UnavailableError("No leader", 503)) !== EXIT.unavailable) throw new Error();
 * ```
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliUsageError || error instanceof BadRequestError) return EXIT.usage;
  // Bad client options (an endpoint that is no URL, a bad number) are usage errors too.
  if (error instanceof TypeError || error instanceof RangeError) return EXIT.usage;
  if (error instanceof UnavailableError || error instanceof IndeterminateError) {
    return EXIT.unavailable;
  }
  // Not found, compare failed, compacted, refused by the server: the command failed.
  return EXIT.failed;
}

/**
 * Resolves once `signal` aborts (at once if it has).
 *
 * @example
 * ```ts
 * import { whenAborted } from "./io.ts";
 * await whenAborted(AbortSignal.abort());
 * ```
 */
export function whenAborted(signal: AbortSignal): Promise<AbortSignal> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(signal);
    signal.addEventListener("abort", () => resolve(signal), { once: true });
  });
}

const encoder = new TextEncoder();

async function writeAll(writer: { write(p: Uint8Array): Promise<number> }, text: string) {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(await writer.write(bytes));
}

/**
 * The process's own standard streams and environment; `signal` aborts on SIGINT or SIGTERM
 * until disposal removes the listeners.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * using io = processIo();
 * if (io.signal.aborted) throw new Error();
 * ```
 */
export function processIo(): CliIo & Disposable {
  const stop = new AbortController();
  const onSignal = () => stop.abort(new DOMException("Stopped by a signal", "AbortError"));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (line) => console.error(line),
    stdin: async () => new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()),
    env: (name) => Deno.env.get(name),
    errIsTerminal: Deno.stderr.isTerminal(),
    signal: stop.signal,
    [Symbol.dispose]() {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}
