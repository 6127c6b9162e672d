/**
 * Counts and times every request by its route pattern (Hono's matched
 * route, never the raw path, so labels stay bounded): a request no route
 * matched is labelled `unmatched`. A request refused before its handler ran
 * (the in-flight bound) still carries the pattern it matched.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { RafterMetrics } from "../metrics/rafter_metrics.ts";

/** The route label of a request no route matched. */
export const UNMATCHED_ROUTE = "unmatched";
/** Methods labelled as themselves; any other is `OTHER`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const MS_PER_SECOND = 1000;

/** The pattern of the route `c` matched: the last match that is not middleware on every path. */
function routeOf(c: Context): string {
  const last = matchedRoutes(c).at(-1);
  return last === undefined || last.method === "ALL" ? UNMATCHED_ROUTE : last.path;
}

/**
 * The middleware; mount it first with `app.use(httpMetrics(metrics))`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { httpMetrics } from "./metrics_middleware.ts";
 * import { createMetrics } from "../metrics/rafter_metrics.ts";
 * const metrics = createMetrics();
 * const app = new Hono();
 * app.use(httpMetrics(metrics));
 * app.get("/items/:id", (c) => c.text("ok"));
 * await (await app.request("/items/7")).text();
 * if (metrics.http.requests.labels("GET", "/items/:id", "200").value !== 1) throw new Error();
 * ```
 */
export function httpMetrics(metrics: RafterMetrics): MiddlewareHandler {
  const { requests, requestSeconds } = metrics.http;
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const route = routeOf(c);
      const method = METHODS.has(c.req.method) ? c.req.method : "OTHER";
      requests.labels(method, route, String(c.res.status)).inc();
      requestSeconds.labels(method, route).observe((performance.now() - start) / MS_PER_SECOND);
    }
  };
}
