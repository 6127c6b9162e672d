/**
 * The membership and status routes: `/join`, `/remove`, `/status`. `/join`
 * serves three APIs and tells them apart by their parameters: `peerAddress`
 * (proxying dialect: forwarded to the leader), `nodeid`/`nodeaddr`
 * (set/get dialect: 400 on a follower), else rafter's `id`/`addr`/`httpAddr`
 * (307 on a follower). `/status` is rafter's status plus the proxying
 * dialect's view of the cluster.
 *
 * @module
 */

import type { Hono } from "hono";
import type { JoinRequest } from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { isProxyJoin, proxyJoinRequest, proxyStatusView } from "./dialect_proxy.ts";
import { isSetGetJoin, joinOnLeaderOnly, setGetJoinRequest } from "./dialect_setget.ts";
import { writeOrForward } from "./forward.ts";
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
    const { fields, body } = await readFields(c.req.raw, deps.limits);
    if (isProxyJoin(fields)) {
      const request = proxyJoinRequest(fields);
      return await writeOrForward(c.req.raw, body, deps, () => joinMember(deps, request));
    }
    if (isSetGetJoin(fields)) {
      return await joinOnLeaderOnly(joinMember(deps, setGetJoinRequest(fields)));
    }
    return await joinMember(deps, rafterJoinRequest(fields));
  });
  app.on(["GET", "POST"], "/remove", async (c) => {
    const { fields } = await readFields(c.req.raw, deps.limits);
    const id = checkNodeId(optionalString(fields, "id"), "id");
    const { index } = await deps.node.remove(id);
    return json({ id, index });
  });
  app.get("/status", () => {
    const status = deps.node.status();
    return json({ ...status, ...proxyStatusView(status) });
  });
}
