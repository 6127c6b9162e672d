/**
 * Reading an election or a step-down out of two successive core states, for
 * the operator's log: whether a campaign began and why, and why a leader
 * stopped leading. The driver reports states only when they change, once
 * per turn, so a campaign is recognised by the role it lands in.
 *
 * @module
 */

import type { CoreState } from "./driver_options.ts";

/** What else the node saw since the last state it reported. */
export interface SeenSince {
  /** The core accepted a `timeoutNow` (§3.10): a leadership transfer asked for this campaign. */
  transferAsked: boolean;
  /** A membership change removing this node applied. */
  removed: boolean;
}

/** A campaign that began: the term it asks for and why. */
export interface CampaignStart {
  term: number;
  reason: string;
}

/**
 * The campaign that began between `before` and `now`, or null. A PreVote
 * round (§9.6) asks for the next term; the election it wins continues the
 * same campaign and is not reported again. A node that leads straight from
 * following is the only voter: it needed nobody's vote.
 *
 * @example
 * ```ts
 * import { campaignStarted } from "./role_changes.ts";
 * const seen = { transferAsked: false, removed: false };
 * const before = { role: "follower", term: 4, lead: "n2" } as const;
 * const start = campaignStarted({ role: "preCandidate", term: 4, lead: "" }, before, seen);
 * if (start?.term !== 5 || start.reason !== "election timeout") throw new Error();
 * if (campaignStarted({ role: "candidate", term: 5, lead: "" }, { role: "preCandidate", term: 4, lead: "" }, seen) !== null) throw new Error();
 * ```
 */
export function campaignStarted(
  now: CoreState,
  before: CoreState,
  seen: SeenSince,
): CampaignStart | null {
  const reason = seen.transferAsked ? "leadership transfer" : "election timeout";
  switch (now.role) {
    case "preCandidate":
      return before.role === "preCandidate" ? null : { term: now.term + 1, reason };
    case "candidate":
      return before.role === "preCandidate" ? null : { term: now.term, reason };
    case "leader":
      return before.role === "follower" ? { term: now.term, reason: "only voter" } : null;
    case "follower":
      return null;
  }
}

/**
 * Why this node stopped leading between `before` and `now`, or null when it
 * did not: a higher term (another campaign, a transfer it handed over),
 * its own removal (§4.2.2), or otherwise losing touch with a quorum within
 * an election timeout (CheckQuorum, §6.2).
 *
 * @example
 * ```ts
 * import { stepDownReason } from "./role_changes.ts";
 * const seen = { transferAsked: false, removed: false };
 * const leader = { role: "leader", term: 3, lead: "n1" } as const;
 * if (stepDownReason({ role: "follower", term: 3, lead: "" }, leader, seen) !== "lost quorum") throw new Error();
 * if (stepDownReason({ role: "follower", term: 4, lead: "" }, leader, seen) !== "higher term") throw new Error();
 * ```
 */
export function stepDownReason(now: CoreState, before: CoreState, seen: SeenSince): string | null {
  if (before.role !== "leader" || now.role === "leader") return null;
  if (seen.removed) return "removed from the cluster";
  if (now.term > before.term) return "higher term";
  return "lost quorum";
}
