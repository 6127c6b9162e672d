/**
 * rafter's own key routes: `GET`, `POST` and `DELETE /key`.
 *
 * @module
 */

import type { Hono } from "hono";
import type { HttpDeps } from "./deps.ts";
import { deleteByQuery, getByQuery, putJson } from "./handlers.ts";

/** Mounts `/key` on `app`. */
export function mountKeyRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/key", getByQuery(deps, "default"));
  app.post("/key", putJson(deps));
  app.delete("/key", deleteByQuery(deps));
}
