/**
 * The Raft consensus protocol as a deterministic state machine, after Diego
 * Ongaro's dissertation "Consensus: Bridging Theory and Practice" (sections
 * cited as §). No I/O, no clock, no global randomness: time is `tick()`,
 * input is `step()` and the API calls, output is collected and handed out by
 * `ready()`.
 *
 * @module
 */

import { assert } from "./assert.ts";
import { TERM_MAX } from "./limits.ts";
import { checkMessage } from "./message_check.ts";
import type { RaftConfig } from "./config.ts";
import { validateConfig } from "./config.ts";
import { newMessage } from "./message.ts";
import {
  applyConfChange,
  checkConfChange,
  decodeConfChange,
  encodeConfChange,
  findMember,
  isVoter,
  voterIds,
} from "./membership.ts";
import { Progress } from "./progress.ts";
import { RaftLog } from "./raft_log.ts";
import type { Rng } from "./rng.ts";
import {
  type ConfChange,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  NO_NODE,
  type NodeId,
  type ReadState,
  type Ready,
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
}

/** Why a proposal was refused. */
export type ProposeError = "notLeader" | "transferring" | "confPending" | "invalid";

/** The outcome of a proposal: where the entry went, or why it was refused. */
export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; code: ProposeError; error: string };

/** A read waiting for its heartbeat round (§6.4). */
interface PendingRead {
  ctx: number;
  from: NodeId;
  index: number;
  seq: number;
}

/** A member's replication state as the leader sees it. */
export interface ProgressStatus {
  id: NodeId;
  match: number;
  next: number;
  state: string;
  lastContactTick: number;
}

const EMPTY = new Uint8Array(0);
/** `ctx` of a vote request sent because of a leadership transfer (§3.10). */
const CAMPAIGN_TRANSFER = 1;

/** The initial durable state of a node that bootstraps a new one-member cluster. */
export function bootstrapState(self: { id: NodeId; raftAddr: string; httpAddr: string }): {
  hardState: HardState;
  entries: Entry[];
} {
  const change: ConfChange = { op: "addVoter", ...self };
  const entry: Entry = { index: 1, term: 1, type: "conf", data: encodeConfChange(change) };
  return { hardState: { term: 1, vote: NO_NODE, commit: 1 }, entries: [entry] };
}

/** One Raft node's protocol state. */
export class RaftNode {
  readonly id: NodeId;
  readonly log: RaftLog;
  private readonly config: RaftConfig;
  private readonly rng: Rng;
  private term: number;
  private vote: NodeId;
  private lead: NodeId = NO_NODE;
  private role: Role = "follower";
  private membership: Membership;
  private baseMembership: Membership;
  private confHistory: { index: number; membership: Membership }[] = [];
  private readonly prs = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private ticks = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId = NO_NODE;
  private transferElapsed = 0;
  private transferAttempted = false;
  private pendingConfIndex = 0;
  private committedInTerm = false;
  private needBroadcast = false;
  private hbSeq = 0;
  private readonly seqSentTick = new Map<number, number>();
  private leaseStartTick = -Infinity;
  private pendingReads: PendingRead[] = [];
  private readsAwaitingCommit: { ctx: number; from: NodeId }[] = [];
  private readRoundWanted = false;
  private readStates: ReadState[] = [];
  private msgs: Message[] = [];
  private msgsAfterSync: Message[] = [];
  private prevHardState: HardState;
  private snapshotMeta: SnapshotMeta | null;
  private pendingSnapshot: Snapshot | null = null;

  /** Restores a node from its durable state. */
  constructor(options: RaftOptions) {
    assert(options.id !== NO_NODE, "a node has an id");
    this.id = options.id;
    this.config = validateConfig(options.config);
    this.rng = options.rng;
    const snap = options.snapshot;
    this.snapshotMeta = snap;
    this.log = new RaftLog(
      snap?.index ?? 0,
      snap?.term ?? 0,
      options.entries,
      options.hardState.commit,
    );
    this.term = options.hardState.term;
    this.vote = options.hardState.vote;
    this.prevHardState = { ...options.hardState };
    this.baseMembership = snap?.membership ?? [];
    this.membership = this.baseMembership;
    this.noteConfEntries(this.log.entries);
    this.resetRandomizedElectionTimeout();
    assert(this.log.committed <= this.log.lastIndex(), "commit within the log");
  }

