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
  /** Its slot in `pending`; -1 once it left. */
  slot: number;
  expire(): void;
}

/**
 * The reads pending, `pendingCount` of them from slot 0. A read leaves by
 * taking the last one into its slot: nothing is searched or allocated, and
 * the array keeps its size, where a set would grow and shrink its table
 * with the reads in flight.
 */
const pending: (PendingRead | null)[] = [];
let pendingCount = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Takes `read` out of `pending`; false when it had already left. */
function leave(read: PendingRead): boolean {
  const slot = read.slot;
  if (slot < 0) return false;
  const last = pending[--pendingCount]!;
  pending[slot] = last;
  last.slot = slot;
  pending[pendingCount] = null;
  read.slot = -1;
  return true;
}

function sweep(): void {
  if (pendingCount === 0) {
    clearInterval(timer);
    timer = undefined;
    return;
  }
  const nowMs = performance.now();
  // From the end: a read that leaves takes the last one, already looked at, into its slot.
  for (let i = pendingCount - 1; i >= 0; i--) {
    const read = pending[i]!;
    if (read.deadlineMs > nowMs) continue;
    leave(read);
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
      slot: pendingCount,
      expire: () => {
        abandon();
        reject(late());
      },
    };
    if (pendingCount < pending.length) pending[pendingCount] = entry;
    else pending.push(entry);
    pendingCount++;
    startSweeping();
    read.then(
      (value) => leave(entry) && resolve(value),
      (error) => leave(entry) && reject(error),
    );
  });
}
