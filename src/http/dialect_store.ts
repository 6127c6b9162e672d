/**
 * The store dialect: `/store/:key` reads and deletes, `POST /store/` writes,
 * `/raft/join`, `/raft/remove` and `/raft/stats` manage the cluster. Answers
 * come in an envelope `{"data": ..., "message": "..."}`; errors stay
 * `{"error": "..."}` like everywhere else.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";
import { adminOnly, bodyKey, paramKey, readsKey, writesKey } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import {
  checkAddress,
  checkKey,
  checkNodeId,
  optionalString,
  readJsonObject,
  requiredString,
} from "./input.ts";
import { deleteKey, getRecord, putKey } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";
import { clientAddress } from "./status_view.ts";

function envelope(data: unknown, message: string): Response {
  return json({ data, message });
}

/** Node and raft statistics: raft's in the string-valued form such tools print. */
export function raftStats(status: NodeStatus, scheme: "http" | "https" = "http"): unknown {
  const self = status.members.find((member) => member.id === status.id);
  const role = status.role === "preCandidate" ? "candidate" : status.role;
  return {
    node: {
      id: status.id,
      clusterId: status.clusterId,
      raftAddr: self?.raftAddr ?? "",
      httpAddr: self?.httpAddr ?? "",
    },
    raft: {
      state: role[0]!.toUpperCase() + role.slice(1),
      term: String(status.term),
      leader_id: status.leaderId,
      leader_http_addr: clientAddress(status.leaderHttpAddr, scheme),
      commit_index: String(status.commitIndex),
      applied_index: String(status.appliedIndex),
      last_log_index: String(status.lastLogIndex),
      last_snapshot_index: String(status.snapshotIndex),
      num_peers: String(status.members.filter((m) => m.voter && m.id !== status.id).length),
      latest_configuration: status.members.map((member) => ({
        id: member.id,
        address: member.raftAddr,
        suffrage: member.voter ? "Voter" : "Nonvoter",
      })),
    },
  };
}

/** Mounts `/store` (read or write on the key) and `/raft` (admin only). */
export function mountStoreDialect(routes: Routes, deps: HttpDeps): void {
  routes.get("/store/:key", readsKey(paramKey("key")), async (c) => {
    const record = await getRecord(deps, checkKey(c.req.param("key"), deps.limits), "stale");
    return envelope({ key: record.key, value: record.value }, "success fetching data");
  });
  routes.post("/store", writesKey(bodyKey("key")), async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const value = requiredString(fields, "value");
    const { key } = await putKey(deps, requiredString(fields, "key"), value);
    return envelope({ key, value }, "success persisting data");
  });
  routes.delete("/store/:key", writesKey(paramKey("key")), async (c) => {
    const { key, deleted } = await deleteKey(deps, c.req.param("key"));
    return envelope({ key, deleted }, "success removing data");
  });
  routes.post("/raft/join", adminOnly({ changes: true }), async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const raftAddr = checkAddress(optionalString(fields, "raft_address"), "raft_address");
    const request = { id: checkNodeId(optionalString(fields, "node_id"), "node_id"), raftAddr };
    const { id, index } = await deps.node.join({ ...request, httpAddr: "" });
    return envelope({ id, raftAddr, index }, `node ${id} at ${raftAddr} joined successfully`);
  });
  routes.post("/raft/remove", adminOnly({ changes: true }), async (c) => {
    const fields = await readJsonObject(c.req.raw, deps.limits);
    const id = checkNodeId(optionalString(fields, "node_id"), "node_id");
    const raftAddr = optionalString(fields, "raft_address");
    if (raftAddr !== undefined) checkAddress(raftAddr, "raft_address");
    const { index } = await deps.node.remove(id);
    return envelope({ id, index }, `node ${id} removed successfully`);
  });
  routes.get("/raft/stats", adminOnly({ changes: false }), () => {
    return envelope(raftStats(deps.node.status(), deps.scheme), "here is the raft status");
  });
}
