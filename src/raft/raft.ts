/**
 * The Raft consensus protocol as a deterministic state machine, after Diego
 * Ongaro's dissertation "Consensus: Bridging Theory and Practice" (sections
 * cited as §). No I/O, no clock, no global randomness: time is `tick()`,
 * input is `step()` and the API calls, output is collected and handed out by
 * `ready()`. This file is the public face; each role steps in its own file.
 *
 * @module
 */

import { assert } from "./assert.ts";
import { stepCandidate } from "./candidate.ts";
import { Core, type RaftOptions } from "./core.ts";
import { acceptHigherTerm, answerStaleTerm, handleVoteRequest, tickElection } from "./election.ts";
import { stepFollower } from "./follower.ts";
import { checkCoreInvariants } from "./invariants.ts";
import { flushLeader, maybeCommit, stepLeader, tickLeader, transferLeader } from "./leader.ts";
import { encodeConfChange } from "./membership.ts";
import { checkMessage } from "./message_check.ts";
import { propose, proposeConfChange, type ProposeResult } from "./proposals.ts";
import { leaderRead } from "./read_index.ts";
import type { RaftLog } from "./raft_log.ts";
import {
  type ConfChange,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  NO_NODE,
  type NodeId,
  type Ready,
  type Role,
  type SnapshotMeta,
} from "./types.ts";

export type { CoreBreaks, RaftOptions } from "./core.ts";
export type { ProposeError, ProposeResult } from "./proposals.ts";

/** A member's replication state as the leader sees it. */
export interface ProgressStatus {
  id: NodeId;
  match: number;
  next: number;
  state: string;
  lastContactTick: number;
}

/** How each role steps a message of its own term: becoming a role swaps the function. */
const STEP_BY_ROLE: Readonly<Record<Role, (core: Core, m: Message) => string | null>> = {
  follower: stepFollower,
  preCandidate: stepCandidate,
  candidate: stepCandidate,
  leader: stepLeader,
};

/** How each role spends a tick. */
const TICK_BY_ROLE: Readonly<Record<Role, (core: Core) => void>> = {
  follower: tickElection,
  preCandidate: tickElection,
  candidate: tickElection,
  leader: tickLeader,
};

/**
 * The initial durable state of a node that bootstraps a new one-member cluster.
 *
 * @example
 * ```ts
 * import { bootstrapState } from "./raft.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * if (hardState.commit !== 1 || entries[0]?.type !== "conf") throw new Error();
 * ```
 */
export function bootstrapState(self: { id: NodeId; raftAddr: string; httpAddr: string }): {
  hardState: HardState;
  entries: Entry[];
} {
  const change: ConfChange = { op: "addVoter", ...self };
  const entry: Entry = { index: 1, term: 1, type: "conf", data: encodeConfChange(change) };
  return { hardState: { term: 1, vote: NO_NODE, commit: 1 }, entries: [entry] };
}

/**
 * One Raft node's protocol state.
 *
 * @example
 * ```ts
 * import { bootstrapState, RaftNode } from "./raft.ts";
 * import { defaultConfig } from "./config.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const node = new RaftNode({
 *   id: "n1", config: defaultConfig(), rng: createRng(1), hardState, snapshot: null, entries,
 * });
 * while (node.state().role !== "leader") node.tick();
 * const rd = node.ready();
 * node.advance(rd);
 * node.checkInvariants();
 * if (!node.propose(new TextEncoder().encode("x")).ok) throw new Error("a leader accepts");
 * ```
 */
export class RaftNode {
  readonly id: NodeId;
  readonly log: RaftLog;
  private readonly core: Core;
  private prevHardState: HardState;
  /** The last committed index handed out to apply, by `ready()` or `takeCommitted()`. */
  private handedOutTo: number;

  /** Restores a node from its durable state. */
  constructor(options: RaftOptions) {
    this.core = new Core(options);
    this.id = this.core.id;
    this.log = this.core.log;
    this.prevHardState = { ...options.hardState };
    this.handedOutTo = this.log.applied;
  }

  /** Advances logical time by one tick. */
  tick(): void {
    this.core.ticks++;
    TICK_BY_ROLE[this.core.role](this.core);
  }

