/**
 * Log lines about bad input, at most one per source and interval: a peer or
 * a stranger that floods a node with garbage must not flood its log too.
 *
 * @module
 */

import type { LogFields, Logger } from "./log.ts";

/** Sources remembered at once; the oldest is forgotten past this. */
const SOURCES_MAX = 1024;

/** Where the limiter reads the time from (milliseconds); tests pass their own. */
export type MsClock = () => number;

/**
 * Warns at most once per `intervalMs` for each source key; the next line
 * for a key says how many were suppressed meanwhile.
 *
 * @example
 * ```ts
 * import { RateLimitedLog } from "./log_rate.ts";
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * let now = 0;
 * const log = new RateLimitedLog(createLogger("info", { sink: (l) => lines.push(l) }), 1000, () => now);
 * log.warn("10.0.0.9", "refused a peer");
 * log.warn("10.0.0.9", "refused a peer");
 * now = 1500;
 * log.warn("10.0.0.9", "refused a peer");
 * if (lines.length !== 2 || !lines[1]!.includes("suppressed=1")) throw new Error(lines.join("\n"));
 * ```
 */
export class RateLimitedLog {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly now: MsClock;
  private readonly sources = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param logger where lines go
   * @param intervalMs the least time between two lines for one source
   * @param now the clock (`performance.now` by default)
   */
  constructor(logger: Logger, intervalMs: number, now: MsClock = () => performance.now()) {
    this.logger = logger;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Logs `message` at warn level unless `source` was logged less than an interval ago. */
  warn(source: string, message: string, fields: LogFields = {}): void {
    const now = this.now();
    const seen = this.sources.get(source);
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.sources.delete(source);
    this.sources.set(source, { at: now, suppressed: 0 });
    if (this.sources.size > SOURCES_MAX) {
      this.sources.delete(this.sources.keys().next().value!);
    }
    this.logger.warn(message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
