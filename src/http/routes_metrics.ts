/**
 * `GET /metrics`: every metric in the Prometheus text format 0.0.4, rendered
 * only now.
 *
 * @module
 */

import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import { METRICS } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import type { Routes } from "./routes.ts";

/** Mounts `/metrics`: the admin, or a caller with the metrics permission. */
export function mountMetricsRoute(routes: Routes, deps: HttpDeps): void {
  routes.get("/metrics", METRICS, async () => {
    const text = await deps.metrics.registry.scrape();
    return new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  });
}
