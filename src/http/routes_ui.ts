/**
 * The dashboard: `GET /ui` serves the page (see `src/ui/page.ts`) and
 * `GET /status/events` the live status it draws.
 *
 * @module
 */

import { DASHBOARD_CSP, DASHBOARD_HTML } from "../ui/page.ts";
import { OPEN } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import type { Routes } from "./routes.ts";
import { mountStatusFeed } from "./routes_status_feed.ts";

/** Mounts `/ui` (open: the page holds no data) and `/status/events` (admin). */
export function mountUiRoutes(routes: Routes, deps: HttpDeps): void {
  routes.get("/ui", OPEN, () =>
    new Response(DASHBOARD_HTML, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": DASHBOARD_CSP,
        "cache-control": "no-store",
      },
    }));
  mountStatusFeed(routes, deps);
}
