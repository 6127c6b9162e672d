/**
 * The set/get/join dialect: `POST /set` with `{"key","value","action"}`,
 * `GET /get?key=K`, `POST /join?nodeid=ID&nodeaddr=ADDR` (parsed here,
 * served by the one `/join` route).
 *
 * `/set` is also the proxying dialect's write and `/get` the read of the
 * put/get/delete and proxying dialects: one handler each serves them all.
 * `/set` forwards a follower's write to the leader (what the proxying
 * dialect promises, and what set/get clients need since they cannot follow
 * a redirect) and answers 500 when the write fails, as set/get clients expect.
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";
import { type JoinRequest, NotLeaderError, RejectedError, UnavailableError } from "../api.ts";
import { bodyKey, queryKey, readsKey, writesKey } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { writeOrForward } from "./forward.ts";
import { getByQuery } from "./handlers.ts";
import {
  badRequest,
  checkAddress,
  checkNodeId,
  type Fields,
  optionalString,
  parseJsonObject,
  readBody,
} from "./input.ts";
import { deleteFields, putFields } from "./operations.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** True when `fields` use this dialect's join parameters. */
export function isSetGetJoin(fields: Fields): boolean {
  return fields.nodeid !== undefined || fields.nodeaddr !== undefined;
}

/** Reads `nodeid` and `nodeaddr` (the raft address). */
export function setGetJoinRequest(fields: Fields): JoinRequest {
  return {
    id: checkNodeId(optionalString(fields, "nodeid"), "nodeid"),
    raftAddr: checkAddress(optionalString(fields, "nodeaddr"), "nodeaddr"),
    httpAddr: "",
  };
}

/** This dialect answers a join sent to a follower with 400, not a redirect. */
export async function joinOnLeaderOnly(join: Promise<Response>): Promise<Response> {
  try {
    return await join;
  } catch (error) {
    if (!(error instanceof NotLeaderError)) throw error;
    const where = error.leaderHttpAddr === "" ? "no leader is known" : error.message;
    throw new RejectedError(`Cannot join: this node is not the leader (${where})`);
  }
}

/** A write that could not be made (no leader, no quorum, forwarding failed) becomes a 500. */
async function failuresAs500(write: Promise<Response>): Promise<Response> {
  try {
    return await write;
  } catch (error) {
    if (!(error instanceof NotLeaderError) && !(error instanceof UnavailableError)) throw error;
    throw new HTTPException(500, { message: `Write failed: ${error.message}` });
  }
}

/** Mounts `POST /set` (write on the key, whatever the action) and `GET /get` (read on it). */
export function mountSetGetDialect(routes: Routes, deps: HttpDeps): void {
  routes.post("/set", writesKey(bodyKey("key")), async (c) => {
    const body = await readBody(c.req.raw, deps.limits.bodyBytesMax, deps.limits.bodyReadTimeoutMs);
    const fields = parseJsonObject(body);
    const action = optionalString(fields, "action") ?? "set";
    if (action !== "set" && action !== "delete") {
      throw badRequest(`Invalid action "${action}": expected set or delete`);
    }
    const write = action === "set" ? putFields : deleteFields;
    return await failuresAs500(
      writeOrForward(c.req.raw, body, deps, async () => json(await write(deps, fields))),
    );
  });
  routes.get("/get", readsKey(queryKey("key")), getByQuery(deps, "stale"));
}
