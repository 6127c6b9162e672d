/**
 * The bound on requests in flight: past `--http-requests-inflight-max`
 * requests being handled at once, a new one answers 503 with `Retry-After`
 * at once instead of queueing; the request was never started, so the 503
 * says `"indeterminate": false` and a client may retry it. A request counts from its arrival until its
 * handler has answered (a streamed body that is still flowing no longer counts).
 *
 * @module
 */

import { json } from "./respond.ts";

/**
 * Counts the requests in flight and refuses those past the bound.
 *
 * @example
 * ```ts
 * import { InflightGate } from "./inflight.ts";
 * const gate = new InflightGate(1, 2);
 * if (gate.admit() !== null) throw new Error("the first is admitted");
 * const refused = gate.admit();
 * if (refused?.status !== 503 || refused.headers.get("retry-after") !== "2") throw new Error();
 * gate.leave();
 * if (gate.admit() !== null) throw new Error("room again");
 * ```
 */
export class InflightGate {
  readonly #requestsInflightMax: number;
  readonly #retryAfterSeconds: number;
  #inflight = 0;

  /**
   * @param requestsInflightMax requests handled at once
   * @param retryAfterSeconds the `Retry-After` of a refusal
   */
  constructor(requestsInflightMax: number, retryAfterSeconds: number) {
    this.#requestsInflightMax = requestsInflightMax;
    this.#retryAfterSeconds = retryAfterSeconds;
  }

  /** Null when the request is admitted (call {@link leave} once it is answered), else the 503. */
  admit(): Response | null {
    if (this.#inflight >= this.#requestsInflightMax) {
      return json(
        {
          error: `Too many requests in flight (limit ${this.#requestsInflightMax}); retry shortly`,
          indeterminate: false,
        },
        503,
        { "retry-after": String(this.#retryAfterSeconds) },
      );
    }
    this.#inflight++;
    return null;
  }

  /** An admitted request was answered. */
  leave(): void {
    this.#inflight--;
  }
}
