/**
 * The protocol state of one node that every role reads and writes (term,
 * vote, role, leader, log, configuration history, timers, trackers and the
 * outbox), with the transitions all roles share: following a leader,
 * starting a campaign, and the membership following the log (§4.1).
 *
 * @module
 */

import { assert } from "./assert.ts";
import { ConfHistory } from "./conf_history.ts";
import { type RaftConfig, validateConfig } from "./config.ts";
import { applyConfChange, decodeConfChange, isVoter } from "./membership.ts";
import { newMessage } from "./message.ts";
import { RaftLog } from "./raft_log.ts";
import { ReadOnly } from "./read_only.ts";
import type { Rng } from "./rng.ts";
import { ProgressTracker } from "./tracker.ts";
import {
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type MessageType,
  NO_NODE,
  type NodeId,
  type ReadState,
  type Role,
  type Snapshot,
  type SnapshotMeta,
} from "./types.ts";

/** What a node starts from: the durable state storage recovered. */
export interface RaftOptions {
  id: NodeId;
  config: RaftConfig;
  rng: Rng;
  hardState: HardState;
  /** The newest snapshot's metadata, or null. */
  snapshot: SnapshotMeta | null;
  /** Log entries after the snapshot. */
  entries: Entry[];
  /** Test-only protocol bugs, all off by default (see {@link CoreBreaks}). */
  breaks?: CoreBreaks;
}

/**
 * Deliberate violations of the protocol, switched on only by the tests
 * that prove the simulator catches them; production never sets them.
 */
export interface CoreBreaks {
  /** Grant votes without checking that the candidate's log is at least as up to date (§3.6.1). */
  staleLogVotes?: boolean;
  /** Commit an entry of an earlier term by counting its replicas (what §3.6.2 forbids). */
  commitByCounting?: boolean;
  /** Serve ReadIndex before the leader's first entry of its term commits (§6.4 step 1). */
  readIndexBeforeNoop?: boolean;
}

/**
 * One node's protocol state. The role functions (`follower.ts`,
 * `candidate.ts`, `leader.ts`, `election.ts`) read and change it; the
 * public `RaftNode` wraps it.
 *
 * @example
 * ```ts
 * import { Core } from "./core.ts";
 * import { defaultConfig } from "./config.ts";
 * import { createRng } from "./rng.ts";
 * const core = new Core({
 *   id: "n1",
 *   config: defaultConfig(),
 *   rng: createRng(1),
 *   hardState: { term: 1, vote: "", commit: 0 },
 *   snapshot: null,
 *   entries: [],
 * });
 * core.becomeCandidate();
 * if (core.term !== 2 || core.vote !== "n1" || core.role !== "candidate") throw new Error();
 * ```
 */
export class Core {
  readonly id: NodeId;
  readonly config: RaftConfig;
  readonly log: RaftLog;
  readonly conf: ConfHistory;
  readonly tracker: ProgressTracker;
  readonly reads = new ReadOnly();
  private readonly rng: Rng;
  term: number;
  /** The node voted for in `term`, or `NO_NODE`. */
  vote: NodeId;
  /** The leader of `term` as far as this node knows, or `NO_NODE`. */
  lead: NodeId = NO_NODE;
  role: Role = "follower";
  /** Ticks since this node started. */
  ticks = 0;
  /** Leader: ticks since the last CheckQuorum; others: ticks since the leader was heard. */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks without a leader before campaigning, in `[electionTicks, 2 * electionTicks)` (§3.4). */
  randomizedElectionTimeout = 0;
  /** The target of a leadership transfer in progress (§3.10), or `NO_NODE`. */
  leadTransferee: NodeId = NO_NODE;
  transferElapsed = 0;
  /** A TimeoutNow went out in this term: the lease no longer holds. */
  transferAttempted = false;
  /** Leader: index of the latest membership change it appended (or its no-op's predecessor). */
  pendingConfIndex = 0;
  /** Leader: an entry of its own term has committed (§3.6.2, §6.4). */
  committedInTerm = false;
  /** Test-only protocol bugs; empty in production. */
  readonly breaks: CoreBreaks;
  /** Leader: entries or a commit index to send went unsent since the last `ready()`. */
  needBroadcast = false;
  /** The newest snapshot this node saved or received. */
  snapshotMeta: SnapshotMeta | null;
  /** A snapshot received from the leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | null = null;
  /** Messages to send now. */
  msgs: Message[] = [];
  /** Messages that promise durable state: sent after the next sync. */
  msgsAfterSync: Message[] = [];
  /** Reads that became safe since the last `ready()`. */
  readStates: ReadState[] = [];

