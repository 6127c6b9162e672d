/**
 * `GET /metrics`: every metric in the Prometheus text format 0.0.4, rendered
 * only now.
 *
 * @module
 */

import type { Hono } from "hono";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import type { HttpDeps } from "./deps.ts";

/** Mounts `/metrics` on `app`. */
export function mountMetricsRoute(app: Hono, deps: HttpDeps): void {
  app.get("/metrics", async () => {
    const text = await deps.metrics.registry.scrape();
    return new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  });
}
