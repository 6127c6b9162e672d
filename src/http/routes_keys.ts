/**
 * Prefix routes: `GET /keys` lists a page of keys in UTF-8 byte order at
 * one applied index; `DELETE /keys` deletes a prefix as one log entry (the
 * empty prefix, every key, only with `all=true`). Listing needs read on the
 * whole prefix, deleting write on it.
 *
 * @module
 */

import { needs, queryPrefix, readsPrefix } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import {
  badRequest,
  checkLevel,
  checkPrefix,
  type IntegerRange,
  queryBoolean,
  queryInteger,
} from "./input.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** Keys per page when `limit` is not given. */
export const SCAN_LIMIT_DEFAULT = 1000;
/** The largest `limit` accepted. */
export const SCAN_LIMIT_MAX = 10_000;
const LIMIT_RANGE: IntegerRange = { min: 1, max: SCAN_LIMIT_MAX };

const prefix = queryPrefix("prefix");

/** Mounts `/keys`. */
export function mountKeysRoutes(routes: Routes, deps: HttpDeps): void {
  routes.get("/keys", readsPrefix(prefix), async (c) => {
    const prefix = checkPrefix(c.req.query("prefix") ?? "", deps.limits);
    const after = checkPrefix(c.req.query("after") ?? "", deps.limits, "after");
    const limit = queryInteger(c.req.query("limit"), "limit", LIMIT_RANGE) ?? SCAN_LIMIT_DEFAULT;
    const keysOnly = queryBoolean(c.req.query("keysOnly"), "keysOnly");
    const level = checkLevel(c.req.query("level"), "default");
    return json(await dataOp(deps.node, "scan")({ prefix, after, limit, keysOnly }, level));
  });
  const deletes = needs((input) => ({ writePrefixes: [prefix(input)] }), { changes: true });
  routes.delete("/keys", deletes, async (c) => {
    const prefix = checkPrefix(c.req.query("prefix") ?? "", deps.limits);
    if (prefix === "" && !queryBoolean(c.req.query("all"), "all")) {
      throw badRequest('Refusing to delete every key: give a non-empty "prefix", or "all=true"');
    }
    return json(await dataOp(deps.node, "deletePrefix")(prefix));
  });
}