  /** Restores a node from its durable state. */
  constructor(options: RaftOptions) {
    assert(options.id !== NO_NODE, "a node has an id");
    this.id = options.id;
    this.config = validateConfig(options.config);
    this.rng = options.rng;
    this.breaks = options.breaks ?? {};
    const snap = options.snapshot;
    this.snapshotMeta = snap;
    const { term, vote, commit } = options.hardState;
    this.log = new RaftLog(snap?.index ?? 0, snap?.term ?? 0, options.entries, commit);
    this.term = term;
    this.vote = vote;
    this.conf = new ConfHistory(snap?.membership ?? []);
    this.tracker = new ProgressTracker(this.id, this.config.inflightMsgsMax);
    this.noteConfEntries(this.log.entries);
    this.resetRandomizedElectionTimeout();
    assert(this.log.committed <= this.log.lastIndex(), "commit within the log");
  }

  /** The latest membership in the log (§4.1). */
  membership(): Membership {
    return this.conf.latest();
  }

  /** True when `id` is a voter of the latest membership. */
  isVoter(id: NodeId): boolean {
    return isVoter(this.conf.latest(), id);
  }

  /** Queues a message of `type` to `to` in the current term, to send now; returns it for its fields. */
  send(type: MessageType, to: NodeId): Message {
    assert(to !== NO_NODE, "a message has a recipient");
    const m = newMessage(type, this.id, to, this.term);
    this.msgs.push(m);
    return m;
  }

  /** Like {@link send}, for a message that promises durable state: it goes out after the next sync. */
  sendAfterSync(type: MessageType, to: NodeId): Message {
    assert(to !== NO_NODE, "a message has a recipient");
    const m = newMessage(type, this.id, to, this.term);
    this.msgsAfterSync.push(m);
    return m;
  }

  /** Follows `lead` (or nobody) in `term`, forgetting the vote when the term moves. */
  becomeFollower(term: number, lead: NodeId): void {
    assert(term >= this.term, `term ${term} does not go back from ${this.term}`);
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.role = "follower";
    this.lead = lead;
    this.resetRoleState();
  }

  /** Starts a PreVote round (§9.6): the term stays until a quorum says an election could win. */
  becomePreCandidate(): void {
    assert(this.role !== "leader", "a leader does not campaign");
    this.role = "preCandidate";
    this.lead = NO_NODE;
    this.resetRoleState();
  }

  /** Starts an election (§3.4): a new term, voting for itself. */
  becomeCandidate(): void {
    assert(this.role !== "leader", "a leader does not campaign");
    const term = this.term + 1;
    this.becomeFollower(term, NO_NODE);
    this.role = "candidate";
    this.vote = this.id;
    assert(this.term === term, "a candidate's term is one above the last");
  }

  /** Clears what belongs to one role in one term. */
  resetRoleState(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.tracker.votes.clear();
    this.leadTransferee = NO_NODE;
    this.transferAttempted = false;
    this.committedInTerm = false;
    this.reads.reset();
    this.needBroadcast = false;
  }

  /** §4.1: a configuration takes effect as soon as its entry is in the log. */
  noteConfEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== "conf") continue;
      const next = applyConfChange(this.conf.latest(), decodeConfChange(entry.data));
      this.conf.append(entry.index, next);
      this.followMembership();
      if (this.role === "leader") this.pendingConfIndex = entry.index;
    }
  }

  /** A truncated suffix from `from` may have held changes: fall back to the one before. */
  rollBackConf(from: number): void {
    if (this.conf.rollBack(from)) this.followMembership();
  }

  private followMembership(): void {
    if (this.role !== "leader") return;
    this.tracker.follow(this.conf.latest(), this.log.lastIndex() + 1);
    assert(this.tracker.progress.has(this.id), "a leader tracks itself, member or not");
  }

  private resetRandomizedElectionTimeout(): void {
    const electionTicks = this.config.electionTicks;
    this.randomizedElectionTimeout = electionTicks + this.rng.int(electionTicks);
    assert(this.randomizedElectionTimeout < 2 * electionTicks, "the timeout is randomized once");
  }
}
