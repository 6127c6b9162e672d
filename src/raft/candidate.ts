/**
 * The candidate's and pre-candidate's role (§3.4, §9.6): count the answers
 * to its requests, and follow a leader of its term as soon as one speaks.
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { countVotes } from "./election.ts";
import { stepFollower } from "./follower.ts";
import type { Message } from "./types.ts";

/**
 * A (pre-)candidate steps a message of its term; returns why it was dropped, or null.
 *
 * @example
 * ```ts
 * import { stepCandidate } from "./candidate.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { newMessage } from "./message.ts";
 * import { createRng } from "./rng.ts";
 * const hardState = { term: 1, vote: "", commit: 0 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries: [] });
 * core.becomeCandidate();
 * stepCandidate(core, newMessage("hb", "n2", "n1", core.term));
 * if (core.role !== "follower" || core.lead !== "n2") throw new Error("a leader of the term spoke");
 * ```
 */
export function stepCandidate(core: Core, m: Message): string | null {
  assert(core.role === "candidate" || core.role === "preCandidate", "a candidate steps");
  if (m.type === "app" || m.type === "hb" || m.type === "snap") {
    // A leader of our term exists (§3.4).
    core.becomeFollower(core.term, m.from);
    return stepFollower(core, m);
  }
  const answer = core.role === "preCandidate" ? "preVoteResp" : "voteResp";
  if (m.type === answer) {
    core.tracker.recordVote(m.from, !m.reject);
    countVotes(core);
  }
  return null;
}
