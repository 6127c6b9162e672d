/**
 * Resident memory of the server processes the benchmark started: read from
 * `/proc/<pid>/status` (`VmRSS` now, `VmHWM` the peak since the process
 * started), sampled on an interval while a scenario runs so the peak a
 * snapshot causes shows even when it falls between scenarios' ends.
 *
 * @module
 */

/** Bytes in a kibibyte, the unit of `/proc/<pid>/status`. */
const BYTES_PER_KIB = 1024;
/** How often a sampler reads every process while the load runs, in milliseconds. */
export const MEMORY_SAMPLE_MS = 250;

/** One process's resident memory, in bytes. */
export interface ProcessMemory {
  rssBytes: number;
  /** The highest resident memory since the process started (`VmHWM`). */
  peakBytes: number;
}

/**
 * Parses the `VmRSS` and `VmHWM` lines of a `/proc/<pid>/status` text, or
 * null when either is missing.
 *
 * @example
 * ```ts
 * import { parseProcStatus } from "./memory.ts";
 * const memory = parseProcStatus("Name:\tdeno\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n");
 * if (memory?.rssBytes !== 1024 * 1024 || memory.peakBytes !== 2048 * 1024) throw new Error();
 * ```
 */
export function parseProcStatus(text: string): ProcessMemory | null {
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(text)?.[1];
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(text)?.[1];
  if (rss === undefined || peak === undefined) return null;
  return { rssBytes: Number(rss) * BYTES_PER_KIB, peakBytes: Number(peak) * BYTES_PER_KIB };
}

/**
 * The resident memory of each of `pids` (null where one cannot be read: another
 * OS, a process gone). Deno reads another process's `/proc` entry only with
 * every permission, so `cat` reads them, all in one call.
 *
 * @example
 * ```ts ignore
 * import { processesMemory } from "./memory.ts";
 * const [memory] = await processesMemory([Deno.pid]);
 * ```
 */
export async function processesMemory(pids: readonly number[]): Promise<(ProcessMemory | null)[]> {
  const readings = await Promise.all(pids.map(async (pid) => {
    try {
      const output = await new Deno.Command("cat", {
        args: [`/proc/${pid}/status`],
        stdout: "piped",
        stderr: "null",
      }).output();
      return output.success ? parseProcStatus(new TextDecoder().decode(output.stdout)) : null;
    } catch {
      return null;
    }
  }));
  return readings;
}

/** What a sampler saw of each process while it ran, in bytes. */
export interface MemorySamples {
  /** The last reading of each process. */
  lastBytes: number[];
  /** The highest reading of each process. */
  highestBytes: number[];
}

/**
 * Reads the resident memory of `pids` every `intervalMs` until `stop()`,
 * which resolves with the last and the highest reading of each (0 where a
 * process could not be read).
 *
 * @example
 * ```ts ignore
 * import { sampleMemory } from "./memory.ts";
 * const sampler = sampleMemory([Deno.pid]);
 * const { highestBytes } = await sampler.stop();
 * ```
 */
export function sampleMemory(
  pids: readonly number[],
  intervalMs = MEMORY_SAMPLE_MS,
): { stop(): Promise<MemorySamples> } {
  const samples: MemorySamples = {
    lastBytes: pids.map(() => 0),
    highestBytes: pids.map(() => 0),
  };
  let running = true;
  let wake: () => void = () => {};
  const readAll = async () => {
    const readings = await processesMemory(pids);
    readings.forEach((reading, i) => {
      if (reading === null) return;
      samples.lastBytes[i] = reading.rssBytes;
      samples.highestBytes[i] = Math.max(samples.highestBytes[i]!, reading.rssBytes);
    });
  };
  const loop = (async () => {
    while (running) {
      await readAll();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await readAll();
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
      return samples;
    },
  };
}

/**
 * Megabytes (10^6 bytes) of each reading, joined as `n1:310,n2:295`.
 *
 * @example
 * ```ts
 * import { megabytesByNode } from "./memory.ts";
 * if (megabytesByNode([310e6, 295.4e6]) !== "n1:310,n2:295") throw new Error();
 * ```
 */
export function megabytesByNode(bytes: readonly number[]): string {
  return bytes.map((value, i) => `n${i + 1}:${Math.round(value / 1e6)}`).join(",");
}

/**
 * Bytes of keys `k0`..`k<keys-1>` with a value of `valueBytes` each: what a
 * state holding them needs at the least, the yardstick of the memory targets.
 *
 * @example
 * ```ts
 * import { rawDataBytes } from "./memory.ts";
 * // k0..k9 are 2 bytes each, k10..k99 3 bytes each.
 * if (rawDataBytes(100, 10) !== 10 * 2 + 90 * 3 + 100 * 10) throw new Error();
 * ```
 */
export function rawDataBytes(keys: number, valueBytes: number): number {
  let keyBytes = 0;
  for (let digits = 1, from = 0; from < keys; digits++, from = 10 ** (digits - 1)) {
    keyBytes += (1 + digits) * (Math.min(keys, 10 ** digits) - from);
  }
  return keyBytes + keys * valueBytes;
}
