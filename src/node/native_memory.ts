/**
 * Giving freed native memory back to the system. The engine keeps the bytes
 * of every `Uint8Array` (log entries, request bodies, frames, snapshot
 * pieces) in the C allocator's heap. glibc returns freed memory to the
 * system only from the top of that heap, so after a burst of buffers that
 * die in a different order than they were made (a log compacted behind a
 * snapshot, bodies collected long after their requests) most of it stays
 * resident: 55 to 80 MB of a node's memory after a 1,000,000-key write run,
 * as much as a third of the state itself. `malloc_trim(0)` hands every
 * free page back wherever it lies.
 *
 * A node calls it on a background thread every second when it may load the C
 * library (`--allow-ffi`, which the node's command lines grant), and runs
 * exactly as before without: nothing else depends on it. A trim took 0.7 ms
 * (median) on a follower and 2.4 ms on the leader during a write run at that
 * size, at most 33 ms; while it runs, the allocator's lock makes other
 * threads' allocations wait.
 *
 * @module
 */

import type { Logger } from "../log.ts";

/** How often a node gives freed native memory back. */
export const NATIVE_TRIM_INTERVAL_MS = 1_000;

/** Where glibc lives when the loader cannot be asked by name (`--allow-ffi` scoped to a path). */
const LIBC_PATHS = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/usr/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib64/libc.so.6",
];

const SYMBOLS = {
  malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: true },
} as const;

/** Trims the C allocator's heap on a background thread; true when it gave memory back. */
export type NativeTrim = () => Promise<boolean>;

function granted(path?: string): boolean {
  const descriptor: Deno.FfiPermissionDescriptor = path === undefined
    ? { name: "ffi" }
    : { name: "ffi", path };
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The library to open: by name with unscoped `--allow-ffi`, else a granted path; null if none. */
function libcToOpen(): string | null {
  if (Deno.build.os !== "linux") return null;
  if (granted()) return "libc.so.6";
  for (const path of LIBC_PATHS) {
    if (granted(path)) return path;
  }
  return null;
}

/**
 * glibc's `malloc_trim`, or null where it cannot be had: not Linux, no
 * `--allow-ffi`, or a C library without it (musl).
 *
 * @example
 * ```ts ignore
 * import { openNativeTrim } from "./native_memory.ts";
 * const trim = openNativeTrim();
 * if (trim !== null) await trim();
 * ```
 */
export function openNativeTrim(): NativeTrim | null {
  const path = libcToOpen();
  if (path === null) return null;
  try {
    const libc = Deno.dlopen(path, SYMBOLS);
    return async () => (await libc.symbols.malloc_trim(0n)) === 1;
  } catch {
    return null;
  }
}

/** Trimming on an interval, until stopped. */
export interface NativeTrimming {
  /** True when the node trims (the library could be opened). */
  readonly active: boolean;
  /** Trims finished so far, failed ones included. */
  readonly trims: number;
  stop(): void;
}

/**
 * Trims every `intervalMs` (never two at once) with `trim` (default: the C
 * library's, when it can be opened); logs at start whether it does.
 *
 * @example
 * ```ts
 * import { startNativeTrimming } from "./native_memory.ts";
 * import { createLogger } from "../log.ts";
 * let calls = 0;
 * const trimming = startNativeTrimming(createLogger("error"), {
 *   intervalMs: 1,
 *   trim: () => Promise.resolve(++calls > 0),
 * });
 * await new Promise((resolve) => setTimeout(resolve, 20));
 * trimming.stop();
 * if (!trimming.active || trimming.trims === 0) throw new Error("it trims");
 * ```
 */
export function startNativeTrimming(
  logger: Logger,
  options: { intervalMs?: number; trim?: NativeTrim | null } = {},
): NativeTrimming {
  const trim = options.trim === undefined ? openNativeTrim() : options.trim;
  if (trim === null) {
    logger.info(
      "freed native memory stays with the process (grant --allow-ffi on Linux with glibc to give it back)",
    );
    return { active: false, trims: 0, stop() {} };
  }
  let running = false;
  let trims = 0;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    trim()
      .catch((error) => logger.debug("trimming native memory failed", { error: String(error) }))
      .finally(() => {
        running = false;
        trims++;
      });
  }, options.intervalMs ?? NATIVE_TRIM_INTERVAL_MS);
  Deno.unrefTimer(timer);
  return {
    active: true,
    get trims() {
      return trims;
    },
    stop: () => clearInterval(timer),
  };
}
