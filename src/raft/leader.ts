/**
 * The leader's role: taking office with a no-op (§3.6.2), ticking
 * heartbeats and CheckQuorum (§6.2), stepping the followers' answers,
 * committing by counting entries of its own term, and handing leadership
 * over (§3.10).
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { isVoter } from "./membership.ts";
import type { Progress } from "./progress.ts";
import { appendOwn } from "./proposals.ts";
import { broadcastHeartbeat, leaderRead, releaseReads } from "./read_index.ts";
import { broadcastAppends, fillPipeline, sendAppend, sendTimeoutNow } from "./replication.ts";
import { type Message, NO_NODE, type NodeId } from "./types.ts";

const NO_OP = new Uint8Array(0);

/**
 * A candidate that won its election takes office, appending a no-op of its term.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * const noOp = core.log.entry(4);
 * if (core.role !== "leader" || noOp.term !== 2 || noOp.data.length !== 0) throw new Error();
 * ```
 */
export function becomeLeader(core: Core): void {
  assert(core.role === "candidate", "only a candidate becomes leader");
  core.role = "leader";
  core.lead = core.id;
  core.resetRoleState();
  const next = core.log.lastIndex() + 1;
  core.tracker.reset(core.membership(), next);
  const self = core.tracker.progressOf(core.id);
  self.maybeUpdate(core.log.stableIndex);
  self.becomeReplicate();
  // Conf changes wait until everything before the no-op commits (§4.1 fix).
  core.pendingConfIndex = core.log.lastIndex();
  core.heartbeatElapsed = core.config.heartbeatTicks;
  // §3.6.2 / §6.4: a no-op of the new term lets earlier entries commit.
  appendOwn(core, { type: "normal", data: NO_OP });
  assert(core.log.lastTerm() === core.term, "a new leader's log ends with its no-op");
}

/**
 * A leader's tick: CheckQuorum, abandoning a stalled transfer or snapshot, heartbeats.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader, tickLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * tickLeader(core);
 * if (core.msgs.filter((m) => m.type === "hb").length !== 2) throw new Error("one round");
 * ```
 */
export function tickLeader(core: Core): void {
  assert(core.role === "leader", "a leader ticks");
  const config = core.config;
  core.heartbeatElapsed++;
  core.electionElapsed++;
  if (core.electionElapsed >= config.electionTicks) {
    core.electionElapsed = 0;
    if (config.checkQuorum && !core.tracker.checkQuorum(core.conf.voters())) {
      core.becomeFollower(core.term, NO_NODE);
      return;
    }
  }
  if (core.leadTransferee !== NO_NODE && ++core.transferElapsed >= config.electionTicks) {
    // §3.10: a transfer that does not finish within an election timeout is abandoned.
    core.leadTransferee = NO_NODE;
  }
  for (const pr of core.tracker.progress.values()) {
    if (pr.state === "snapshot" && core.ticks - pr.snapshotTick > config.snapshotTimeoutTicks) {
      pr.becomeProbe();
    }
  }
  if (core.heartbeatElapsed >= config.heartbeatTicks) {
    core.heartbeatElapsed = 0;
    broadcastHeartbeat(core);
  }
}

/**
 * A leader steps a message of its term; returns why it was dropped, or null.
 *
 * @example
 * ```ts
 * import { newMessage } from "./message.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader, stepLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * const ack = newMessage("appResp", "n2", "n1", core.term);
 * ack.index = 4;
 * if (stepLeader(core, ack) !== null || core.tracker.progressOf("n2").match !== 4) {
 *   throw new Error();
 * }
 * ack.index = 5;
 * if (stepLeader(core, ack) === null) throw new Error("an index beyond the log is impossible");
 * ```
 */
export function stepLeader(core: Core, m: Message): string | null {
  assert(core.role === "leader", "a leader steps");
  if (m.type === "readIndex") {
    leaderRead(core, { ctx: m.ctx, from: m.from });
    return null;
  }
  const pr = core.tracker.progress.get(m.from);
  if (pr === undefined) return null;
  const impossible = impossibleResponse(core, m);
  if (impossible !== null) return impossible;
  pr.recentActive = true;
  pr.lastContactTick = core.ticks;
  if (m.type === "appResp") handleAppendResponse(core, m, pr);
  else if (m.type === "hbResp") handleHeartbeatResponse(core, m, pr);
  return null;
}

/**
 * Starts a leadership transfer to `target` (§3.10); returns why not, or null.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader, transferLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * if (transferLeader(core, "n9") === null) throw new Error("only to a voter");
 * if (transferLeader(core, "n2") !== null || core.leadTransferee !== "n2") throw new Error();
 * ```
 */