  /**
   * Feeds one message from a peer. Returns null when the message was stepped
   * (or ignored by a rule of the protocol), or why it was dropped: a message
   * no correct peer sends, such as a number out of range or an
   * acknowledgement of an entry this leader never had. Input from the
   * network is checked here, never asserted.
   */
  step(m: Message): string | null {
    const core = this.core;
    const invalid = checkMessage(m) ?? (m.to === core.id ? null : `addressed to "${m.to}"`);
    if (invalid !== null) return invalid;
    if (m.term > core.term) {
      if (!acceptHigherTerm(core, m)) return null;
    } else if (m.term < core.term) {
      answerStaleTerm(core, m);
      return null;
    }
    if (m.type === "vote" || m.type === "preVote") {
      handleVoteRequest(core, m);
      return null;
    }
    return STEP_BY_ROLE[core.role](core, m);
  }

  /** Appends a client command; only a leader accepts. */
  propose(data: Uint8Array): ProposeResult {
    return propose(this.core, data);
  }

  /** Proposes a membership change (§4.1): one at a time, after an entry of this term committed. */
  proposeConfChange(change: ConfChange): ProposeResult {
    return proposeConfChange(this.core, change);
  }

  /**
   * Asks for a read index (§6.4). On the leader the read is confirmed by one
   * heartbeat round shared by every read that arrived meanwhile; a follower
   * forwards it to the leader. Returns false when no leader is known.
   */
  readIndex(ctx: number): boolean {
    const core = this.core;
    if (core.role === "leader") {
      leaderRead(core, { ctx, from: core.id });
      return true;
    }
    if (core.lead === NO_NODE) return false;
    core.send("readIndex", core.lead).ctx = ctx;
    return true;
  }

  /**
   * The leader lease (§6.4.1): when a quorum acknowledged a heartbeat sent
   * less than `leaseTicks` ago, no other leader can exist yet. Returns the
   * index the state machine must reach before serving a local read, or -1
   * when the lease does not hold. `lagTicks` counts ticks that elapsed on
   * the driver's clock but were not fed to `tick()` yet.
   */
  leaseRead(lagTicks = 0): number {
    const core = this.core;
    if (core.role !== "leader" || !core.committedInTerm || !core.config.checkQuorum) return -1;
    // A transfer lets the target win a vote despite followers' leases (§3.10).
    if (core.transferAttempted) return -1;
    if (!core.reads.leaseHolds(core.ticks + lagTicks, core.config.leaseTicks)) return -1;
    return core.log.committed;
  }

  /** Starts a leadership transfer to `target` (§3.10); new proposals wait until it ends. */
  transferLeader(target: NodeId): string | null {
    return transferLeader(this.core, target);
  }

  /** Records a snapshot the driver saved at `meta.index` and drops log entries at or below `compactIndex`. */
  snapshotTaken(meta: SnapshotMeta, compactIndex: number): void {
    const core = this.core;
    const log = core.log;
    assert(meta.index <= log.applied, `snapshot ${meta.index} is applied`);
    assert(log.term(meta.index) === meta.term || meta.index <= log.offset, "snapshot term");
    if (core.snapshotMeta === null || meta.index > core.snapshotMeta.index) {
      core.snapshotMeta = meta;
    }
    const upTo = Math.min(compactIndex, meta.index);
    if (upTo <= log.offset) return;
    core.conf.compact(upTo);
    log.compact(upTo);
  }

  /** The transport could not deliver a snapshot to `id`: try again from probing. */
  reportSnapshotFailure(id: NodeId): void {
    const pr = this.core.tracker.progress.get(id);
    if (this.core.role === "leader" && pr !== undefined && pr.state === "snapshot") {
      pr.becomeProbe();
    }
  }

  /** True when `ready()` has something. */
  hasReady(): boolean {
    const core = this.core;
    const log = core.log;
    flushLeader(core);
    return core.msgs.length > 0 || core.msgsAfterSync.length > 0 ||
      core.pendingSnapshot !== null || core.readStates.length > 0 ||
      log.stableIndex < log.lastIndex() || log.committed > log.applied ||
      !sameHardState(this.hardState(), this.prevHardState);
  }

  /** Hands out everything to persist, send and apply since the last `advance`. */
  ready(): Ready {
    const core = this.core;
    flushLeader(core);
    const hs = this.hardState();
    const prev = this.prevHardState;
    const rd: Ready = {
      messages: core.msgs,
      hardState: sameHardState(hs, prev) ? null : hs,
      entries: core.log.unstable(),
      snapshot: core.pendingSnapshot,
      messagesAfterSync: core.msgsAfterSync,
      committed: core.log.nextCommitted(),
      readStates: core.readStates,
      mustSync: false,
    };
    rd.mustSync = rd.entries.length > 0 || rd.snapshot !== null ||
      hs.term !== prev.term || hs.vote !== prev.vote;
    const first = rd.committed[0];
    assert(first === undefined || first.index === core.log.applied + 1, "apply continues");
    this.handedOutTo = rd.committed[rd.committed.length - 1]?.index ?? core.log.applied;
    core.msgs = [];
    core.msgsAfterSync = [];
    core.readStates = [];
    return rd;
  }

