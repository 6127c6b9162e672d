/**
 * The membership and status routes: `/join`, `/remove`, `/status`. `/join`
 * serves three APIs and tells them apart by their parameters: `peerAddress`
 * (proxying dialect: forwarded to the leader), `nodeid`/`nodeaddr`
 * (set/get dialect: 400 on a follower), else rafter's `id`/`addr`/`httpAddr`
 * (307 on a follower). `/join` needs the admin permission or a proof of the
 * cluster secret (`Rafter-Join-Proof`, what `--join` sends); `/remove` the admin.
 * `/status` is open: the admin gets rafter's full status plus the proxying
 * dialect's view of the cluster, everyone else the minimal status.
 *
 * @module
 */

import type { JoinRequest } from "../api.ts";
import { adminOnly, adminOrJoinProof, OPEN } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { isProxyJoin, proxyJoinRequest, proxyStatusView } from "./dialect_proxy.ts";
import { isSetGetJoin, joinOnLeaderOnly, setGetJoinRequest } from "./dialect_setget.ts";
import { writeOrForward } from "./forward.ts";
import { callerMay } from "./guard.ts";
import { checkAddress, checkNodeId, type Fields, optionalString, readFields } from "./input.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";
import { clientAddress, minimalStatus } from "./status_view.ts";

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

/** Mounts `/join`, `/remove` and `/status`. */
export function mountClusterRoutes(routes: Routes, deps: HttpDeps): void {
  routes.on(["GET", "POST"], "/join", adminOrJoinProof(), async (c) => {
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
  routes.on(["GET", "POST"], "/remove", adminOnly({ changes: true }), async (c) => {
    const { fields } = await readFields(c.req.raw, deps.limits);
    const id = checkNodeId(optionalString(fields, "id"), "id");
    const { index } = await deps.node.remove(id);
    return json({ id, index });
  });
  routes.get("/status", OPEN, (c) => {
    const status = deps.node.status();
    if (!callerMay(c, deps, { admin: true })) return json(minimalStatus(status, deps.scheme));
    const leaderHttpAddr = clientAddress(status.leaderHttpAddr, deps.scheme);
    return json({ ...status, leaderHttpAddr, ...proxyStatusView(status) });
  });
}
