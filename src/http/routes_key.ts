/**
 * rafter's own key routes: `GET`, `POST` and `DELETE /key`.
 *
 * @module
 */

import type { Hono } from "hono";
import type { HttpDeps } from "./deps.ts";
import { checkKey, checkLevel, readJsonObject } from "./input.ts";
import { deleteKey, getRecord, putFields } from "./operations.ts";
import { json } from "./respond.ts";

/** Mounts `/key` on `app`. */
export function mountKeyRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/key", async (c) => {
    const key = checkKey(c.req.query("key"), deps.limits);
    const level = checkLevel(c.req.query("level"), "default");
    return json(await getRecord(deps, key, level));
  });
  app.post("/key", async (c) => {
    return json(await putFields(deps, await readJsonObject(c.req.raw, deps.limits)));
  });
  app.delete("/key", async (c) => json(await deleteKey(deps, c.req.query("key"))));
}
