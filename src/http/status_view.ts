/**
 * What `/status` shows to whom: the full status to the admin (and to
 * everyone with auth off), and to anyone else only what a client needs to
 * find the leader. Over HTTPS the leader's address is given as an
 * `https://` URL, so clients know to keep TLS.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";

/** The fields of `/status` open to callers without the admin permission. */
export interface MinimalStatus {
  id: string;
  role: NodeStatus["role"];
  term: number;
  leaderId: string;
  leaderHttpAddr: string;
}

/**
 * `addr` as clients should use it: `host:port` over HTTP, `https://host:port` over HTTPS.
 *
 * @example
 * ```ts
 * import { clientAddress } from "./status_view.ts";
 * if (clientAddress("n1:8001", "https") !== "https://n1:8001") throw new Error();
 * if (clientAddress("n1:8001", "http") !== "n1:8001" || clientAddress("", "https") !== "") throw new Error();
 * ```
 */
export function clientAddress(addr: string, scheme: "http" | "https"): string {
  return scheme === "https" && addr !== "" ? `https://${addr}` : addr;
}

/**
 * The minimal status: id, role, term, leader id and the leader's address.
 *
 * @example
 * ```ts
 * import { minimalStatus } from "./status_view.ts";
 * import type { NodeStatus } from "../api.ts";
 * const status = { id: "n2", role: "follower", term: 3, leaderId: "n1", leaderHttpAddr: "n1:8001", members: [] };
 * const view = minimalStatus(status as unknown as NodeStatus, "http");
 * if (Object.keys(view).join() !== "id,role,term,leaderId,leaderHttpAddr") throw new Error();
 * ```
 */
export function minimalStatus(status: NodeStatus, scheme: "http" | "https"): MinimalStatus {
  return {
    id: status.id,
    role: status.role,
    term: status.term,
    leaderId: status.leaderId,
    leaderHttpAddr: clientAddress(status.leaderHttpAddr, scheme),
  };
}