export function transferLeader(core: Core, target: NodeId): string | null {
  if (core.role !== "leader") return "Not the leader";
  if (target === core.id) return null;
  if (!core.isVoter(target)) return `Node id "${target}" is not a voter`;
  core.leadTransferee = target;
  core.transferElapsed = 0;
  const pr = core.tracker.progressOf(target);
  if (pr.match === core.log.lastIndex()) sendTimeoutNow(core, target);
  else sendAppend(core, target);
  return null;
}

/**
 * Sends what accumulated since the last `ready()`: one heartbeat round for reads, then appends.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader, flushLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * flushLeader(core);
 * if (core.msgs.filter((m) => m.type === "app").length !== 2) throw new Error("the no-op goes out");
 * ```
 */
export function flushLeader(core: Core): void {
  if (core.role !== "leader") return;
  if (core.reads.takeRoundWanted()) {
    core.heartbeatElapsed = 0;
    broadcastHeartbeat(core);
  }
  if (!core.needBroadcast) return;
  core.needBroadcast = false;
  broadcastAppends(core);
}

/**
 * Commits the highest index a quorum of voters stores, if it is of this
 * term (§3.6.2). A leader whose own stable index moved calls it too.
 *
 * @example
 * ```ts
 * import { maybeCommit } from "./leader.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * core.log.stableTo(2, 2);
 * core.tracker.progressOf("n1").maybeUpdate(2);
 * maybeCommit(core);
 * if (core.log.committed !== 2 || !core.committedInTerm) throw new Error();
 * ```
 */
export function maybeCommit(core: Core): void {
  assert(core.role === "leader", "only a leader commits by counting");
  const log = core.log;
  const quorumIndex = core.tracker.committedIndex(core.conf.voters());
  if (quorumIndex <= log.committed) return;
  // §3.6.2: only an entry of the leader's own term commits by counting replicas.
  const ownTerm = log.term(quorumIndex) === core.term;
  if (!ownTerm && core.breaks.commitByCounting !== true) return;
  log.commitTo(quorumIndex);
  assert(log.committed === quorumIndex, "the quorum's index is committed");
  core.needBroadcast = true;
  if (ownTerm && !core.committedInTerm) {
    core.committedInTerm = true;
    for (const read of core.reads.takeEarly()) leaderRead(core, read);
  }
  // §4.2.2: a leader that is not in the committed configuration steps down.
  if (!isVoter(core.conf.at(log.committed), core.id)) {
    core.becomeFollower(core.term, NO_NODE);
  }
}

/**
 * Why a response of this term cannot answer anything this leader sent, or
 * null: it names an index beyond our log or a heartbeat round never sent.
 */
function impossibleResponse(core: Core, m: Message): string | null {
  const last = core.log.lastIndex();
  if (m.type === "appResp" && m.index > last) {
    return `"${m.from}" answers for index ${m.index}, beyond the log's last ${last}`;
  }
  const round = core.reads.lastRound();
  if (m.type === "hbResp" && m.seq > round) {
    return `"${m.from}" acknowledges heartbeat round ${m.seq}, above the last sent ${round}`;
  }
  return null;
}

function handleAppendResponse(core: Core, m: Message, pr: Progress): void {
  if (m.reject) {
    const hintNext = hintToNext(core, m);
    if (pr.maybeDecrTo(m.index, hintNext)) sendAppend(core, m.from);
    return;
  }
  const moved = pr.maybeUpdate(m.index);
  assert(pr.match >= m.index, "an acknowledged index is matched");
  if (pr.state === "probe") pr.becomeReplicate();
  else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
  if (moved) maybeCommit(core);
  if (core.role !== "leader") return;
  fillPipeline(core, m.from);
  if (m.from === core.leadTransferee && pr.match === core.log.lastIndex()) {
    sendTimeoutNow(core, m.from);
  }
}

/** Fast backtracking: skip the follower's whole conflicting term at once. */
function hintToNext(core: Core, m: Message): number {
  if (m.logTerm > 0) {
    const last = core.log.lastIndexOfTerm(m.logTerm);
    if (last >= 0) return last + 1;
  }
  return m.hint > 0 ? m.hint : m.index;
}

function handleHeartbeatResponse(core: Core, m: Message, pr: Progress): void {
  if (m.seq > pr.ackedSeq) pr.ackedSeq = m.seq;
  if (pr.state === "probe") pr.probeSent = false;
  // A full window may hold lost messages: free a slot so the follower can be reached.
  if (pr.state === "replicate" && pr.isPaused()) pr.freeFirstInflight();
  // An empty append also probes a pipelined follower: if messages were
  // lost it rejects, and the leader falls back to probing from its hint.
  if (pr.match < core.log.lastIndex() || pr.sentCommit < core.log.committed) {
    sendAppend(core, m.from);
  }
  releaseReads(core);
}
