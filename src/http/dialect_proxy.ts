/**
 * The proxying dialect: `POST /set` (the shared route), `GET /get` (shared),
 * `POST /delete` with `{"key"}`, `GET /join?peerAddress=ADDR` (parsed here,
 * served by the one `/join` route) and `GET /status` (rafter's status plus
 * the `me`/`leader`/`followers` view built here). Its writes reaching a
 * follower are forwarded to the leader and answered from there.
 *
 * @module
 */

import type { JoinRequest, MemberStatus, NodeStatus } from "../api.ts";
import { bodyKey, writesKey } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { writeOrForward } from "./forward.ts";
import { checkAddress, type Fields, optionalString, parseJsonObject, readBody } from "./input.ts";
import { deleteFields } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** True when `fields` use this dialect's join parameter. */
export function isProxyJoin(fields: Fields): boolean {
  return fields.peerAddress !== undefined;
}

/** Reads `peerAddress` (the raft address); the node learns the id from the handshake. */
export function proxyJoinRequest(fields: Fields): JoinRequest {
  return {
    id: "",
    raftAddr: checkAddress(optionalString(fields, "peerAddress"), "peerAddress"),
    httpAddr: "",
  };
}

interface Peer {
  id: string;
  address: string;
  httpAddress: string;
}

function peer(member: MemberStatus | undefined): Peer {
  return {
    id: member?.id ?? "",
    address: member?.raftAddr ?? "",
    httpAddress: member?.httpAddr ?? "",
  };
}

/** This dialect's view of the cluster: this node, the leader and the followers. */
export function proxyStatusView(status: NodeStatus): { me: Peer; leader: Peer; followers: Peer[] } {
  const find = (id: string) => status.members.find((member) => member.id === id);
  const followers = status.members.filter((member) => member.id !== status.leaderId);
  return {
    me: peer(find(status.id)),
    leader: peer(status.leaderId === "" ? undefined : find(status.leaderId)),
    followers: followers.map(peer),
  };
}

/** Mounts `POST /delete`: it needs write on the key. */
export function mountProxyDialect(routes: Routes, deps: HttpDeps): void {
  routes.post("/delete", writesKey(bodyKey("key")), async (c) => {
    const body = await readBody(c.req.raw, deps.limits.bodyBytesMax, deps.limits.bodyReadTimeoutMs);
    const fields = parseJsonObject(body);
    return await writeOrForward(c.req.raw, body, deps, async () => {
      return json(await deleteFields(deps, fields));
    });
  });
}
