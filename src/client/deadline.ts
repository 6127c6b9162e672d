/**
 * Call deadlines that cost next to nothing: calls that start within the same short window
 * share one abort signal and one timer, set to fire `timeoutMs` plus the window after the
 * window opened, so each call gets between `timeoutMs` and `timeoutMs` plus the window. A
 * fresh signal per `fetch`, or a timer set and cleared per call, costs several microseconds
 * in Deno, a large share of a fast call. The shared timer keeps the program alive only while
 * a call uses it. Streams take a deadline of their own, cleared once their headers arrive,
 * so that no later timer can cut their body.
 *
 * @module
 */

/** Widest window of calls that share a deadline, in milliseconds. */
const WINDOW_MS_MAX = 50;
/** The window is at most this fraction of the timeout. */
const WINDOW_PER_TIMEOUT = 20;

/** One call's deadline. */
export interface Deadline {
  /** Aborts on the deadline or when the caller's signal aborts. */
  readonly signal: AbortSignal;
  /** True once the deadline (not the caller) has aborted. */
  readonly passed: boolean;
  /** Call once the call is over (or, for a stream, once its headers arrived). */
  release(): void;
}

/** A timer as `Deno.refTimer` takes it (the global `setTimeout` is typed as Node's). */
type TimerId = number;

interface Window {
  openedAtMs: number;
  controller: AbortController;
  timer: TimerId;
  users: number;
}

/**
 * The deadlines of one client.
 *
 * @example
 * ```ts
 * import { Deadlines } from "./deadline.ts";
 * const deadlines = new Deadlines(20);
 * const call = deadlines.start(undefined, true);
 * await new Promise((resolve) => setTimeout(resolve, 40));
 * if (!call.passed || !call.signal.aborted) throw new Error("past its deadline");
 * call.release();
 * ```
 */
export class Deadlines {
  readonly #timeoutMs: number;
  readonly #windowMs: number;
  #current: Window | null = null;

  /** @param timeoutMs the shortest time a call gets */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#windowMs = Math.max(
      1,
      Math.min(WINDOW_MS_MAX, Math.floor(timeoutMs / WINDOW_PER_TIMEOUT)),
    );
  }

  /**
   * A deadline for a call starting now; `own` gives it a signal and timer of its own (for
   * streams, whose body must outlive the deadline).
   *
   * @example
   * ```ts
   * import { Deadlines } from "./deadline.ts";
   * const deadlines = new Deadlines(1_000);
   * const a = deadlines.start(undefined, false);
   * const b = deadlines.start(undefined, false);
   * if (a.signal !== b.signal || a.passed) throw new Error("calls of one window share");
   * a.release();
   * b.release();
   * deadlines.close();
   * ```
   */
  start(callerSignal: AbortSignal | undefined, own: boolean): Deadline {
    const window = own ? this.#open(this.#timeoutMs) : this.#shared();
    if (window.users++ === 0) Deno.refTimer(window.timer);
    const signal = callerSignal === undefined
      ? window.controller.signal
      : AbortSignal.any([callerSignal, window.controller.signal]);
    let released = false;
    return {
      signal,
      get passed() {
        return window.controller.signal.aborted;
      },
      release: () => {
        if (released) return;
        released = true;
        if (--window.users > 0) return;
        if (window === this.#current) Deno.unrefTimer(window.timer);
        else clearTimeout(window.timer);
      },
    };
  }

  /** Stops the idle window's timer; calls in flight keep theirs until they end. */
  close(): void {
    const window = this.#current;
    this.#current = null;
    if (window !== null && window.users === 0) clearTimeout(window.timer);
  }

  #shared(): Window {
    const current = this.#current;
    const fresh = current !== null && !current.controller.signal.aborted &&
      performance.now() - current.openedAtMs <= this.#windowMs;
    if (fresh) return current;
    if (current !== null && current.users === 0) clearTimeout(current.timer);
    this.#current = this.#open(this.#timeoutMs + this.#windowMs);
    return this.#current;
  }

  #open(afterMs: number): Window {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), afterMs) as unknown as TimerId;
    // Referenced only while a call uses it: an idle client never keeps the program running.
    Deno.unrefTimer(timer);
    return { openedAtMs: performance.now(), controller, timer, users: 0 };
  }
}
