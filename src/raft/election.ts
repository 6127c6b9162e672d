/**
 * Terms and elections (§3.4, §9.6, §4.2.3): which messages may raise the
 * term, how a vote request is answered, when a follower campaigns, and how
 * the votes are counted.
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { becomeLeader } from "./leader.ts";
import { findMember, isVoter } from "./membership.ts";
import { TERM_MAX } from "./limits.ts";
import { isSoleVoter } from "./quorum.ts";
import { type Message, NO_NODE } from "./types.ts";

/** `ctx` of a vote request sent because of a leadership transfer (§3.10). */
export const CAMPAIGN_TRANSFER = 1;

/**
 * How a node campaigns: a PreVote round first (§9.6), an election at once,
 * or an election a leadership transfer asked for, which overrides leases (§3.10).
 */
export type CampaignKind = "preVote" | "vote" | "transfer";

/**
 * A message from a higher term: moves to that term and returns true, or
 * returns false when the message must be ignored instead.
 *
 * @example
 * ```ts
 * import { acceptHigherTerm } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { newMessage } from "./message.ts";
 * import { createRng } from "./rng.ts";
 * const hardState = { term: 1, vote: "", commit: 0 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n2", entries: [] });
 * if (!acceptHigherTerm(core, newMessage("hb", "n1", "n2", 3))) throw new Error();
 * if (core.term !== 3 || core.lead !== "n1") throw new Error("follows the leader of term 3");
 * ```
 */
export function acceptHigherTerm(core: Core, m: Message): boolean {
  assert(m.term > core.term, `term ${m.term} is above ${core.term}`);
  if (m.type === "vote" || m.type === "preVote") {
    if (!mayRaiseTerm(core, m)) return false;
    // §4.2.3: while a follower hears from a leader it ignores vote requests,
    // so a removed or partitioned server cannot depose a working leader.
    // A node that just started may have acknowledged a leader before it
    // crashed: it waits one election timeout before voting, so that
    // leader's lease still holds (§6.4.1).
    const { checkQuorum, electionTicks } = core.config;
    const inLease = checkQuorum &&
      ((core.lead !== NO_NODE && core.electionElapsed < electionTicks) ||
        core.ticks < electionTicks);
    // A transfer (§3.10) overrides the lease only from a voter, for the term right after ours.
    const transfer = m.ctx === CAMPAIGN_TRANSFER && m.term === core.term + 1 &&
      core.isVoter(m.from);
    if (inLease && !transfer) return false;
    if (m.type === "preVote") return true;
    core.becomeFollower(m.term, NO_NODE);
    return true;
  }
  if (m.type === "preVoteResp" && !m.reject) return true;
  const fromLeader = m.type === "app" || m.type === "hb" || m.type === "snap";
  core.becomeFollower(m.term, fromLeader ? m.from : NO_NODE);
  return true;
}

/**
 * Whether a vote request may raise our term: a voter of our configuration
 * may. Anyone else (a stranger, a learner, a removed server) only with a
 * log ahead of ours: a voter added while this node was away, which the
 * cluster may need for a quorum. A node that knows no configuration yet
 * cannot tell, and has nothing a vote could disturb.
 */
function mayRaiseTerm(core: Core, m: Message): boolean {
  if (core.membership().length === 0 || core.isVoter(m.from)) return true;
  const lastTerm = core.log.lastTerm();
  return m.logTerm > lastTerm || (m.logTerm === lastTerm && m.index > core.log.lastIndex());
}

/**
 * A message from an older term: tell a stale leader or pre-candidate our term.
 *
 * @example
 * ```ts
 * import { answerStaleTerm } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { newMessage } from "./message.ts";
 * import { createRng } from "./rng.ts";
 * const hardState = { term: 5, vote: "", commit: 0 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n2", entries: [] });
 * answerStaleTerm(core, newMessage("app", "n1", "n2", 3));
 * if (core.msgs[0]?.type !== "appResp" || core.msgs[0].term !== 5) throw new Error();
 * ```
 */
export function answerStaleTerm(core: Core, m: Message): void {
  assert(m.term < core.term, `term ${m.term} is below ${core.term}`);
  if (m.type === "app" || m.type === "hb") {
    core.send("appResp", m.from);
  } else if (m.type === "preVote") {
    core.send("preVoteResp", m.from).reject = true;
  }
}

/**
 * Answers a vote or PreVote request of our term (or, for PreVote, a later one).
 *
 * @example
 * ```ts
 * import { handleVoteRequest } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { newMessage } from "./message.ts";
 * import { createRng } from "./rng.ts";
 * const hardState = { term: 2, vote: "", commit: 0 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n2", entries: [] });
 * handleVoteRequest(core, newMessage("vote", "n3", "n2", 2));
 * const reply = core.msgsAfterSync[0];
 * if (core.vote !== "n3" || reply?.type !== "voteResp" || reply.reject) throw new Error();
 * ```
 */