  // ---- the API -----------------------------------------------------------

  /** Advances logical time by one tick. */
  tick(): void {
    this.ticks++;
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
  }

  /**
   * Feeds one message from a peer. Returns null when the message was stepped
   * (or ignored by a rule of the protocol), or why it was dropped: a message
   * no correct peer sends, such as a number out of range or an
   * acknowledgement of an entry this leader never had. Input from the
   * network is checked here, never asserted.
   */
  step(m: Message): string | null {
    const invalid = checkMessage(m) ?? (m.to === this.id ? null : `addressed to "${m.to}"`);
    if (invalid !== null) return invalid;
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return null;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return null;
    }
    if (m.type === "vote" || m.type === "preVote") {
      this.handleVoteRequest(m);
      return null;
    }
    switch (this.role) {
      case "leader":
        return this.stepLeader(m);
      case "candidate":
      case "preCandidate":
        return this.stepCandidate(m);
      case "follower":
        return this.stepFollower(m);
    }
  }

  /** Appends a client command; only a leader accepts. */
  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    return this.appendOwn("normal", data);
  }

  /** Proposes a membership change (§4.1): one at a time, after an entry of this term committed. */
  proposeConfChange(change: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused !== null) return refused;
    if (!this.committedInTerm) {
      return fail("confPending", "No entry of the current term has committed yet");
    }
    if (this.pendingConfIndex > this.log.committed) {
      return fail("confPending", "A membership change is already in progress");
    }
    const invalid = checkConfChange(this.membership, change);
    if (invalid !== null) return fail("invalid", invalid);
    return this.appendOwn("conf", encodeConfChange(change));
  }

  /**
   * Asks for a read index (§6.4). On the leader the read is confirmed by one
   * heartbeat round shared by every read that arrived meanwhile; a follower
   * forwards it to the leader. Returns false when no leader is known.
   */
  readIndex(ctx: number): boolean {
    if (this.role === "leader") {
      this.leaderRead(ctx, this.id);
      return true;
    }
    if (this.lead === NO_NODE) return false;
    const m = newMessage("readIndex", this.id, this.lead, this.term);
    m.ctx = ctx;
    this.msgs.push(m);
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
    if (this.role !== "leader" || !this.committedInTerm || !this.config.checkQuorum) return -1;
    // A transfer lets the target win a vote despite followers' leases (§3.10).
    if (this.transferAttempted) return -1;
    if (this.ticks + lagTicks - this.leaseStartTick >= this.config.leaseTicks) return -1;
    return this.log.committed;
  }

  /** Starts a leadership transfer to `target` (§3.10); new proposals wait until it ends. */
  transferLeader(target: NodeId): string | null {
    if (this.role !== "leader") return "Not the leader";
    if (target === this.id) return null;
    if (!isVoter(this.membership, target)) return `Node id "${target}" is not a voter`;
    this.leadTransferee = target;
    this.transferElapsed = 0;
    const pr = this.prs.get(target)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target, true);
    return null;
  }

  /** Records a snapshot the driver saved at `meta.index` and drops log entries at or below `compactIndex`. */
  snapshotTaken(meta: SnapshotMeta, compactIndex: number): void {
    assert(meta.index <= this.log.applied, `snapshot ${meta.index} is applied`);
    assert(
      this.log.term(meta.index) === meta.term || meta.index <= this.log.offset,
      "snapshot term",
    );
    if (this.snapshotMeta === null || meta.index > this.snapshotMeta.index) {
      this.snapshotMeta = meta;
    }
    const upTo = Math.min(compactIndex, meta.index);
    if (upTo <= this.log.offset) return;
    this.baseMembership = this.membershipAt(upTo);
    this.confHistory = this.confHistory.filter((c) => c.index > upTo);
    this.log.compact(upTo);
  }

  /** The transport could not deliver a snapshot to `id`: try again from probing. */
  reportSnapshotFailure(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.role === "leader" && pr !== undefined && pr.state === "snapshot") pr.becomeProbe();
  }

  /** True when `ready()` has something. */
  hasReady(): boolean {
    this.flush();
    return this.msgs.length > 0 || this.msgsAfterSync.length > 0 ||
      this.pendingSnapshot !== null || this.readStates.length > 0 ||
      this.log.stableIndex < this.log.lastIndex() || this.log.committed > this.log.applied ||
      !sameHardState(this.hardState(), this.prevHardState);
  }

  /** Hands out everything to persist, send and apply since the last `advance`. */
  ready(): Ready {
    this.flush();
    const hs = this.hardState();
    const rd: Ready = {
      messages: this.msgs,
      hardState: sameHardState(hs, this.prevHardState) ? null : hs,
      entries: this.log.unstable(),
      snapshot: this.pendingSnapshot,
      messagesAfterSync: this.msgsAfterSync,
      committed: this.log.nextCommitted(),
      readStates: this.readStates,
      mustSync: false,
    };
    rd.mustSync = rd.entries.length > 0 || rd.snapshot !== null ||
      hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
    this.msgs = [];
    this.msgsAfterSync = [];
    this.readStates = [];
    return rd;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    if (rd.snapshot !== null) {
      if (this.pendingSnapshot === rd.snapshot) this.pendingSnapshot = null;
      const meta = rd.snapshot.meta;
      if (this.snapshotMeta === null || meta.index > this.snapshotMeta.index) {
        this.snapshotMeta = meta;
      }
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) this.log.stableTo(last.index, last.term);
    const applied = rd.committed[rd.committed.length - 1];
    if (applied !== undefined) this.log.appliedTo(applied.index);
    if (this.role === "leader") {
      const self = this.prs.get(this.id);
      if (self !== undefined && self.maybeUpdate(this.log.stableIndex)) this.maybeCommit();
    }
  }

  // ---- observation -------------------------------------------------------

  /** The current hard state. */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Role, term and leader as this node believes them. */
  state(): { role: Role; term: number; lead: NodeId; ticks: number } {
    return { role: this.role, term: this.term, lead: this.lead, ticks: this.ticks };
  }

  /** The latest membership in the log (§4.1: in effect as soon as it is appended). */
  currentMembership(): Membership {
    return this.membership;
  }

  /** The newest snapshot this node can send, or null. */
  snapshot(): SnapshotMeta | null {
    return this.snapshotMeta;
  }

  /** Index of the latest membership change entry not yet committed, or 0. */
  pendingConf(): number {
    return this.pendingConfIndex > this.log.committed ? this.pendingConfIndex : 0;
  }

  /** True once an entry of the leader's own term has committed. */
  hasCommittedInTerm(): boolean {
    return this.committedInTerm;
  }

  /** The leader's progress for every member (empty elsewhere). */
  progress(): ProgressStatus[] {
    if (this.role !== "leader") return [];
    return [...this.prs].map(([id, pr]) => ({
      id,
      match: pr.match,
      next: pr.next,
      state: pr.state,
      lastContactTick: id === this.id ? this.ticks : pr.lastContactTick,
    }));
  }

  /** The membership in effect at `index` (at or above the log offset). */
  membershipAt(index: number): Membership {
    let found = this.baseMembership;
    for (const c of this.confHistory) if (c.index <= index) found = c.membership;
    return found;
  }

  // ---- terms and votes ---------------------------------------------------

  /** A message from a higher term: returns false when it must be ignored. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === "vote" || m.type === "preVote") {
      if (!this.mayRaiseTerm(m)) return false;
      // §4.2.3: while a follower hears from a leader it ignores vote requests,
      // so a removed or partitioned server cannot depose a working leader.
      // A node that just started may have acknowledged a leader before it
      // crashed: it waits one election timeout before voting, so that
      // leader's lease still holds (§6.4.1).
      const inLease = this.config.checkQuorum &&
        ((this.lead !== NO_NODE && this.electionElapsed < this.config.electionTicks) ||
          this.ticks < this.config.electionTicks);
      // A transfer (§3.10) overrides the lease only from a voter, for the term right after ours.
      const transfer = m.ctx === CAMPAIGN_TRANSFER && m.term === this.term + 1 &&
        isVoter(this.membership, m.from);
      if (inLease && !transfer) return false;
      if (m.type === "preVote") return true;
      this.becomeFollower(m.term, NO_NODE);
      return true;
    }
    if (m.type === "preVoteResp" && !m.reject) return true;
    const fromLeader = m.type === "app" || m.type === "hb" || m.type === "snap";
    this.becomeFollower(m.term, fromLeader ? m.from : NO_NODE);
    return true;
  }

  /**
   * Whether a vote request may raise our term: a voter of our configuration
   * may. Anyone else (a stranger, a learner, a removed server) only with a
   * log ahead of ours: a voter added while this node was away, which the
   * cluster may need for a quorum. A node that knows no configuration yet
   * cannot tell, and has nothing a vote could disturb.
   */
  private mayRaiseTerm(m: Message): boolean {
    if (this.membership.length === 0 || isVoter(this.membership, m.from)) return true;
    const lastTerm = this.log.lastTerm();
    return m.logTerm > lastTerm || (m.logTerm === lastTerm && m.index > this.log.lastIndex());
  }

  /** A message from an older term: tell a stale leader or pre-candidate our term. */
  private answerStaleTerm(m: Message): void {
    if (m.type === "app" || m.type === "hb") {
      this.msgs.push(newMessage("appResp", this.id, m.from, this.term));
    } else if (m.type === "preVote") {
      const reply = newMessage("preVoteResp", this.id, m.from, this.term);
      reply.reject = true;
      this.msgs.push(reply);
    }
  }

  private handleVoteRequest(m: Message): void {
    const pre = m.type === "preVote";
    const canVote = this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (pre && m.term > this.term);
    // A node grants votes whatever its own configuration says: its latest
    // entry may be an uncommitted change the candidate's log replaced, and
    // refusing could leave the real configuration without a quorum. Only
    // the candidate's voters are counted, so learners never decide (§4.2.1).
    const grant = canVote && this.log.isUpToDate(m.index, m.logTerm);
    const reply = newMessage(pre ? "preVoteResp" : "voteResp", this.id, m.from, this.term);
    if (grant) {
      reply.term = m.term;
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      reply.reject = true;
    }
    // A granted vote promises a durable vote (§3.8): send it after the sync.
    this.msgsAfterSync.push(reply);
  }

  private becomeFollower(term: number, lead: NodeId): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.role = "follower";
    this.lead = lead;
    this.resetRoleState();
  }

  private resetRoleState(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes.clear();
    this.leadTransferee = NO_NODE;
    this.transferAttempted = false;
    this.committedInTerm = false;
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.readRoundWanted = false;
    this.leaseStartTick = -Infinity;
    this.seqSentTick.clear();
    this.needBroadcast = false;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.config.electionTicks +
      this.rng.int(this.config.electionTicks);
  }

  private tickElection(): void {
    this.electionElapsed++;
    // The only voter needs nobody's vote: it need not wait, unless another
    // leader may still hold a lease (one it hears from, or one of the
    // committed configuration, which the latest may not have replaced yet).
    const alone = this.lead === NO_NODE && this.soleVoter(this.membership) &&
      this.soleVoter(this.membershipAt(this.log.committed));
    if (!alone && this.electionElapsed < this.randomizedElectionTimeout) return;
    this.electionElapsed = 0;
    // A full timeout without the leader: it no longer vouches for a lease,
    // so vote requests are heard again (also for learners, who never campaign).
    this.lead = NO_NODE;
    this.campaign(this.config.preVote, false);
  }

  private soleVoter(membership: Membership): boolean {
    return voterIds(membership).length === 1 && isVoter(membership, this.id);
  }

  /**
   * Voters campaign; so does a server whose removal is still uncommitted
   * (§4.2.2): the remaining voters may need it to lead until the change
   * commits. Learners and servers whose removal committed never do.
   */
  private promotable(): boolean {
    if (isVoter(this.membership, this.id)) return true;
    if (findMember(this.membership, this.id) !== undefined) return false;
    const last = this.confHistory[this.confHistory.length - 1];
    return last !== undefined && last.index > this.log.committed &&
      isVoter(this.membershipAt(last.index - 1), this.id);
  }

  /** Starts an election (§3.4), preceded by a PreVote round (§9.6) unless forced. */
  private campaign(preVote: boolean, force: boolean): void {
    if (!this.promotable()) return;
    if (this.pendingSnapshot !== null) return;
    // Unreachable unless the durable term is absurd: the driver refuses to start then.
    if (this.term + 1 >= TERM_MAX) return;
    if (preVote) {
      this.role = "preCandidate";
      this.lead = NO_NODE;
      this.resetRoleState();
    } else {
      this.becomeFollower(this.term + 1, NO_NODE);
      this.role = "candidate";
      this.vote = this.id;
    }
    this.votes.set(this.id, true);
    if (this.tallyVotes()) return;
    const type = preVote ? "preVote" : "vote";
    const term = preVote ? this.term + 1 : this.term;
    for (const id of voterIds(this.membership)) {
      if (id === this.id) continue;
      const m = newMessage(type, this.id, id, term);
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      m.ctx = force ? CAMPAIGN_TRANSFER : 0;
      // A candidate's own vote must be durable before others are asked.
      this.msgsAfterSync.push(m);
    }
  }

  /** Counts votes; moves on when won or lost. Returns true when decided. */
  private tallyVotes(): boolean {
    const voters = voterIds(this.membership);
    const quorum = Math.floor(voters.length / 2) + 1;
    let granted = 0;
    let rejected = 0;
    for (const id of voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    if (granted >= quorum) {
      if (this.role === "preCandidate") this.campaign(false, false);
      else this.becomeLeader();
      return true;
    }
    if (rejected >= quorum) {
      this.becomeFollower(this.term, NO_NODE);
      return true;
    }
    return false;
  }

  private stepCandidate(m: Message): string | null {
    const myResp = this.role === "preCandidate" ? "preVoteResp" : "voteResp";
    if (m.type === "app" || m.type === "hb" || m.type === "snap") {
      // A leader of our term exists (§3.4).
      this.becomeFollower(this.term, m.from);
      return this.stepFollower(m);
    }
    if (m.type === myResp) {
      this.votes.set(m.from, !m.reject);
      this.tallyVotes();
    }
    return null;
  }

  // ---- follower ----------------------------------------------------------

  private stepFollower(m: Message): string | null {
    switch (m.type) {
      case "app":
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        break;
      case "hb":
        this.heardFromLeader(m.from);
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.reply(m, "hbResp", false).seq = m.seq;
        break;
      case "snap":
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        break;
      case "timeoutNow":
        // Only the leader hands its leadership over (a node may also ask itself, as tests do).
        if (m.from !== this.lead && m.from !== this.id) {
          return `timeoutNow from "${m.from}", who is not the leader`;
        }
        // §3.10: the leader asks us to campaign now, skipping PreVote.
        this.campaign(false, true);
        break;
      case "readIndexResp":
        this.readStates.push({ ctx: m.ctx, index: m.index });
        break;
      default:
        break;
    }
    return null;
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.lead = from;
  }

  private reply(m: Message, type: Message["type"], afterSync: boolean): Message {
    const r = newMessage(type, this.id, m.from, this.term);
    (afterSync ? this.msgsAfterSync : this.msgs).push(r);
    return r;
  }

  /** AppendEntries receiver (§3.5). The reply promises durability, so it follows the sync. */
  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.reply(m, "appResp", true).index = this.log.committed;
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.entries);
    if (lastNew < 0) {
      const hint = this.log.conflictHint(m.index);
      const r = this.reply(m, "appResp", true);
      r.reject = true;
      r.index = m.index;
      r.logTerm = hint.term;
      r.hint = hint.index;
      return;
    }
    if (this.log.truncatedFrom > 0) this.rollBackConf(this.log.truncatedFrom);
    if (this.log.appendedFrom > 0) {
      this.noteConfEntries(this.log.entries.slice(this.log.appendedFrom - this.log.offset - 1));
    }
    this.log.commitTo(Math.min(m.commit, lastNew));
    this.reply(m, "appResp", true).index = lastNew;
  }

  /** InstallSnapshot receiver (ch. 5). */
  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    assert(snap !== null, "a snap message carries a snapshot");
    const meta = snap.meta;
    if (meta.index <= this.log.committed) {
      this.reply(m, "appResp", true).index = this.log.committed;
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already hold the snapshot's entries: only the commit moves.
      this.log.commitTo(meta.index);
      this.reply(m, "appResp", true).index = meta.index;
      return;
    }
    this.log.restore(meta.index, meta.term);
    this.baseMembership = meta.membership;
    this.membership = meta.membership;
    this.confHistory = [];
    this.pendingSnapshot = snap;
    this.reply(m, "appResp", true).index = meta.index;
  }

  // ---- membership ----------------------------------------------------------

  /** §4.1: a configuration takes effect as soon as its entry is in the log. */
  private noteConfEntries(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== "conf") continue;
      const next = applyConfChange(this.membership, decodeConfChange(entry.data));
      this.confHistory.push({ index: entry.index, membership: next });
      this.setMembership(next);
      if (this.role === "leader") this.pendingConfIndex = entry.index;
    }
  }

  /** A truncated suffix may have held configuration entries: fall back to the one before. */
  private rollBackConf(from: number): void {
    const kept = this.confHistory.filter((c) => c.index < from);
    if (kept.length === this.confHistory.length) return;
    this.confHistory = kept;
    this.setMembership(kept[kept.length - 1]?.membership ?? this.baseMembership);
  }

  private setMembership(membership: Membership): void {
    this.membership = membership;
    if (this.role !== "leader") return;
    for (const member of membership) {
      if (!this.prs.has(member.id)) {
        this.prs.set(
          member.id,
          new Progress(this.log.lastIndex() + 1, this.config.maxInflightMsgs),
        );
      }
    }
    for (const id of [...this.prs.keys()]) {
      if (id !== this.id && findMember(membership, id) === undefined) this.prs.delete(id);
    }
  }

  // ---- leader --------------------------------------------------------------

  private becomeLeader(): void {
    assert(this.role === "candidate", "only a candidate becomes leader");
    this.role = "leader";
    this.lead = this.id;
    this.resetRoleState();
    this.prs.clear();
    for (const member of this.membership) {
      this.prs.set(member.id, new Progress(this.log.lastIndex() + 1, this.config.maxInflightMsgs));
    }
    if (!this.prs.has(this.id)) {
      this.prs.set(this.id, new Progress(this.log.lastIndex() + 1, this.config.maxInflightMsgs));
    }
    const self = this.prs.get(this.id)!;
    self.maybeUpdate(this.log.stableIndex);
    self.becomeReplicate();
    // Conf changes wait until everything before the no-op commits (§4.1 fix).
    this.pendingConfIndex = this.log.lastIndex();
    this.heartbeatElapsed = this.config.heartbeatTicks;
    // §3.6.2 / §6.4: a no-op of the new term lets earlier entries commit.
    this.appendOwn("normal", EMPTY);
  }

  private refuseProposal(): ProposeResult | null {
    if (this.role !== "leader") return fail("notLeader", "Not the leader");
    if (this.leadTransferee !== NO_NODE) {
      return fail("transferring", "A leadership transfer is in progress");
    }
    return null;
  }

  private appendOwn(type: Entry["type"], data: Uint8Array): ProposeResult {
    const index = this.log.lastIndex() + 1;
    const entry: Entry = { index, term: this.term, type, data };
    this.log.append([entry]);
    if (type === "conf") this.noteConfEntries([entry]);
    this.needBroadcast = true;
    return { ok: true, index, term: this.term };
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NO_NODE);
        return;
      }
    }
    if (this.leadTransferee !== NO_NODE && ++this.transferElapsed >= this.config.electionTicks) {
      // §3.10: a transfer that does not finish within an election timeout is abandoned.
      this.leadTransferee = NO_NODE;
    }
    for (const pr of this.prs.values()) {
      if (
        pr.state === "snapshot" && this.ticks - pr.snapshotTick > this.config.snapshotTimeoutTicks
      ) {
        pr.becomeProbe();
      }
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** CheckQuorum (§6.2): did a quorum of voters talk to us since the last check? */
  private quorumActive(): boolean {
    const voters = voterIds(this.membership);
    let active = 0;
    for (const id of voters) {
      const pr = this.prs.get(id);
      if (id === this.id || pr?.recentActive === true) active++;
    }
    for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
    return active >= Math.floor(voters.length / 2) + 1;
  }

  private stepLeader(m: Message): string | null {
    const pr = this.prs.get(m.from);
    if (m.type === "readIndex") {
      this.leaderRead(m.ctx, m.from);
      return null;
    }
    if (pr === undefined) return null;
    const impossible = this.impossibleResponse(m);
    if (impossible !== null) return impossible;
    pr.recentActive = true;
    pr.lastContactTick = this.ticks;
    if (m.type === "appResp") this.handleAppendResponse(m, pr);
    else if (m.type === "hbResp") this.handleHeartbeatResponse(m, pr);
    return null;
  }

  /**
   * Why a response of this term cannot answer anything this leader sent, or
   * null: it names an index beyond our log or a heartbeat round never sent.
   */
  private impossibleResponse(m: Message): string | null {
    const last = this.log.lastIndex();
    if (m.type === "appResp" && m.index > last) {
      return `"${m.from}" answers for index ${m.index}, beyond the log's last ${last}`;
    }
    if (m.type === "hbResp" && m.seq > this.hbSeq) {
      return `"${m.from}" acknowledges heartbeat round ${m.seq}, above the last sent ${this.hbSeq}`;
    }
    return null;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    if (m.reject) {
      const hintNext = this.hintToNext(m);
      if (pr.maybeDecrTo(m.index, hintNext)) this.sendAppend(m.from, true);
      return;
    }
    const moved = pr.maybeUpdate(m.index);
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
    if (moved) this.maybeCommit();
    if (this.role !== "leader") return;
    this.fillPipeline(m.from);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  /** Fast backtracking: skip the follower's whole conflicting term at once. */
  private hintToNext(m: Message): number {
    if (m.logTerm > 0) {
      const last = this.log.lastIndexOfTerm(m.logTerm);
      if (last >= 0) return last + 1;
    }
    return m.hint > 0 ? m.hint : m.index;
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    if (m.seq > pr.ackedSeq) pr.ackedSeq = m.seq;
    if (pr.state === "probe") pr.probeSent = false;
    // A full window may hold lost messages: free a slot so the follower can be reached.
    if (pr.state === "replicate" && pr.isPaused()) pr.freeFirstInflight();
    // An empty append also probes a pipelined follower: if messages were
    // lost it rejects, and the leader falls back to probing from its hint.
    if (pr.match < this.log.lastIndex() || pr.sentCommit < this.log.committed) {
      this.sendAppend(m.from, true);
    }
    this.releaseReads();
  }

  /** Sends what the follower lacks, as many messages as the window allows. */
  private fillPipeline(to: NodeId): void {
    for (let i = 0; i < this.config.maxInflightMsgs; i++) {
      if (!this.sendAppend(to, false)) break;
    }
  }

  /**
   * Sends one AppendEntries (or a snapshot when the entries are compacted).
   * Returns true when a message went out.
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (pr === undefined || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm < 0 || pr.next <= this.log.offset) return this.sendSnapshot(to, pr);
    const entries = pr.next <= this.log.lastIndex()
      ? this.log.slice(pr.next, this.config.maxEntriesPerMsg, this.config.maxBytesPerMsg)
      : [];
    if (entries.length === 0 && !sendIfEmpty && pr.sentCommit >= this.log.committed) return false;
    const m = newMessage("app", this.id, to, this.term);
    m.index = prevIndex;
    m.logTerm = prevTerm;
    m.entries = entries;
    m.commit = this.log.committed;
    this.msgs.push(m);
    pr.sentCommit = this.log.committed;
    const last = entries[entries.length - 1];
    pr.sent(last === undefined ? prevIndex : last.index, last !== undefined);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const meta = this.snapshotMeta;
    assert(meta !== null, `a compacted log has a snapshot to send to "${to}"`);
    const m = newMessage("snap", this.id, to, this.term);
    // The driver attaches the snapshot's bytes before sending.
    m.snapshot = { meta, data: EMPTY };
    this.msgs.push(m);
    pr.becomeSnapshot(meta.index, this.ticks);
    return true;
  }

  private sendTimeoutNow(to: NodeId): void {
    this.transferAttempted = true;
    this.msgs.push(newMessage("timeoutNow", this.id, to, this.term));
  }

  /** Commits the highest index a quorum of voters stores, if it is of this term (§3.6.2). */
  private maybeCommit(): void {
    const voters = voterIds(this.membership);
    if (voters.length === 0) return;
    const matches = voters.map((id) => this.prs.get(id)?.match ?? 0).sort((a, b) => b - a);
    const quorumIndex = matches[Math.floor(voters.length / 2)]!;
    if (quorumIndex <= this.log.committed) return;
    if (this.log.term(quorumIndex) !== this.term) return;
    this.log.commitTo(quorumIndex);
    this.needBroadcast = true;
    if (!this.committedInTerm) {
      this.committedInTerm = true;
      for (const r of this.readsAwaitingCommit) this.leaderRead(r.ctx, r.from);
      this.readsAwaitingCommit = [];
    }
    // §4.2.2: a leader that is not in the committed configuration steps down.
    if (!isVoter(this.membershipAt(this.log.committed), this.id)) {
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  // ---- reads (§6.4) --------------------------------------------------------

  private leaderRead(ctx: number, from: NodeId): void {
    if (!this.committedInTerm) {
      // §6.4 step 1: the leader's commit index is only known once its no-op commits.
      this.readsAwaitingCommit.push({ ctx, from });
      return;
    }
    if (voterIds(this.membership).length === 1 && isVoter(this.membership, this.id)) {
      this.answerRead({ ctx, from, index: this.log.committed, seq: 0 });
      return;
    }
    this.pendingReads.push({ ctx, from, index: this.log.committed, seq: this.hbSeq + 1 });
    this.readRoundWanted = true;
  }

  private answerRead(read: PendingRead): void {
    if (read.from === this.id) {
      this.readStates.push({ ctx: read.ctx, index: read.index });
      return;
    }
    const m = newMessage("readIndexResp", this.id, read.from, this.term);
    m.ctx = read.ctx;
    m.index = read.index;
    this.msgs.push(m);
  }

  private broadcastHeartbeat(): void {
    const seq = ++this.hbSeq;
    this.seqSentTick.set(seq, this.ticks);
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      const m = newMessage("hb", this.id, id, this.term);
      m.commit = Math.min(pr.match, this.log.committed);
      m.seq = seq;
      this.msgs.push(m);
    }
    this.releaseReads();
  }

  /** The highest heartbeat round a quorum of voters acknowledged. */
  private quorumSeq(): number {
    const voters = voterIds(this.membership);
    if (voters.length === 0) return 0;
    const acked = voters.map((id) => id === this.id ? this.hbSeq : this.prs.get(id)?.ackedSeq ?? 0)
      .sort((a, b) => b - a);
    return acked[Math.floor(voters.length / 2)]!;
  }

  private releaseReads(): void {
    const seq = this.quorumSeq();
    const sent = this.seqSentTick.get(seq);
    if (sent !== undefined && sent > this.leaseStartTick) this.leaseStartTick = sent;
    for (const s of this.seqSentTick.keys()) if (s < seq) this.seqSentTick.delete(s);
    if (this.pendingReads.length === 0) return;
    let done = 0;
    while (done < this.pendingReads.length && this.pendingReads[done]!.seq <= seq) {
      this.answerRead(this.pendingReads[done]!);
      done++;
    }
    if (done > 0) this.pendingReads.splice(0, done);
  }

  /** Sends what accumulated since the last `ready()`: appends and one heartbeat round for reads. */
  private flush(): void {
    if (this.role !== "leader") return;
    if (this.readRoundWanted) {
      this.readRoundWanted = false;
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
    if (!this.needBroadcast) return;
    this.needBroadcast = false;
    for (const id of this.prs.keys()) if (id !== this.id) this.fillPipeline(id);
  }
}

function fail(code: ProposeError, error: string): ProposeResult {
  return { ok: false, code, error };
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
