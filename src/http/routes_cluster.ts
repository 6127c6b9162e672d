/**
 * rafter's membership and status routes: `/join`, `/remove`, `/status`.
 *
 * @module
 */

import type { Hono } from "hono";
import type { JoinRequest } from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { checkAddress, checkNodeId, type Fields, optionalString, readFields } from "./input.ts";
import { json } from "./respond.ts";

/** Reads rafter's join fields: `id`, `addr` (raft) and optional `httpAddr`. */
export function rafterJoinRequest(fields: Fields): JoinRequest {
  const httpAddr = optionalString(fields, "httpAddr") ?? "";
  return {
    id: checkNodeId(optionalString(fields, "id"), "id"),
    raftAddr: checkAddress(optionalString(fields, "addr"), "addr"),
    httpAddr: httpAddr === "" ? "" : checkAddress(httpAddr, "httpAddr"),
  };
}

/** Adds a member and answers `{"id","index"}`. */
export async function joinMember(deps: HttpDeps, request: JoinRequest): Promise<Response> {
  return json(await deps.node.join(request));
}

/** Mounts `/join`, `/remove` and `/status` on `app`. */
export function mountClusterRoutes(app: Hono, deps: HttpDeps): void {
  app.on(["GET", "POST"], "/join", async (c) => {
    const { fields } = await readFields(c.req.raw, deps.limits);
    return await joinMember(deps, rafterJoinRequest(fields));
  });
  app.on(["GET", "POST"], "/remove", async (c) => {
    const { fields } = await readFields(c.req.raw, deps.limits);
    const id = checkNodeId(optionalString(fields, "id"), "id");
    const { index } = await deps.node.remove(id);
    return json({ id, index });
  });
  app.get("/status", (c) => c.json(deps.node.status()));
}
