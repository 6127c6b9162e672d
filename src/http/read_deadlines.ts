/**
 * Deadlines of request body reads, kept by one timer for all of them
 * instead of one timer each (a timer set and cleared per request was a
 * measurable share of a small write's cost). A read registers; when it
 * settles it leaves; a sweep every {@link SWEEP_MS} while any read is
 * pending abandons those past their deadline, so a late read is refused at
 * most one sweep after its deadline. The timer stops at the first sweep
 * that finds no read pending, so an idle server holds none, and requests
 * that come one at a time do not start and stop it each (which cost a small
 * write about as much as the timer it replaced); it outlives the last
 * read by one sweep at most.
 *
 * @module
 */

/** How often pending reads are checked against their deadlines, in milliseconds. */
export const SWEEP_MS = 100;

interface PendingRead {
  deadlineMs: number;
  expire(): void;
}

const pending = new Set<PendingRead>();
let timer: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  if (pending.size === 0) {
    clearInterval(timer);
    timer = undefined;
    return;
  }
  const nowMs = performance.now();
  for (const read of pending) {
    if (read.deadlineMs > nowMs) continue;
    pending.delete(read);
    read.expire();
  }
}

function startSweeping(): void {
  if (timer !== undefined) return;
  timer = setInterval(sweep, SWEEP_MS);
}

/**
 * Settles as `read` does, unless `timeoutMs` passes first: then `abandon`
 * runs and it rejects with `late()`. A failure of `read` after that is moot.
 *
 * @example
 * ```ts
 * import { withinDeadline } from "./read_deadlines.ts";
 * if (await withinDeadline(Promise.resolve(7), 1000, () => {}, () => new Error()) !== 7) throw new Error();
 * const never = new Promise<number>(() => {});
 * const late = await withinDeadline(never, 10, () => {}, () => new Error("late")).catch((e) => e.message);
 * if (late !== "late") throw new Error();
 * ```
 */
export function withinDeadline<T>(
  read: Promise<T>,
  timeoutMs: number,
  abandon: () => void,
  late: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: PendingRead = {
      deadlineMs: performance.now() + timeoutMs,
      expire: () => {
        abandon();
        reject(late());
      },
    };
    const leave = () => pending.delete(entry);
    pending.add(entry);
    startSweeping();
    read.then(
      (value) => leave() && resolve(value),
      (error) => leave() && reject(error),
    );
  });
}
