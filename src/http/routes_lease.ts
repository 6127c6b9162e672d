/**
 * Lease routes: `POST /lease` grants, `POST /lease/keepalive` restarts a
 * TTL on the leader, `GET /lease?id=` shows the TTL left and the attached
 * keys, `DELETE /lease?id=` revokes and deletes every attached key. On a
 * follower they answer 307 like writes.
 *
 * @module
 */

import type { Hono } from "hono";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import {
  badRequest,
  optionalInteger,
  POSITIVE_RANGE,
  queryInteger,
  readJsonObject,
} from "./input.ts";
import { json } from "./respond.ts";

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw badRequest(`Missing field "${name}"`);
  return value;
}

function queryId(text: string | undefined): number {
  return required(queryInteger(text, "id", POSITIVE_RANGE), "id");
}

/** Mounts `/lease` and `/lease/keepalive` on `app`. */
export function mountLeaseRoutes(app: Hono, deps: HttpDeps): void {
  app.post("/lease", async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const ttlMs = required(optionalInteger(fields, "ttlMs", POSITIVE_RANGE), "ttlMs");
    return json(await dataOp(deps.node, "leaseGrant")(ttlMs));
  });
  app.post("/lease/keepalive", async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const id = required(optionalInteger(fields, "id", POSITIVE_RANGE), "id");
    return json(await dataOp(deps.node, "leaseKeepAlive")(id));
  });
  app.get(
    "/lease",
    async (c) => json(await dataOp(deps.node, "leaseInfo")(queryId(c.req.query("id")))),
  );
  app.delete("/lease", async (c) => {
    return json(await dataOp(deps.node, "leaseRevoke")(queryId(c.req.query("id"))));
  });
}
