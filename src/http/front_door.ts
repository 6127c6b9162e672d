/**
 * What every request passes through before and after its route, in one
 * middleware: the in-flight bound (`inflight.ts`), the request metrics
 * (`metrics_middleware.ts`) and reading what is left of an unread body
 * before the answer goes out (`drain.ts`). One layer rather than three:
 * each layer of the middleware chain costs every request an async frame, a
 * promise and a closure (about 1 KB of garbage, measured with a sampling
 * heap profile of a leader under writes).
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { drainUnread } from "./drain.ts";
import { InflightGate } from "./inflight.ts";
import type { Limits } from "./input.ts";
import { HttpMeter } from "./metrics_middleware.ts";
import type { RafterMetrics } from "../metrics/rafter_metrics.ts";

/** What the front door enforces and counts. */
export interface FrontDoorOptions {
  limits: Pick<Limits, "bodyBytesMax" | "bodyReadTimeoutMs">;
  /** Where requests are counted; null counts nothing. */
  metrics: RafterMetrics | null;
  /** Requests handled at once; past it a request answers 503. */
  requestsInflightMax: number;
  /** The `Retry-After` of that 503. */
  retryAfterSeconds: number;
}

/**
 * The middleware; mount it first with `app.use(frontDoor(options))`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { frontDoor } from "./front_door.ts";
 * import { DEFAULT_LIMITS } from "./input.ts";
 * import { createMetrics } from "../metrics/rafter_metrics.ts";
 * const metrics = createMetrics();
 * const app = new Hono();
 * app.use(frontDoor({ limits: DEFAULT_LIMITS, metrics, requestsInflightMax: 8, retryAfterSeconds: 1 }));
 * app.post("/items/:id", (c) => c.text("refused", 401));
 * const request = new Request("http://h/items/7", { method: "POST", body: "unread" });
 * if ((await app.request(request)).status !== 401 || !request.bodyUsed) throw new Error();
 * if (metrics.http.requests.labels("POST", "/items/:id", "401").value !== 1) throw new Error();
 * ```
 */
export function frontDoor(options: FrontDoorOptions): MiddlewareHandler {
  const gate = new InflightGate(options.requestsInflightMax, options.retryAfterSeconds);
  const meter = options.metrics === null ? null : new HttpMeter(options.metrics);
  const limits = options.limits;
  return async (c, next) => {
    const start = performance.now();
    const refused = gate.admit();
    if (refused === null) {
      try {
        await next();
      } finally {
        gate.leave();
        meter?.observe(c, c.res.status, start);
      }
    } else meter?.observe(c, refused.status, start);
    const draining = drainUnread(c.req.raw, limits);
    if (draining !== null) await draining;
    return refused ?? undefined;
  };
}
