/**
 * The real clock: `performance.now()`, `setInterval`/`setTimeout`, and a
 * pause that yields to every waiting task without the minimum delay nested
 * timers get.
 *
 * @module
 */

import type { Clock } from "./ports.ts";

/**
 * The clock of a real node.
 *
 * @example
 * ```ts
 * import { systemClock } from "./system_clock.ts";
 * const before = systemClock.nowMs();
 * await systemClock.pause();
 * if (systemClock.nowMs() < before) throw new Error("time went back");
 * ```
 */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  every(intervalMs, run) {
    const timer = setInterval(run, intervalMs);
    return () => clearInterval(timer);
  },
  after(delayMs, run) {
    const timer = setTimeout(run, delayMs);
    return () => clearTimeout(timer);
  },
  pause: () => new Promise((resolve) => setTimeout(resolve, 0)),
};
