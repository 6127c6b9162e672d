/**
 * The operator's routes: `GET /snapshot` streams a backup of this node's
 * state machine at its applied index (any node, with or without a leader),
 * and `POST /transfer-leader?to=ID` hands leadership to a voter (the most
 * caught-up one without `to`) and answers once it leads. Both need the admin
 * permission: a backup holds every key, and a transfer changes the cluster.
 *
 * @module
 */

import { adminOnly } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import { checkNodeId, optionalString, readFields } from "./input.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/**
 * The response headers of `GET /snapshot` that say what the backup holds.
 *
 * @example
 * ```ts
 * import { SNAPSHOT_HEADERS } from "./routes_admin.ts";
 * if (SNAPSHOT_HEADERS.index !== "x-rafter-snapshot-index") throw new Error();
 * ```
 */
export const SNAPSHOT_HEADERS = {
  index: "x-rafter-snapshot-index",
  term: "x-rafter-snapshot-term",
  keys: "x-rafter-snapshot-keys",
} as const;

/** Mounts `/snapshot` and `/transfer-leader`. */
export function mountAdminRoutes(routes: Routes, deps: HttpDeps): void {
  routes.get("/snapshot", adminOnly({ changes: false }), () => {
    const backup = dataOp(deps.node, "backup")();
    return new Response(backup.body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="rafter-${backup.index}.backup"`,
        [SNAPSHOT_HEADERS.index]: String(backup.index),
        [SNAPSHOT_HEADERS.term]: String(backup.term),
        [SNAPSHOT_HEADERS.keys]: String(backup.keys),
      },
    });
  });
  routes.post("/transfer-leader", adminOnly({ changes: true }), async (c) => {
    const { fields } = await readFields(c.req.raw, deps.limits);
    const to = optionalString(fields, "to") ?? "";
    const target = to === "" ? "" : checkNodeId(to, "to");
    return json(await dataOp(deps.node, "handOffLeadership")(target));
  });
}
