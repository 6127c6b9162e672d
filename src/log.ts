/**
 * Operator log lines on stderr, as text
 * (`2026-01-02T03:04:05.678Z n1 info became leader term=3`) or as JSON lines
 * (`{"ts":"...","level":"info","node":"n1","msg":"became leader","term":3}`).
 *
 * @module
 */

/** Log levels from most to least verbose. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The accepted level names, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** How lines are written: `key=value` text, or one JSON object per line. */
export type LogFormat = "text" | "json";

/** The accepted formats. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** The keys every JSON line has; a field with one of these names gets a `field_` prefix. */
const JSON_KEYS = new Set(["ts", "level", "node", "msg"]);

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

function jsonLine(at: LogLevel, node: string | undefined, message: string, fields?: LogFields) {
  const line: Record<string, string | number | boolean> = {
    ts: new Date().toISOString(),
    level: at,
  };
  if (node !== undefined) line.node = node;
  line.msg = message;
  for (const [key, value] of Object.entries(fields ?? {})) {
    line[JSON_KEYS.has(key) ? `field_${key}` : key] = value;
  }
  return JSON.stringify(line);
}

/**
 * Creates a logger that prints lines at `level` and above; `prefix` names
 * the node (the `node` key of a JSON line).
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger("info", { sink: (line) => lines.push(line), prefix: "n1" });
 * log.debug("hidden");
 * log.info("became leader", { term: 2 });
 * if (lines.length !== 1 || !lines[0]!.endsWith("n1 info became leader term=2")) throw new Error();
 * const json = createLogger("info", { sink: (line) => lines.push(line), prefix: "n1", format: "json" });
 * json.warn("slow fsync", { durationMs: 1200 });
 * const line = JSON.parse(lines[1]!);
 * if (line.node !== "n1" || line.level !== "warn" || line.durationMs !== 1200) throw new Error();
 * ```
 */
export function createLogger(
  level: LogLevel,
  options: { sink?: LogSink; prefix?: string; format?: LogFormat } = {},
): Logger {
  const sink = options.sink ?? stderrSink;
  const prefix = options.prefix === undefined ? "" : `${options.prefix} `;
  const json = options.format === "json";
  const min = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(at) < min) return;
    sink(
      json
        ? jsonLine(at, options.prefix, message, fields)
        : `${new Date().toISOString()} ${prefix}${at} ${message}${formatFields(fields)}`,
    );
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
