/**
 * The leader's view of one follower's log (§3.5, and etcd's flow control):
 * probe one message at a time after a rejection, pipeline a bounded window
 * once the follower matches, pause while a snapshot is in flight.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";

/** How the leader is currently feeding a follower. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/**
 * Replication progress of one member, kept by the leader.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const pr = new Progress(10, 2);
 * pr.maybeUpdate(9);
 * pr.becomeReplicate();
 * pr.sent(12, true);
 * pr.sent(14, true);
 * if (!pr.isPaused() || pr.next !== 15) throw new Error("a window of two is full");
 * pr.maybeUpdate(12);
 * if (pr.isPaused() || pr.inflightCount() !== 1) throw new Error();
 * ```
 */
export class Progress {
  /** Highest index known replicated on the member. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = "probe";
  /** Probe state: a message is out; wait for its answer or the next heartbeat. */
  probeSent = false;
  /** Snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Tick when the snapshot was sent. */
  snapshotTick = 0;
  /** Heard from since the last quorum check (§6.2). */
  recentActive = false;
  /** Highest heartbeat round acknowledged. */
  ackedSeq = 0;
  /** Commit index last sent. */
  sentCommit = 0;
  /** Tick of the last message from the member. */
  lastContactTick = -1;
  /** Last indexes of the AppendEntries messages in flight, oldest first. */
  private inflight: number[] = [];
  private readonly inflightMax: number;

  /** @param next the first index to send @param inflightMax the pipelining window */
  constructor(next: number, inflightMax: number) {
    this.next = next;
    this.inflightMax = inflightMax;
  }

  /** True when no AppendEntries may be sent now. */
  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "snapshot") return true;
    return this.inflight.length >= this.inflightMax;
  }

  /** Records an AppendEntries ending at `last` as sent. */
  sent(last: number, hasEntries: boolean): void {
    assert(this.state !== "snapshot", "nothing is sent while a snapshot is on its way");
    if (this.state === "replicate") {
      if (!hasEntries) return;
      assert(last >= this.next, "sent entries end at or after next");
      this.next = last + 1;
      this.inflight.push(last);
    } else {
      this.probeSent = true;
    }
  }

  /** A successful reply up to `index`; returns true when it moved `match`. */
  maybeUpdate(index: number): boolean {
    const moved = index > this.match;
    if (moved) this.match = index;
    if (this.next < index + 1) this.next = index + 1;
    this.probeSent = false;
    let freed = 0;
    for (const last of this.inflight) {
      if (last > index) break;
      freed++;
    }
    if (freed > 0) this.inflight.splice(0, freed);
    return moved;
  }

  /**
   * A rejection of the AppendEntries whose previous index was `rejected`;
   * `hintNext` is where the follower's hint says to resume. Returns false for
   * a stale rejection that says nothing new.
   */
  maybeDecrTo(rejected: number, hintNext: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
    } else if (rejected !== this.next - 1) {
      return false;
    }
    this.next = Math.max(this.match + 1, Math.min(hintNext, rejected));
    this.becomeProbe();
    assert(this.next > this.match, "probing resumes above match");
    return true;
  }

  /** Back to one message at a time. */
  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    }
    this.state = "probe";
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight = [];
  }

  /** Pipelining from `match + 1`. */
  becomeReplicate(): void {
    this.state = "replicate";
    this.probeSent = false;
    this.next = this.match + 1;
    this.inflight = [];
  }

  /** A snapshot at `index` is on its way. */
  becomeSnapshot(index: number, tick: number): void {
    assert(index > 0, "a snapshot has an index");
    this.state = "snapshot";
    this.pendingSnapshot = index;
    this.snapshotTick = tick;
    this.inflight = [];
  }

  /** Forgets the oldest message in flight (it may have been lost). */
  freeFirstInflight(): void {
    this.inflight.shift();
  }

  /** Messages in flight (for status and tests). */
  inflightCount(): number {
    return this.inflight.length;
  }

  /**
   * Checks what holds between steps for a log ending at `lastIndex`: match
   * within the log, next just past match at least and past the log's end at
   * most, the window within its bound and in order, a snapshot state with its
   * snapshot; throws an `AssertionError` naming what broke.
   */
  checkInvariants(lastIndex: number): void {
    const { match, next } = this;
    if (match > lastIndex) invariantBroken(`match ${match} is within the log (last ${lastIndex})`);
    if (next <= match) invariantBroken(`next ${next} is above match ${match}`);
    if (next > lastIndex + 1) invariantBroken(`next ${next} is at most ${lastIndex + 1}`);
    assert(this.inflight.length <= this.inflightMax, "the window holds at most its bound");
    let previous = match;
    for (const last of this.inflight) {
      if (last <= previous) invariantBroken(`in-flight end ${last} is above ${previous}`);
      previous = last;
    }
    if (this.state === "snapshot") assert(this.pendingSnapshot > 0, "a snapshot is on its way");
  }
}
