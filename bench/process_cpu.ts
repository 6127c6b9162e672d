/**
 * CPU time used by this process (every thread, Workers included), so a run can show what
 * the load generator itself cost next to the servers it shares the cores with.
 *
 * @module
 */

// node:process gives getrusage without a permission; /proc/self needs --allow-all in Deno.
import process from "node:process";

/**
 * User plus system CPU time of this process in milliseconds, or null where it is unknown.
 *
 * @example
 * ```ts
 * import { processCpuMs } from "./process_cpu.ts";
 * const ms = processCpuMs();
 * if (ms !== null && ms < 0) throw new Error();
 * ```
 */
export function processCpuMs(): number | null {
  try {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  } catch {
    return null;
  }
}
