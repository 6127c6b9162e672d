/**
 * rafter's own key routes: `GET`, `POST` and `DELETE /key`. A `POST` with
 * `prevIndex`, `lease` or `ttlMs`, and a `DELETE` with `prevIndex`, go to
 * the node's conditional operations; without them they are the plain write
 * every dialect shares.
 *
 * @module
 */

import type { PutOptions } from "../api.ts";
import { bodyKey, queryKey, readsKey, writesKey } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import { getByQuery } from "./handlers.ts";
import {
  badRequest,
  checkKey,
  checkValue,
  type Fields,
  INDEX_RANGE,
  optionalInteger,
  POSITIVE_RANGE,
  queryInteger,
  readJsonObject,
  requiredString,
} from "./input.ts";
import { deleteKey, putFields } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/**
 * The `prevIndex`, `lease` and `ttlMs` fields of a put, validated.
 *
 * @example
 * ```ts
 * import { putOptions } from "./routes_key.ts";
 * if (putOptions({ key: "k", prevIndex: 0 }).prevIndex !== 0) throw new Error();
 * if (Object.keys(putOptions({ key: "k" })).length !== 0) throw new Error();
 * ```
 */
export function putOptions(fields: Fields): PutOptions {
  const prevIndex = optionalInteger(fields, "prevIndex", INDEX_RANGE);
  const lease = optionalInteger(fields, "lease", POSITIVE_RANGE);
  const ttlMs = optionalInteger(fields, "ttlMs", POSITIVE_RANGE);
  if (lease !== undefined && ttlMs !== undefined) {
    throw badRequest('Give "lease" or "ttlMs", not both');
  }
  const options: PutOptions = {};
  if (prevIndex !== undefined) options.prevIndex = prevIndex;
  if (lease !== undefined) options.lease = lease;
  if (ttlMs !== undefined) options.ttlMs = ttlMs;
  return options;
}

/** Mounts `/key`: reading needs read on the key; writing, CAS and deleting write on it. */
export function mountKeyRoutes(routes: Routes, deps: HttpDeps): void {
  routes.get("/key", readsKey(queryKey("key")), getByQuery(deps, "default"));
  routes.post("/key", writesKey(bodyKey("key")), async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const options = putOptions(fields);
    if (Object.keys(options).length === 0) return json(await putFields(deps, fields));
    const key = checkKey(requiredString(fields, "key"), deps.limits);
    const value = checkValue(requiredString(fields, "value"), deps.limits);
    const { index, lease } = await dataOp(deps.node, "putValue")(key, value, options);
    return json({ key, index, ...(lease === undefined ? {} : { lease }) });
  });
  routes.delete("/key", writesKey(queryKey("key")), async (c) => {
    const prevIndex = queryInteger(c.req.query("prevIndex"), "prevIndex", INDEX_RANGE);
    if (prevIndex === undefined) return json(await deleteKey(deps, c.req.query("key")));
    const key = checkKey(c.req.query("key"), deps.limits);
    const { deleted, index } = await dataOp(deps.node, "deleteValue")(key, { prevIndex });
    return json({ key, deleted, index });
  });
}
