/**
 * Lease routes: `POST /lease` grants, `POST /lease/keepalive` restarts a
 * TTL on the leader, `GET /lease?id=` shows the TTL left and the attached
 * keys, `DELETE /lease?id=` revokes and deletes every attached key. On a
 * follower they answer 307 like writes.
 *
 * Granting and keeping alive need a write permission somewhere (a lease
 * touches no key until a write attaches one, which needs write on that key);
 * showing a lease needs read, and revoking it write, on every key attached
 * now, as the leader lists them (all keys when it lists only some).
 *
 * @module
 */

import type { LeaseInfo } from "../api.ts";
import type { Need } from "../auth/mod.ts";
import { type AccessInput, needs } from "./access.ts";
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
import type { Routes } from "./routes.ts";

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw badRequest(`Missing field "${name}"`);
  return value;
}

function queryId(text: string | undefined): number {
  return required(queryInteger(text, "id", POSITIVE_RANGE), "id");
}

/**
 * The keys a lease holds, as rights to ask for: each key, or every key
 * (`""`) when the leader lists only some of them.
 *
 * @example
 * ```ts
 * import { leaseKeys } from "./routes_lease.ts";
 * const info = { id: 7, ttlMs: 1, grantedTtlMs: 1, keys: ["a"], more: false };
 * if (leaseKeys(info, "read").readKeys?.join() !== "a") throw new Error();
 * if (leaseKeys({ ...info, more: true }, "write").writePrefixes?.join() !== "") throw new Error();
 * ```
 */
export function leaseKeys(info: LeaseInfo, right: "read" | "write"): Need {
  if (info.more) return right === "read" ? { readPrefixes: [""] } : { writePrefixes: [""] };
  return right === "read" ? { readKeys: info.keys } : { writeKeys: info.keys };
}

/** Mounts `/lease` and `/lease/keepalive`. */
export function mountLeaseRoutes(routes: Routes, deps: HttpDeps): void {
  const writer = needs(() => ({ anyWrite: true }), { changes: true });
  const attached = (right: "read" | "write") => async (input: AccessInput) => {
    const info = await dataOp(deps.node, "leaseInfo")(queryId(input.query("id")));
    return leaseKeys(info, right);
  };
  routes.post("/lease", writer, async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const ttlMs = required(optionalInteger(fields, "ttlMs", POSITIVE_RANGE), "ttlMs");
    return json(await dataOp(deps.node, "leaseGrant")(ttlMs));
  });
  routes.post("/lease/keepalive", writer, async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const id = required(optionalInteger(fields, "id", POSITIVE_RANGE), "id");
    return json(await dataOp(deps.node, "leaseKeepAlive")(id));
  });
  routes.get("/lease", needs(attached("read"), { changes: false }), async (c) => {
    return json(await dataOp(deps.node, "leaseInfo")(queryId(c.req.query("id"))));
  });
  routes.delete("/lease", needs(attached("write"), { changes: true }), async (c) => {
    return json(await dataOp(deps.node, "leaseRevoke")(queryId(c.req.query("id"))));
  });
}
