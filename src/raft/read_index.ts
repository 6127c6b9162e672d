/**
 * ReadIndex on the leader (§6.4): a read takes the commit index once the
 * leader's first entry of its term has committed, then waits for one
 * heartbeat round a quorum acknowledges (shared by every read that arrived
 * meanwhile); the same rounds extend the leader's lease (§6.4.1).
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { isSoleVoter } from "./quorum.ts";
import type { EarlyRead, PendingRead } from "./read_only.ts";

/**
 * A read for `ctx` from `from` (this node or a follower) arrived at the
 * leader: held until its first commit, answered at once by the only
 * voter, or queued for the next heartbeat round.
 *
 * @example
 * ```ts
 * import { maybeCommit } from "./leader.ts";
 * import { leaderRead } from "./read_index.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * leaderRead(core, { ctx: 7, from: "n1" });
 * if (core.readStates.length !== 0) throw new Error("the commit index is not known yet");
 * core.log.stableTo(2, 2);
 * core.tracker.progressOf("n1").maybeUpdate(2);
 * maybeCommit(core);
 * if (core.readStates[0]?.ctx !== 7 || core.readStates[0].index !== 2) throw new Error();
 * ```
 */
export function leaderRead(core: Core, read: EarlyRead): void {
  assert(core.role === "leader", "only a leader serves ReadIndex");
  if (!core.committedInTerm && core.breaks.readIndexBeforeNoop !== true) {
    // §6.4 step 1: the leader's commit index is only known once its no-op commits.
    core.reads.waitForCommit(read);
    return;
  }
  if (isSoleVoter(core.conf.voters(), core.id)) {
    answerRead(core, { ...read, index: core.log.committed, seq: 0 });
    return;
  }
  core.reads.add(read, core.log.committed);
}

/**
 * Sends the next heartbeat round to every follower, learners too.
 *
 * @example
 * ```ts
 * import { broadcastHeartbeat } from "./read_index.ts";
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
 * broadcastHeartbeat(core);
 * const rounds = core.msgs.filter((m) => m.type === "hb").map((m) => m.seq);
 * if (rounds.join() !== "1,1") throw new Error();
 * ```
 */
export function broadcastHeartbeat(core: Core): void {
  assert(core.role === "leader", "only a leader sends heartbeats");
  const seq = core.reads.startRound(core.ticks);
  for (const [id, pr] of core.tracker.progress) {
    if (id === core.id) continue;
    const m = core.send("hb", id);
    m.commit = Math.min(pr.match, core.log.committed);
    m.seq = seq;
  }
  releaseReads(core);
}

/**
 * Answers every read whose round a quorum of voters acknowledged, and extends the lease.
 *
 * @example
 * ```ts
 * import { broadcastHeartbeat, releaseReads } from "./read_index.ts";
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
 * core.reads.add({ ctx: 7, from: "n1" }, 3);
 * broadcastHeartbeat(core);
 * core.tracker.progressOf("n2").ackedSeq = 1;
 * releaseReads(core);
 * if (core.readStates[0]?.ctx !== 7) throw new Error("a quorum confirmed round 1");
 * ```
 */
export function releaseReads(core: Core): void {
  const reads = core.reads;
  const confirmed = core.tracker.acknowledgedRound(core.conf.voters(), reads.lastRound());
  for (const read of reads.release(confirmed)) answerRead(core, read);
}

function answerRead(core: Core, read: PendingRead): void {
  if (read.from === core.id) {
    core.readStates.push({ ctx: read.ctx, index: read.index });
    return;
  }
  const m = core.send("readIndexResp", read.from);
  m.ctx = read.ctx;
  m.index = read.index;
}
