/**
 * The put/get/delete dialect: `PUT /put` with `{"key","value"}`,
 * `DELETE /delete?key=K` and `POST /set/:key/:value`. Its `GET /get?key=K`
 * is the shared `/get` route (see `dialect_setget.ts`). A write sent to a
 * follower is redirected (307) like rafter's own.
 *
 * @module
 */

import { bodyKey, paramKey, queryKey, writesKey } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { deleteByQuery, putJson } from "./handlers.ts";
import { putKey } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** Mounts `/put`, `DELETE /delete` and `/set/:key/:value`: each needs write on its key. */
export function mountPutGetDialect(routes: Routes, deps: HttpDeps): void {
  routes.put("/put", writesKey(bodyKey("key")), putJson(deps));
  routes.delete("/delete", writesKey(queryKey("key")), deleteByQuery(deps));
  routes.post("/set/:key/:value", writesKey(paramKey("key")), async (c) => {
    return json(await putKey(deps, c.req.param("key"), c.req.param("value")));
  });
}
