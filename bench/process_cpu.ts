/**
 * CPU time used by this process (every thread, Workers included), read from
 * `/proc/self/stat`, so a run can show what the load generator itself cost.
 *
 * @module
 */

/** Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/**
 * User plus system CPU time of this process in milliseconds (10 ms resolution), or null
 * where `/proc/self/stat` cannot be read.
 *
 * @example
 * ```ts
 * import { processCpuMs } from "./process_cpu.ts";
 * const ms = processCpuMs();
 * if (ms !== null && ms < 0) throw new Error();
 * ```
 */
export function processCpuMs(): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/self/stat");
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses; the fields after its last ")" do not.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return null;
  return ((user + system) * 1000) / ticksPerSecond;
}
