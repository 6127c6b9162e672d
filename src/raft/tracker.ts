/**
 * What a leader tracks about the members (their replication progress) and
 * what a candidate tracks about its election (the votes), counted with the
 * arithmetic of `quorum.ts`.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";
import { Progress } from "./progress.ts";
import { majorityValue, quorumActive, type VoteResult, voteResult } from "./quorum.ts";
import type { Membership, NodeId } from "./types.ts";

/**
 * Every member's progress on the leader, and the votes of an election.
 *
 * @example
 * ```ts
 * import { ProgressTracker } from "./tracker.ts";
 * const tracker = new ProgressTracker("n1", 4);
 * const members = ["n1", "n2", "n3"].map((id) => ({ id, voter: true, raftAddr: "", httpAddr: "" }));
 * tracker.reset(members, 10);
 * tracker.progressOf("n1").maybeUpdate(9);
 * tracker.progressOf("n2").maybeUpdate(7);
 * if (tracker.committedIndex(["n1", "n2", "n3"]) !== 7) throw new Error();
 * ```
 */
export class ProgressTracker {
  /** Progress by member id, in the order members were added (the order messages go out in). */
  readonly progress = new Map<NodeId, Progress>();
  /** Votes received in the current election: granted (true) or rejected (false). */
  readonly votes = new Map<NodeId, boolean>();
  /** The leader itself: tracked whether or not it is a member. */
  private readonly self: NodeId;
  private readonly inflightMax: number;

  /** @param self this node's id @param inflightMax the pipelining window of every member's progress */
  constructor(self: NodeId, inflightMax: number) {
    assert(Number.isSafeInteger(inflightMax), "the pipelining window is an integer");
    assert(inflightMax > 0, "the pipelining window is positive");
    this.self = self;
    this.inflightMax = inflightMax;
  }

  /** Starts tracking `membership` (and itself, member or not) afresh, every member from `next`. */
  reset(membership: Membership, next: number): void {
    this.progress.clear();
    for (const member of membership) this.progress.set(member.id, this.fresh(next));
    if (!this.progress.has(this.self)) this.progress.set(this.self, this.fresh(next));
    assert(this.progress.size >= membership.length, "every member has a progress");
  }

  /** Follows a membership change: new members start from `next`; removed ones (not itself) go. */
  follow(membership: Membership, next: number): void {
    const self = this.self;
    for (const member of membership) {
      if (!this.progress.has(member.id)) this.progress.set(member.id, this.fresh(next));
    }
    for (const id of [...this.progress.keys()]) {
      if (id !== self && !membership.some((member) => member.id === id)) this.progress.delete(id);
    }
  }

  /** The progress of `id`, which must be tracked. */
  progressOf(id: NodeId): Progress {
    const pr = this.progress.get(id);
    if (pr === undefined) invariantBroken(`progress of "${id}" exists on the leader`);
    return pr;
  }

  /** The highest index a quorum of `voters` has replicated (§3.6). */
  committedIndex(voters: readonly NodeId[]): number {
    return majorityValue(voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** The highest heartbeat round a quorum of `voters` acknowledged, the leader being at `round`. */
  acknowledgedRound(voters: readonly NodeId[], round: number): number {
    const self = this.self;
    return majorityValue(
      voters,
      (id) => id === self ? round : this.progress.get(id)?.ackedSeq ?? 0,
    );
  }

  /**
   * CheckQuorum (§6.2): did a quorum of `voters` (counting the leader) talk
   * to the leader since the last check? Starts the next check period.
   */
  checkQuorum(voters: readonly NodeId[]): boolean {
    const self = this.self;
    const active = quorumActive(
      voters,
      (id) => id === self || this.progress.get(id)?.recentActive === true,
    );
    for (const [id, pr] of this.progress) if (id !== self) pr.recentActive = false;
    return active;
  }

  /** Records `from`'s answer in the current election. */
  recordVote(from: NodeId, granted: boolean): void {
    this.votes.set(from, granted);
  }

  /** How the current election stands among `voters`. */
  tally(voters: readonly NodeId[]): VoteResult {
    return voteResult(voters, this.votes);
  }

  private fresh(next: number): Progress {
    assert(next > 0, `a progress starts at a positive index, not ${next}`);
    return new Progress(next, this.inflightMax);
  }
}