  /**
   * Hands out, between `ready()` and `advance()`, the entries that became
   * committed since: a driver that steps its peers' messages while its own
   * sync runs applies what a quorum already holds durable (§10.2.1). The
   * leader counts itself only once its sync is acknowledged in `advance`,
   * so in a group of three the two followers' acknowledgements commit
   * without it. Call it once the `Ready`'s own committed entries are
   * applied; entries handed out here are in no later `ready()`.
   *
   * @example
   * ```ts
   * import { bootstrapState, RaftNode } from "./raft.ts";
   * import { defaultConfig } from "./config.ts";
   * import { createRng } from "./rng.ts";
   * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
   * const node = new RaftNode({
   *   id: "n1", config: defaultConfig(), rng: createRng(1), hardState, snapshot: null, entries,
   * });
   * while (node.state().role !== "leader") node.tick();
   * const rd = node.ready();
   * if (node.takeCommitted().length !== 0) throw new Error("a lone leader commits after its sync");
   * node.advance(rd);
   * const next = node.ready();
   * if (next.committed.length !== 1 || node.takeCommitted().length !== 0) throw new Error();
   * ```
   */
  takeCommitted(): Entry[] {
    const log = this.core.log;
    const entries = log.committedAfter(Math.max(log.applied, this.handedOutTo));
    const last = entries[entries.length - 1];
    if (last === undefined) return entries;
    this.handedOutTo = last.index;
    log.appliedTo(last.index);
    return entries;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    const core = this.core;
    assert(rd.hardState === null || rd.hardState.term <= core.term, "a handed-out term");
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    if (rd.snapshot !== null) {
      if (core.pendingSnapshot === rd.snapshot) core.pendingSnapshot = null;
      const meta = rd.snapshot.meta;
      if (core.snapshotMeta === null || meta.index > core.snapshotMeta.index) {
        core.snapshotMeta = meta;
      }
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) core.log.stableTo(last.index, last.term);
    const applied = rd.committed[rd.committed.length - 1];
    if (applied !== undefined) core.log.appliedTo(applied.index);
    if (core.role === "leader") {
      const self = core.tracker.progressOf(core.id);
      if (self.maybeUpdate(core.log.stableIndex)) maybeCommit(core);
    }
  }

  /**
   * Checks everything this node can check about itself (its log, its
   * configuration history, term and role, a leader's progress, commit and
   * reads, what it has yet to hand out); throws an `AssertionError` naming
   * the first invariant that does not hold. Meant for tests and simulations,
   * after any step: it walks the whole log.
   */
  checkInvariants(): void {
    checkCoreInvariants(this.core);
    const prev = this.prevHardState;
    assert(prev.term <= this.core.term, "the hard state handed out has no later term");
    assert(prev.commit <= this.core.log.committed, "the hard state handed out has no later commit");
  }

  /** The current hard state. */
  hardState(): HardState {
    return { term: this.core.term, vote: this.core.vote, commit: this.core.log.committed };
  }

  /** Role, term and leader as this node believes them. */
  state(): { role: Role; term: number; lead: NodeId; ticks: number } {
    const { role, term, lead, ticks } = this.core;
    return { role, term, lead, ticks };
  }

  /** The latest membership in the log (§4.1: in effect as soon as it is appended). */
  currentMembership(): Membership {
    return this.core.membership();
  }

  /** The newest snapshot this node can send, or null. */
  snapshot(): SnapshotMeta | null {
    return this.core.snapshotMeta;
  }

  /** Index of the latest membership change entry not yet committed, or 0. */
  pendingConf(): number {
    const pending = this.core.pendingConfIndex;
    return pending > this.core.log.committed ? pending : 0;
  }

  /** True once an entry of the leader's own term has committed. */
  hasCommittedInTerm(): boolean {
    return this.core.committedInTerm;
  }

  /** The leader's progress for every member (empty elsewhere). */
  progress(): ProgressStatus[] {
    const core = this.core;
    if (core.role !== "leader") return [];
    return [...core.tracker.progress].map(([id, pr]) => ({
      id,
      match: pr.match,
      next: pr.next,
      state: pr.state,
      lastContactTick: id === core.id ? core.ticks : pr.lastContactTick,
    }));
  }

  /** The membership in effect at `index` (at or above the log offset). */
  membershipAt(index: number): Membership {
    return this.core.conf.at(index);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
