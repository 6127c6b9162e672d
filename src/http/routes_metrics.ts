/**
 * `GET /metrics`: every metric in the Prometheus text format 0.0.4, rendered
 * only now; or, on a node that counts nothing (`--metrics off`), a 404
 * saying so.
 *
 * @module
 */

import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import { METRICS } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/**
 * Mounts `/metrics`: the admin, or a caller with the metrics permission.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { mountMetricsRoute } from "./routes_metrics.ts";
 * import { declareRoutes } from "./routes.ts";
 * import { createMetrics } from "../metrics/rafter_metrics.ts";
 * import type { HttpDeps } from "./deps.ts";
 * const metrics = createMetrics();
 * metrics.disk.walWriteBytes.inc(42);
 * const app = new Hono();
 * const deps = { metrics, auth: null } as unknown as HttpDeps;
 * mountMetricsRoute(declareRoutes(app, deps), deps);
 * const text = await (await app.request("/metrics")).text();
 * if (!text.includes("rafter_disk_wal_write_bytes_total 42")) throw new Error(text);
 * ```
 */
export function mountMetricsRoute(routes: Routes, deps: HttpDeps): void {
  routes.get("/metrics", METRICS, async () => {
    const text = await deps.metrics.registry.scrape();
    return new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  });
}

/**
 * Mounts a `/metrics` that answers 404 (to callers allowed to scrape): this
 * node counts nothing.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { mountMetricsOff } from "./routes_metrics.ts";
 * import { declareRoutes } from "./routes.ts";
 * import type { HttpDeps } from "./deps.ts";
 * const app = new Hono();
 * mountMetricsOff(declareRoutes(app, { auth: null } as unknown as HttpDeps));
 * if ((await app.request("/metrics")).status !== 404) throw new Error();
 * ```
 */
export function mountMetricsOff(routes: Routes): void {
  routes.get(
    "/metrics",
    METRICS,
    () => json({ error: "Metrics are off on this node (--metrics off)" }, 404),
  );
}
