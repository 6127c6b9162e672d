/**
 * The simulator's clock: time moves only when the simulation advances it,
 * timers fire in the order they fall due, and a pause lasts until the next
 * time unit. One clock serves every node of a run; a crashed node's timers
 * are cancelled with its owner tag.
 *
 * @module
 */

import type { Clock } from "../../src/node/ports.ts";

interface Timer {
  at: number;
  intervalMs: number;
  run: () => void;
  owner: string;
  seq: number;
}

/**
 * Simulated time for a whole run.
 *
 * @example
 * ```ts
 * import { SimClock } from "./sim_clock.ts";
 * const clock = new SimClock();
 * let fired = 0;
 * clock.forOwner("n1").every(10, () => fired++);
 * clock.advanceTo(35);
 * if (fired !== 3) throw new Error(String(fired));
 * ```
 */
export class SimClock {
  private now = 0;
  private timers: Timer[] = [];
  private pauses: (() => void)[] = [];
  private seq = 0;

  /** The current time in milliseconds. */
  get nowMs(): number {
    return this.now;
  }

  /** The `Clock` port of one node; its timers carry `owner` so a crash can cancel them. */
  forOwner(owner: string): Clock {
    return {
      nowMs: () => this.now,
      every: (intervalMs, run) => this.add(owner, intervalMs, intervalMs, run),
      after: (delayMs, run) => this.add(owner, delayMs, 0, run),
      pause: () => new Promise((resolve) => this.pauses.push(resolve)),
    };
  }

  /** Cancels every timer of `owner` (its node crashed or stopped). */
  cancelOwner(owner: string): void {
    this.timers = this.timers.filter((t) => t.owner !== owner);
  }

  /** Moves time to `ms`, firing due timers in order; resolves pending pauses. */
  advanceTo(ms: number): void {
    const pauses = this.pauses;
    this.pauses = [];
    for (const resolve of pauses) resolve();
    for (let fired = 0; fired < 100_000; fired++) {
      const due = this.nextDue(ms);
      if (due === undefined) break;
      this.now = due.at;
      if (due.intervalMs > 0) due.at += due.intervalMs;
      else this.timers = this.timers.filter((t) => t !== due);
      due.run();
    }
    this.now = ms;
  }

  private nextDue(ms: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at > ms) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private add(owner: string, delayMs: number, intervalMs: number, run: () => void): () => void {
    const timer = { at: this.now + Math.max(0, delayMs), intervalMs, run, owner, seq: ++this.seq };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
}
