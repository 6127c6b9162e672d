/**
 * Operator log lines on stderr: `2026-01-02T03:04:05.678Z info became leader term=3`.
 *
 * @module
 */

/** Log levels from most to least verbose. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The accepted level names, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Extra key/value fields printed after the message. */
export type LogFields = Record<string, string | number | boolean>;

/** A leveled logger. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Where finished lines go; stderr by default. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return "";
  let out = "";
  for (const [key, value] of Object.entries(fields)) {
    const text = String(value);
    out += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

/**
 * Creates a logger that prints lines at `level` and above.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger("info", { sink: (line) => lines.push(line), prefix: "n1" });
 * log.debug("hidden");
 * log.info("became leader", { term: 2 });
 * if (lines.length !== 1 || !lines[0]!.endsWith("n1 info became leader term=2")) throw new Error();
 * ```
 */
export function createLogger(
  level: LogLevel,
  options: { sink?: LogSink; prefix?: string } = {},
): Logger {
  const sink = options.sink ?? stderrSink;
  const prefix = options.prefix === undefined ? "" : `${options.prefix} `;
  const min = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(at) < min) return;
    sink(`${new Date().toISOString()} ${prefix}${at} ${message}${formatFields(fields)}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
