/**
 * The dashboard: `GET /ui` serves the page (see `src/ui/page.ts`) and
 * `GET /status/events` the live status it draws.
 *
 * @module
 */

import type { Hono } from "hono";
import { DASHBOARD_CSP, DASHBOARD_HTML } from "../ui/page.ts";
import type { HttpDeps } from "./deps.ts";
import { mountStatusFeed } from "./routes_status_feed.ts";

/** Mounts `/ui` and `/status/events` on `app`. */
export function mountUiRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/ui", () =>
    new Response(DASHBOARD_HTML, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": DASHBOARD_CSP,
        "cache-control": "no-store",
      },
    }));
  mountStatusFeed(app, deps);
}
