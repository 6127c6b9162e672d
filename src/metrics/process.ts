/**
 * The process metrics Prometheus clients usually export: CPU seconds,
 * resident and virtual memory, heap, open and maximum file descriptors,
 * start time. Read when scraped, from `/proc/self` where Deno has no API;
 * a figure that cannot be read (another OS, no permission) is left out.
 *
 * @module
 */

import type { Registry } from "./registry.ts";

/** Clock ticks per second of `/proc/self/stat` times (`USER_HZ`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Fields of `/proc/self/stat` after the command name: index of utime, stime, vsize. */
const STAT_UTIME_AT = 11;
const STAT_STIME_AT = 12;
const STAT_VSIZE_AT = 20;
/** Bytes per kibibyte, for `/proc/self/status` figures given in kB. */
const BYTES_PER_KIB = 1024;

/** Reads a text file; throws when it cannot. */
export type ReadText = (path: string) => string;

function tryRead(read: () => number | undefined): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * The fields of `/proc/self/stat` after the `(command)`, which may hold spaces.
 *
 * @example
 * ```ts
 * import { statFields } from "./process.ts";
 * if (statFields("7 (a (b) c) S 1 7")[0] !== "S") throw new Error();
 * ```
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
}

function statNumber(readText: ReadText, at: number): number {
  const value = Number(statFields(readText("/proc/self/stat"))[at]);
  if (!Number.isFinite(value)) throw new Error(`No number at field ${at} of /proc/self/stat`);
  return value;
}

/** A `kB` figure of `/proc/self/status` (`VmData:  1234 kB`), in bytes. */
export function statusBytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) throw new Error(`No "${field}" in /proc/self/status`);
  return Number(match[1]) * BYTES_PER_KIB;
}

/** The soft "Max open files" limit of `/proc/self/limits`. */
export function maxOpenFiles(limits: string): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (match === null) throw new Error('No "Max open files" in /proc/self/limits');
  return match[1] === "unlimited" ? Infinity : Number(match[1]);
}

function openFds(): number {
  let count = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) count++;
  return count;
}

/**
 * Registers `process_*` and `deno_*` metrics on `registry`.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { registerProcessMetrics } from "./process.ts";
 * const registry = new Registry();
 * registerProcessMetrics(registry);
 * if (!registry.render().includes("process_start_time_seconds ")) throw new Error();
 * ```
 */
export function registerProcessMetrics(
  registry: Registry,
  readText: ReadText = Deno.readTextFileSync,
): void {
  registry.sampled(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    "counter",
    () =>
      tryRead(() =>
        (statNumber(readText, STAT_UTIME_AT) + statNumber(readText, STAT_STIME_AT)) /
        CLOCK_TICKS_PER_SECOND
      ),
  );
  registry.sampled(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    "gauge",
    () => tryRead(() => Deno.memoryUsage().rss),
  );
  registry.sampled(
    "process_virtual_memory_bytes",
    "Virtual memory size in bytes.",
    "gauge",
    () => tryRead(() => statNumber(readText, STAT_VSIZE_AT)),
  );
  registry.sampled(
    "process_heap_bytes",
    "Process heap size (data segment) in bytes.",
    "gauge",
    () => tryRead(() => statusBytes(readText("/proc/self/status"), "VmData")),
  );
  registry.sampled(
    "deno_heap_used_bytes",
    "JavaScript heap in use, in bytes.",
    "gauge",
    () => tryRead(() => Deno.memoryUsage().heapUsed),
  );
  registry.sampled(
    "deno_heap_total_bytes",
    "JavaScript heap reserved, in bytes.",
    "gauge",
    () => tryRead(() => Deno.memoryUsage().heapTotal),
  );
  registry.sampled(
    "process_open_fds",
    "Number of open file descriptors.",
    "gauge",
    () => tryRead(openFds),
  );
  registry.sampled(
    "process_max_fds",
    "Maximum number of open file descriptors.",
    "gauge",
    () => tryRead(() => maxOpenFiles(readText("/proc/self/limits"))),
  );
  const startSeconds = performance.timeOrigin / 1000;
  registry.sampled(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    "gauge",
    () => startSeconds,
  );
}
