/**
 * The put/get/delete dialect: `PUT /put` with `{"key","value"}`,
 * `DELETE /delete?key=K` and `POST /set/:key/:value`. Its `GET /get?key=K`
 * is the shared `/get` route (see `dialect_setget.ts`). A write sent to a
 * follower is redirected (307) like rafter's own.
 *
 * @module
 */

import type { Hono } from "hono";
import type { HttpDeps } from "./deps.ts";
import { deleteByQuery, putJson } from "./handlers.ts";
import { putKey } from "./operations.ts";
import { json } from "./respond.ts";

/** Mounts `/put`, `DELETE /delete` and `/set/:key/:value` on `app`. */
export function mountPutGetDialect(app: Hono, deps: HttpDeps): void {
  app.put("/put", putJson(deps));
  app.delete("/delete", deleteByQuery(deps));
  app.post("/set/:key/:value", async (c) => {
    return json(await putKey(deps, c.req.param("key"), c.req.param("value")));
  });
}
