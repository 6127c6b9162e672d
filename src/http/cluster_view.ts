/**
 * Every member as the dashboard shows it: this node's status plus each
 * other member's `/status`, fetched with a short time limit, so each row has
 * role, term, commit and applied index, and the leader's view of its match
 * index, lag and last contact. A member that does not answer is unreachable.
 *
 * @module
 */

import type { MemberStatus, NodeStatus } from "../api.ts";
import type { Role } from "../raft/types.ts";

/** One member in the dashboard. */
export interface MemberView {
  id: string;
  voter: boolean;
  raftAddr: string;
  httpAddr: string;
  /** The member this page talks to. */
  self: boolean;
  /** It answered `/status` just now. */
  reachable: boolean;
  role: Role | "unknown";
  term: number;
  commitIndex: number;
  appliedIndex: number;
  /** The leader's match index for it; -1 when the leader's view is not known. */
  matchIndex: number;
  /** Entries it has yet to apply of what the leader committed; -1 when unknown. */
  lagEntries: number;
  /** Milliseconds since the leader heard from it; -1 when unknown. */
  lastContactMs: number;
}

/** How peers are asked. */
export interface PeerFetch {
  fetch: typeof fetch;
  /** Time one member may take to answer. */
  timeoutMs: number;
  /** Sent on to the members (the dashboard's token). */
  authorization: string | null;
  /** The scheme the members serve on (`http` unless given). */
  scheme?: "http" | "https";
}

async function fetchStatus(member: MemberStatus, peer: PeerFetch): Promise<NodeStatus | null> {
  if (member.httpAddr === "") return null;
  try {
    const headers: Record<string, string> = {};
    if (peer.authorization !== null) headers.authorization = peer.authorization;
    const response = await peer.fetch(`${peer.scheme ?? "http"}://${member.httpAddr}/status`, {
      headers,
      signal: AbortSignal.timeout(peer.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return await response.json() as NodeStatus;
  } catch {
    return null;
  }
}

/**
 * The members of `status` with what each reports of itself and the leader reports of it.
 *
 * @example
 * ```ts
 * import { memberViews } from "./cluster_view.ts";
 * import type { NodeStatus } from "../api.ts";
 * const me = { id: "n2", role: "follower", leaderId: "n1", commitIndex: 9, appliedIndex: 9,
 *   members: [{ id: "n1" }, { id: "n2" }] } as NodeStatus;
 * const rows = memberViews(me, new Map([["n2", me]]));
 * if (rows[0]!.reachable || !rows[1]!.self || rows[1]!.lagEntries !== -1) throw new Error();
 * ```
 */
export function memberViews(status: NodeStatus, statuses: Map<string, NodeStatus>): MemberView[] {
  const leader = statuses.get(status.leaderId);
  const leaderView = new Map(
    (leader?.role === "leader" ? leader.members : []).map((m) => [m.id, m]),
  );
  return status.members.map((member) => {
    const own = statuses.get(member.id);
    const seen = leaderView.get(member.id);
    const applied = own?.appliedIndex ?? -1;
    const known = leader !== undefined && own !== undefined;
    return {
      id: member.id,
      voter: member.voter,
      raftAddr: member.raftAddr,
      httpAddr: member.httpAddr,
      self: member.id === status.id,
      reachable: own !== undefined,
      role: own?.role ?? "unknown",
      term: own?.term ?? 0,
      commitIndex: own?.commitIndex ?? 0,
      appliedIndex: Math.max(0, applied),
      matchIndex: seen?.matchIndex ?? -1,
      lagEntries: known ? Math.max(0, leader.commitIndex - applied) : -1,
      lastContactMs: member.id === status.leaderId ? 0 : seen?.lastContactMs ?? -1,
    };
  });
}

/**
 * Asks every other member for its status (in parallel, each within
 * `peer.timeoutMs`) and builds the rows.
 *
 * @example
 * ```ts
 * import { clusterView } from "./cluster_view.ts";
 * import type { NodeStatus } from "../api.ts";
 * const me = { id: "n1", role: "leader", leaderId: "n1", term: 2, commitIndex: 5, appliedIndex: 5,
 *   members: [{ id: "n1", voter: true, raftAddr: "", httpAddr: "", matchIndex: 5, lastContactMs: 0 }] };
 * const rows = await clusterView(me as NodeStatus, { fetch, timeoutMs: 100, authorization: null });
 * if (rows.length !== 1 || !rows[0]!.reachable || rows[0]!.lagEntries !== 0) throw new Error();
 * ```
 */
export async function clusterView(status: NodeStatus, peer: PeerFetch): Promise<MemberView[]> {
  const statuses = new Map<string, NodeStatus>([[status.id, status]]);
  const others = status.members.filter((m) => m.id !== status.id);
  const answers = await Promise.all(others.map((m) => fetchStatus(m, peer)));
  others.forEach((member, i) => {
    const answer = answers[i];
    if (answer !== null && answer !== undefined && answer.id === member.id) {
      statuses.set(member.id, answer);
    }
  });
  return memberViews(status, statuses);
}
