/**
 * Waiting between attempts: jittered exponential backoff and a sleep that an `AbortSignal`
 * ends early.
 *
 * @module
 */

/** Doublings after which the backoff stops growing, so `2 ** attempt` stays small. */
const DOUBLINGS_MAX = 20;

/**
 * The wait before retry number `attempt` (0 for the first retry): a ceiling of
 * `baseMs * 2^attempt` capped at `maxMs`, of which a random half is waited ("equal
 * jitter"), so clients that failed together do not retry together.
 *
 * @example
 * ```ts
 * import { backoffMs } from "./backoff.ts";
 * if (backoffMs(0, 100, 1000, () => 0) !== 50) throw new Error();
 * if (backoffMs(10, 100, 1000, () => 0.999) > 1000) throw new Error();
 * ```
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, DOUBLINGS_MAX));
  return ceilingMs / 2 + random() * (ceilingMs / 2);
}

/**
 * Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts.
 *
 * @example
 * ```ts
 * import { sleep } from "./backoff.ts";
 * await sleep(1);
 * const stop = new AbortController();
 * stop.abort(new Error("stopped"));
 * await sleep(60_000, stop.signal).then(() => { throw new Error(); }, () => {});
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
