/**
 * A leader's read-only state (§6.4, §6.4.1): numbered heartbeat rounds, the
 * ReadIndex requests waiting for a round a quorum acknowledged, the requests
 * waiting for the leader's first commit, and the start of its lease.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";
import type { NodeId } from "./types.ts";

/** A read waiting for its heartbeat round (§6.4): answer `from` with `index` once `seq` is confirmed. */
export interface PendingRead {
  ctx: number;
  from: NodeId;
  index: number;
  seq: number;
}

/** A read that arrived before the leader knew its commit index. */
export interface EarlyRead {
  ctx: number;
  from: NodeId;
}

const NO_READS: readonly PendingRead[] = [];

/**
 * Heartbeat rounds, reads waiting on them, and the lease they establish.
 *
 * @example
 * ```ts
 * import { ReadOnly } from "./read_only.ts";
 * const reads = new ReadOnly();
 * reads.add({ ctx: 7, from: "n2" }, 40);
 * const round = reads.startRound(100);
 * const released = reads.release(round);
 * if (released.length !== 1 || released[0]?.index !== 40) throw new Error();
 * if (!reads.leaseHolds(104, 8) || reads.leaseHolds(108, 8)) throw new Error();
 * ```
 */
export class ReadOnly {
  /** The last heartbeat round sent; rounds only grow, across terms too. */
  private round = 0;
  /** Tick each unconfirmed round was sent at (the lease starts from a confirmed round's). */
  private readonly roundSentTick = new Map<number, number>();
  private leaseStartTick = -Infinity;
  private pending: PendingRead[] = [];
  private early: EarlyRead[] = [];
  private roundWanted = false;

  /** Forgets every read and the lease (a new role or term); the round counter stays. */
  reset(): void {
    this.pending = [];
    this.early = [];
    this.roundWanted = false;
    this.leaseStartTick = -Infinity;
    this.roundSentTick.clear();
  }

  /** The last heartbeat round sent. */
  lastRound(): number {
    return this.round;
  }

  /** Reads waiting for a round. */
  pendingCount(): number {
    return this.pending.length;
  }

  /** Holds a read until the leader's first commit of its term tells it the commit index. */
  waitForCommit(read: EarlyRead): void {
    this.early.push(read);
  }

  /** Hands out the reads held for the first commit, and forgets them. */
  takeEarly(): EarlyRead[] {
    const early = this.early;
    this.early = [];
    return early;
  }

  /** Queues `read` at `index`, confirmed by the next round; asks for that round. */
  add(read: EarlyRead, index: number): void {
    const seq = this.round + 1;
    const last = this.pending[this.pending.length - 1];
    assert(last === undefined || last.seq <= seq, "pending reads are in round order");
    this.pending.push({ ctx: read.ctx, from: read.from, index, seq });
    this.roundWanted = true;
  }

  /** True, once, when reads wait for a round no heartbeat has started yet. */
  takeRoundWanted(): boolean {
    const wanted = this.roundWanted;
    this.roundWanted = false;
    return wanted;
  }

  /** Starts the next heartbeat round at `tick`; returns its number. */
  startRound(tick: number): number {
    this.round++;
    this.roundSentTick.set(this.round, tick);
    return this.round;
  }

  /**
   * A quorum has acknowledged every round up to `confirmed`: the lease
   * extends to when that round was sent, and the reads it confirms are
   * handed out, oldest first.
   */
  release(confirmed: number): readonly PendingRead[] {
    assert(confirmed <= this.round, `confirmed round ${confirmed} was sent (${this.round})`);
    const sent = this.roundSentTick.get(confirmed);
    if (sent !== undefined && sent > this.leaseStartTick) this.leaseStartTick = sent;
    for (const s of this.roundSentTick.keys()) if (s < confirmed) this.roundSentTick.delete(s);
    if (this.pending.length === 0) return NO_READS;
    let done = 0;
    for (const read of this.pending) {
      if (read.seq > confirmed) break;
      done++;
    }
    return done === 0 ? NO_READS : this.pending.splice(0, done);
  }

  /** The lease (§6.4.1): a confirmed round was sent less than `leaseTicks` before tick `now`. */
  leaseHolds(now: number, leaseTicks: number): boolean {
    return now - this.leaseStartTick < leaseTicks;
  }

  /**
   * Checks what holds between steps: reads wait in round order for rounds
   * at most one ahead of the last sent, at indexes within `committed`, and
   * the lease never starts after `tick`; throws an `AssertionError` otherwise.
   */
  checkInvariants(committed: number, tick: number): void {
    let seq = 0;
    for (const read of this.pending) {
      if (read.seq < seq) invariantBroken(`read ${read.ctx} waits in round order`);
      if (read.seq > this.round + 1) invariantBroken(`read ${read.ctx} waits for the next round`);
      if (read.index > committed) invariantBroken(`read ${read.ctx} at ${read.index} is committed`);
      seq = read.seq;
    }
    assert(this.leaseStartTick <= tick, "the lease starts by the current tick");
    for (const s of this.roundSentTick.keys()) {
      if (s > this.round) invariantBroken(`round ${s} was sent (last ${this.round})`);
    }
  }
}
