/**
 * Resident memory once the load has stopped. A node under load holds more
 * than its state: V8 grows its heap with the allocation rate and gives the
 * growth back some seconds after the rate falls (its memory reducer), so the
 * reading at the instant the last scenario ends still carries the load's
 * working memory. The benchmark reports that reading and, beside it, the
 * one this module waits for: every node's resident memory read once a
 * second until none fell by more than 1% over the last 16 seconds. V8's
 * reducer looks at the allocation rate 8 s after a full collection and
 * again 8 s later while it is still high, so a shorter hold can end before
 * it has run at all.
 *
 * @module
 */

import { processesMemory, type ProcessMemory } from "./memory.ts";

/** How often the processes are read while waiting, in milliseconds. */
export const SETTLE_SAMPLE_MS = 1_000;
/** Readings (one per sample) over which memory must hold to count as settled. */
export const SETTLE_HOLD_SAMPLES = 16;
/** The largest fall, as a share, that still counts as holding. */
export const SETTLE_FALL_MAX = 0.01;

/** What the wait saw. */
export interface SettledMemory {
  /** Each process's last reading, in bytes (0 where it could not be read). */
  rssBytes: number[];
  /** Milliseconds from the start of the wait to that reading. */
  afterMs: number;
  /** False when the wait ran out before memory held still. */
  settled: boolean;
}

/**
 * True when `history` (reading by reading, each process's bytes) spans
 * `holdSamples` intervals and no process fell by more than
 * {@link SETTLE_FALL_MAX} across them; a rise counts as holding.
 *
 * @example
 * ```ts
 * import { isSettled } from "./memory_settle.ts";
 * if (isSettled([[100], [90]], 1)) throw new Error("fell 10%");
 * if (!isSettled([[100], [90], [90], [89.5]], 2)) throw new Error("held within 1%");
 * ```
 */
export function isSettled(history: readonly (readonly number[])[], holdSamples: number): boolean {
  if (history.length <= holdSamples) return false;
  const now = history[history.length - 1]!;
  const then = history[history.length - 1 - holdSamples]!;
  return now.every((bytes, i) => bytes >= then[i]! * (1 - SETTLE_FALL_MAX));
}

/**
 * Reads the resident memory of `pids` every `sampleMs` until it holds still
 * ({@link isSettled} over `holdSamples`) or `maxMs` has passed.
 *
 * @example
 * ```ts ignore
 * import { settleMemory } from "./memory_settle.ts";
 * const { rssBytes, afterMs } = await settleMemory([1234], 30_000);
 * ```
 */
export async function settleMemory(
  pids: readonly number[],
  maxMs: number,
  options: {
    sampleMs?: number;
    holdSamples?: number;
    read?: (pids: readonly number[]) => Promise<(ProcessMemory | null)[]>;
  } = {},
): Promise<SettledMemory> {
  const sampleMs = options.sampleMs ?? SETTLE_SAMPLE_MS;
  const holdSamples = options.holdSamples ?? SETTLE_HOLD_SAMPLES;
  const read = options.read ?? processesMemory;
  const history: number[][] = [];
  const startMs = Date.now();
  for (;;) {
    const readings = await read(pids);
    history.push(readings.map((reading) => reading?.rssBytes ?? 0));
    const afterMs = Date.now() - startMs;
    const settled = isSettled(history, holdSamples);
    if (settled || afterMs + sampleMs > maxMs) {
      return { rssBytes: history[history.length - 1]!, afterMs, settled };
    }
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
  }
}
