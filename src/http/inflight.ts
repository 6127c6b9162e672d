/**
 * The bound on requests in flight: past `--http-requests-inflight-max`
 * requests being handled at once, a new one answers 503 with `Retry-After`
 * at once instead of queueing; the request was never started, so the 503
 * says `"indeterminate": false` and a client may retry it. A request counts from its arrival until its
 * handler has answered (a streamed body that is still flowing no longer counts).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { json } from "./respond.ts";

/**
 * Middleware that admits at most `requestsInflightMax` requests at a time.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { inflightLimit } from "./inflight.ts";
 * const app = new Hono();
 * app.use(inflightLimit(1, 2));
 * app.get("/", (c) => c.text("ok"));
 * if ((await app.request("/")).status !== 200) throw new Error();
 * ```
 */
export function inflightLimit(
  requestsInflightMax: number,
  retryAfterSeconds: number,
): MiddlewareHandler {
  let inflight = 0;
  return async (_c, next) => {
    if (inflight >= requestsInflightMax) {
      return json(
        {
          error: `Too many requests in flight (limit ${requestsInflightMax}); retry shortly`,
          indeterminate: false,
        },
        503,
        { "retry-after": String(retryAfterSeconds) },
      );
    }
    inflight++;
    try {
      await next();
    } finally {
      inflight--;
    }
  };
}