export function handleVoteRequest(core: Core, m: Message): void {
  assert(m.type === "vote" || m.type === "preVote", "a vote request");
  assert(m.term >= core.term, "a vote request of an older term was answered as stale");
  const pre = m.type === "preVote";
  const canVote = core.vote === m.from ||
    (core.vote === NO_NODE && core.lead === NO_NODE) ||
    (pre && m.term > core.term);
  // A node grants votes whatever its own configuration says: its latest
  // entry may be an uncommitted change the candidate's log replaced, and
  // refusing could leave the real configuration without a quorum. Only
  // the candidate's voters are counted, so learners never decide (§4.2.1).
  const upToDate = core.breaks.staleLogVotes === true || core.log.isUpToDate(m.index, m.logTerm);
  const grant = canVote && upToDate;
  // A granted vote promises a durable vote (§3.8): send it after the sync.
  const reply = core.sendAfterSync(pre ? "preVoteResp" : "voteResp", m.from);
  if (!grant) {
    reply.reject = true;
    return;
  }
  reply.term = m.term;
  if (!pre) {
    core.electionElapsed = 0;
    core.vote = m.from;
  }
}

/**
 * A tick of a follower or candidate: campaign once the election timeout
 * passes without a leader (at once for the only voter).
 *
 * @example
 * ```ts
 * import { tickElection } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const core = new Core({
 *   id: "n1", config: defaultConfig(), rng: createRng(1), hardState, snapshot: null, entries,
 * });
 * tickElection(core);
 * if (core.role !== "leader") throw new Error("the only voter needs nobody's vote");
 * ```
 */
export function tickElection(core: Core): void {
  assert(core.role !== "leader", "a leader ticks its heartbeats instead");
  core.electionElapsed++;
  // The only voter needs nobody's vote: it need not wait, unless another
  // leader may still hold a lease (one it hears from, or one of the
  // committed configuration, which the latest may not have replaced yet).
  const alone = core.lead === NO_NODE && isSoleVoter(core.conf.voters(), core.id) &&
    soleVoterAt(core, core.log.committed);
  if (!alone && core.electionElapsed < core.randomizedElectionTimeout) return;
  core.electionElapsed = 0;
  // A full timeout without the leader: it no longer vouches for a lease,
  // so vote requests are heard again (also for learners, who never campaign).
  core.lead = NO_NODE;
  campaign(core, core.config.preVote ? "preVote" : "vote");
}

function soleVoterAt(core: Core, index: number): boolean {
  const membership = core.conf.at(index);
  return isVoter(membership, core.id) && membership.filter((m) => m.voter).length === 1;
}

/**
 * Voters campaign; so does a server whose removal is still uncommitted
 * (§4.2.2): the remaining voters may need it to lead until the change
 * commits. Learners and servers whose removal committed never do.
 */
function promotable(core: Core): boolean {
  if (core.isVoter(core.id)) return true;
  if (findMember(core.membership(), core.id) !== undefined) return false;
  const lastChange = core.conf.lastChangeIndex();
  return lastChange > core.log.committed && isVoter(core.conf.at(lastChange - 1), core.id);
}

/**
 * Starts a campaign of `kind` (§3.4): a PreVote round (§9.6), an election,
 * or an election for a leadership transfer, whose requests override leases.
 *
 * @example
 * ```ts
 * import { campaign } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const core = new Core({
 *   id: "n1", config: defaultConfig(), rng: createRng(1), hardState, snapshot: null, entries,
 * });
 * campaign(core, "vote");
 * if (core.role !== "leader" || core.term !== 2) throw new Error();
 * ```
 */
export function campaign(core: Core, kind: CampaignKind): void {
  const preVote = kind === "preVote";
  if (!promotable(core)) return;
  if (core.pendingSnapshot !== null) return;
  // Unreachable unless the durable term is absurd: the driver refuses to start then.
  if (core.term + 1 >= TERM_MAX) return;
  if (preVote) core.becomePreCandidate();
  else core.becomeCandidate();
  assert(core.lead === NO_NODE, "a campaign follows nobody");
  core.tracker.recordVote(core.id, true);
  if (countVotes(core)) return;
  const type = preVote ? "preVote" : "vote";
  const term = preVote ? core.term + 1 : core.term;
  for (const id of core.conf.voters()) {
    if (id === core.id) continue;
    // A candidate's own vote must be durable before others are asked.
    const m = core.sendAfterSync(type, id);
    m.term = term;
    m.index = core.log.lastIndex();
    m.logTerm = core.log.lastTerm();
    m.ctx = kind === "transfer" ? CAMPAIGN_TRANSFER : 0;
  }
}

/**
 * Counts the votes; moves on when the election is won or lost. Returns true when decided.
 *
 * @example
 * ```ts
 * import { countVotes } from "./election.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const core = new Core({
 *   id: "n1", config: defaultConfig(), rng: createRng(1), hardState, snapshot: null, entries,
 * });
 * core.becomeCandidate();
 * core.tracker.recordVote("n1", true);
 * if (!countVotes(core) || core.role !== "leader") throw new Error();
 * ```
 */
export function countVotes(core: Core): boolean {
  assert(core.role === "candidate" || core.role === "preCandidate", "a campaign is on");
  const result = core.tracker.tally(core.conf.voters());
  if (result === "won") {
    if (core.role === "preCandidate") campaign(core, "vote");
    else becomeLeader(core);
    return true;
  }
  if (result === "lost") {
    core.becomeFollower(core.term, NO_NODE);
    return true;
  }
  return false;
}
