/**
 * The put/get/delete dialect: `PUT /put` with `{"key","value"}`,
 * `DELETE /delete?key=K` and `POST /set/:key/:value`. Its `GET /get?key=K`
 * is the shared `/get` route (see `dialect_setget.ts`). The dialect comes
 * from a store where every node takes writes and its scripts do not follow
 * redirects, so a write sent to a follower is forwarded to the leader and the
 * leader's answer relayed (`forward.ts`).
 *
 * @module
 */

import { bodyKey, paramKey, queryKey, writesKey } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { writeOrForward } from "./forward.ts";
import { parseJsonObject, readBody } from "./input.ts";
import { deleteKey, putFields, putKey } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** The body of a forwarded request that carries none. */
const NO_BODY = new Uint8Array(0);

/** Mounts `/put`, `DELETE /delete` and `/set/:key/:value`: each needs write on its key. */
export function mountPutGetDialect(routes: Routes, deps: HttpDeps): void {
  routes.put("/put", writesKey(bodyKey("key")), async (c) => {
    const body = await readBody(c.req.raw, deps.limits.bodyBytesMax, deps.limits.bodyReadTimeoutMs);
    const fields = parseJsonObject(body);
    return await writeOrForward(c.req.raw, body, deps, async () => {
      return json(await putFields(deps, fields));
    });
  });
  routes.delete("/delete", writesKey(queryKey("key")), async (c) => {
    return await writeOrForward(c.req.raw, NO_BODY, deps, async () => {
      return json(await deleteKey(deps, c.req.query("key")));
    });
  });
  routes.post("/set/:key/:value", writesKey(paramKey("key")), async (c) => {
    return await writeOrForward(c.req.raw, NO_BODY, deps, async () => {
      return json(await putKey(deps, c.req.param("key"), c.req.param("value")));
    });
  });
}
