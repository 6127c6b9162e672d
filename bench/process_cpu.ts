/**
 * CPU time used by this process (every thread, Workers included), so a run can show what
 * the load generator itself cost next to the servers it shares the cores with; and CPU time
 * used by the server processes the benchmark started, read from `/proc/<pid>/stat`.
 *
 * @module
 */

// node:process gives getrusage without a permission; /proc/self needs --allow-all in Deno.
import process from "node:process";
import { statFields } from "../src/metrics/process.ts";

/** Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Fields of `/proc/<pid>/stat` after the command name: utime and stime. */
const STAT_UTIME_AT = 11;
const STAT_STIME_AT = 12;

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

/**
 * User plus system CPU time of the processes `pids` together, in milliseconds (10 ms
 * resolution), or null where one cannot be read (another OS, a process gone). Deno reads
 * another process's `/proc` entry only with every permission, so `cat` reads it.
 *
 * @example
 * ```ts ignore
 * import { processesCpuMs } from "./process_cpu.ts";
 * const ms = await processesCpuMs([Deno.pid]);
 * if (ms !== null && ms < 0) throw new Error();
 * ```
 */
export async function processesCpuMs(pids: readonly number[]): Promise<number | null> {
  let text: string;
  try {
    const output = await new Deno.Command("cat", {
      args: pids.map((pid) => `/proc/${pid}/stat`),
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!output.success) return null;
    text = new TextDecoder().decode(output.stdout);
  } catch {
    return null;
  }
  const lines = text.split("\n").filter((line) => line !== "");
  if (lines.length !== pids.length) return null;
  let ticks = 0;
  for (const line of lines) {
    const fields = statFields(line);
    ticks += Number(fields[STAT_UTIME_AT]) + Number(fields[STAT_STIME_AT]);
  }
  return Number.isFinite(ticks) ? ticks * 1000 / CLOCK_TICKS_PER_SECOND : null;
}
