/**
 * Quorum arithmetic, written once: how many voters make a majority, the
 * highest value a majority has reached (the commit index, the acknowledged
 * heartbeat round), the outcome of an election, and CheckQuorum's count of
 * voters heard from (§6.2).
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { NodeId } from "./types.ts";

/** How an election stands once the votes so far are counted. */
export type VoteResult = "won" | "lost" | "pending";

/**
 * Voters that make a majority of `voterCount`.
 *
 * @example
 * ```ts
 * import { quorumSize } from "./quorum.ts";
 * if (quorumSize(3) !== 2 || quorumSize(4) !== 3 || quorumSize(1) !== 1) throw new Error();
 * ```
 */
export function quorumSize(voterCount: number): number {
  assert(Number.isSafeInteger(voterCount), "a voter count is an integer");
  assert(voterCount >= 0, "a voter count is not negative");
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest value that at least a quorum of `voters` has reached, where
 * `valueOf` gives each voter's value: the commit index when values are match
 * indexes (§3.6), the confirmed heartbeat round when they are acknowledged
 * rounds (§6.4). 0 when there are no voters.
 *
 * @example
 * ```ts
 * import { majorityValue } from "./quorum.ts";
 * const match = new Map([["n1", 9], ["n2", 7], ["n3", 4]]);
 * if (majorityValue(["n1", "n2", "n3"], (id) => match.get(id) ?? 0) !== 7) throw new Error();
 * ```
 */
export function majorityValue(voters: readonly NodeId[], valueOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const values = voters.map(valueOf).sort(descending);
  const value = values[quorumSize(voters.length) - 1];
  assert(value !== undefined, "a quorum is no larger than the voters");
  return value;
}

/**
 * Whether `votes` (voter id to granted or rejected) decide the election:
 * won once a quorum of `voters` granted, lost once a quorum rejected. Votes
 * of non-voters are not counted (§4.2.1).
 *
 * @example
 * ```ts
 * import { voteResult } from "./quorum.ts";
 * const voters = ["n1", "n2", "n3"];
 * if (voteResult(voters, new Map([["n1", true]])) !== "pending") throw new Error();
 * if (voteResult(voters, new Map([["n1", true], ["n3", true]])) !== "won") throw new Error();
 * if (voteResult(voters, new Map([["n2", false], ["n3", false]])) !== "lost") throw new Error();
 * ```
 */
export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const quorum = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  assert(granted + rejected <= voters.length, "each voter votes once");
  if (granted >= quorum) return "won";
  return rejected >= quorum ? "lost" : "pending";
}

/**
 * CheckQuorum (§6.2): true when at least a quorum of `voters` is active.
 *
 * @example
 * ```ts
 * import { quorumActive } from "./quorum.ts";
 * const heard = new Set(["n1", "n2"]);
 * if (!quorumActive(["n1", "n2", "n3"], (id) => heard.has(id))) throw new Error();
 * if (quorumActive(["n1", "n2", "n3"], (id) => id === "n1")) throw new Error();
 * ```
 */
export function quorumActive(
  voters: readonly NodeId[],
  isActive: (id: NodeId) => boolean,
): boolean {
  let active = 0;
  for (const id of voters) if (isActive(id)) active++;
  return active >= quorumSize(voters.length);
}

/**
 * True when `id` is the only voter: a quorum of one, which decides alone.
 *
 * @example
 * ```ts
 * import { isSoleVoter } from "./quorum.ts";
 * if (!isSoleVoter(["n1"], "n1") || isSoleVoter(["n1", "n2"], "n1")) throw new Error();
 * ```
 */
export function isSoleVoter(voters: readonly NodeId[], id: NodeId): boolean {
  return voters.length === 1 && voters[0] === id;
}

function descending(a: number, b: number): number {
  return b - a;
}
