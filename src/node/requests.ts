/**
 * The requests a node owes answers to: proposals and reads queued for the
 * next turn of the loop, then writes waiting for their entry to apply (keyed
 * by index, checked against the term they were proposed in) and reads
 * waiting for their read index and then for the state machine to reach it.
 * Every waiter has a deadline; a change of leader fails what it makes
 * hopeless, saying whether a write may still take effect.
 *
 * @module
 */

import { NotLeaderError, UnavailableError } from "../api.ts";
import type { ApplyResult } from "../kv/state_machine.ts";
import type { ConfChange } from "../raft/types.ts";
import { Slabs } from "../bytes/slabs.ts";
import { WriteWaiters } from "./write_waiters.ts";

/** A promise's settle functions. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A proposal queued for the next turn. */
export interface Proposal extends Settle<ApplyResult> {
  /** The command, or empty for a membership change. */
  data: Uint8Array;
  conf: ConfChange | null;
  deadline: number;
}

interface WriteWaiter extends Settle<ApplyResult> {
  term: number;
  deadline: number;
}

interface ReadWaiter extends Settle<void> {
  /** -1 until the read index is known. */
  index: number;
  deadline: number;
}

/** Settings of {@link Requests}. */
export interface RequestsOptions {
  /** Writes queued or waiting before new ones are refused. */
  proposalsInflightMax: number;
  /** How long a request may wait, in milliseconds. */
  requestTimeoutMs: number;
  /** The clock deadlines are measured on. */
  nowMs(): number;
  /**
   * The id before this start's first read (default 0). A follower's read id
   * travels to the leader and back, and an answer to an earlier start of
   * the node can arrive after a restart: each start must number its reads
   * apart, or that answer would release a new read with a stale index.
   */
  readIdBase?: number;
}

/**
 * Queues and waiters of one node.
 *
 * @example
 * ```ts
 * import { Requests } from "./requests.ts";
 * const requests = new Requests({ proposalsInflightMax: 1, requestTimeoutMs: 100, nowMs: () => 0 });
 * const write = requests.propose(new Uint8Array([1]), null);
 * const [p] = requests.takeProposals();
 * requests.proposed(p!, 7, 2);
 * requests.applied(7, 2, { kind: "put", index: 7 });
 * if ((await write).index !== 7) throw new Error();
 * ```
 */
export class Requests {
  private proposals: Proposal[] = [];
  private readQueue: number[] = [];
  private readonly writes = new WriteWaiters<WriteWaiter>();
  private readonly reads = new Map<number, ReadWaiter>();
  /** Reads with a known index, in order of arrival. */
  private readonly ready: ReadWaiter[] = [];
  private readSeq = 0;
  /** Requests waiting for any leader to be known, with their deadlines. */
  private leaderWaiters: (Settle<void> & { deadline: number })[] = [];
  private readonly options: RequestsOptions;
  private readonly slabs = new Slabs();

  /** @param options bounds and the clock */
  constructor(options: RequestsOptions) {
    this.options = options;
    this.readSeq = options.readIdBase ?? 0;
  }

  /** Writes queued or waiting to apply. */
  get writeCount(): number {
    return this.writes.size + this.proposals.length;
  }

  /** Queues a proposal for the next turn; refuses at once past the in-flight bound. */
  propose(data: Uint8Array, conf: ConfChange | null): Promise<ApplyResult> {
    if (this.writeCount >= this.options.proposalsInflightMax) {
      return Promise.reject(new UnavailableError("Too many writes in flight; retry shortly"));
    }
    // Copied at once: the caller may reuse its buffer, and the log keeps
    // the command in a shared slab rather than a buffer of its own.
    const copy = this.slabs.copy(data);
    return new Promise((resolve, reject) => {
      this.proposals.push({ data: copy, conf, deadline: this.deadline(), resolve, reject });
    });
  }

  /** Queues a read for the next turn; resolves once it may be served. */
  read(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ctx = ++this.readSeq;
      this.reads.set(ctx, { index: -1, deadline: this.deadline(), resolve, reject });
      this.readQueue.push(ctx);
    });
  }

  /**
   * Resolves once a leader is known (`leaderFound`), or fails at `deadline`
   * (by default the request deadline of a request arriving now).
   */
  waitForLeader(deadline = this.deadline()): Promise<void> {
    return new Promise((resolve, reject) => {
      this.leaderWaiters.push({ resolve, reject, deadline });
    });
  }

  /**
   * `p` met a node that had just stopped leading and knew no leader yet: it
   * waits for one within its own deadline, then is queued again (proposed
   * if this node leads, else answered with the leader's address), instead
   * of failing at once for want of a leader.
   */
  retryOnLeader(p: Proposal): Promise<void> {
    return this.waitForLeader(p.deadline).then(() => {
      this.proposals.push(p);
    }, p.reject);
  }

  /** A leader is known: requests waiting for one go on. */
  leaderFound(): void {
    const waiters = this.leaderWaiters;
    this.leaderWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** The proposals queued since the last turn, their commands in shared slabs. */
  takeProposals(): Proposal[] {
    const out = this.proposals;
    this.proposals = [];
    return out;
  }

  /** The read ids queued since the last turn. */
  takeReads(): number[] {
    const out = this.readQueue;
    this.readQueue = [];
    return out;
  }

  /** The core took `p` at `index` of `term`: it now waits for that entry to apply. */
  proposed(p: Proposal, index: number, term: number): void {
    this.writes.add(index, { term, deadline: p.deadline, resolve: p.resolve, reject: p.reject });
  }

  /** The entry at `index` applied with `result`, or was overwritten by one of another term. */
  applied(index: number, term: number, result: ApplyResult): void {
    const waiter = this.writes.take(index);
    if (waiter === undefined) return;
    if (waiter.term === term) waiter.resolve(result);
    else waiter.reject(new UnavailableError("Leadership changed; the write was not applied"));
  }

  /** The read `ctx` may be served once `index` is applied. */
  readIndexKnown(ctx: number, index: number): void {
    const waiter = this.reads.get(ctx);
    if (waiter === undefined) return;
    this.reads.delete(ctx);
    waiter.index = index;
    this.ready.push(waiter);
  }

  /** Answers every read whose index is at or below `applied`. */
  serveReads(applied: number): void {
    if (this.ready.length === 0) return;
    let kept = 0;
    for (const waiter of this.ready) {
      if (waiter.index <= applied) waiter.resolve();
      else this.ready[kept++] = waiter;
    }
    this.ready.length = kept;
  }

  /** Fails a read that could not be started. */
  dropRead(ctx: number, error: Error): void {
    const waiter = this.reads.get(ctx);
    if (waiter === undefined) return;
    this.reads.delete(ctx);
    waiter.reject(error);
  }

  /** Fails everything past its deadline; a write that timed out may still apply. */
  expire(now: number): void {
    const timeout = (indeterminate: boolean) =>
      new UnavailableError("Request timed out waiting for the cluster", indeterminate);
    for (const waiter of this.writes.takeExpired(now)) waiter.reject(timeout(true));
    for (const [ctx, waiter] of this.reads) {
      if (waiter.deadline > now) continue;
      this.reads.delete(ctx);
      waiter.reject(timeout(false));
    }
    let kept = 0;
    for (const waiter of this.ready) {
      if (waiter.deadline <= now) waiter.reject(timeout(false));
      else this.ready[kept++] = waiter;
    }
    this.ready.length = kept;
    const noLeader = this.leaderWaiters.filter((w) => w.deadline <= now);
    if (noLeader.length === 0) return;
    this.leaderWaiters = this.leaderWaiters.filter((w) => w.deadline > now);
    for (const waiter of noLeader) waiter.reject(new NotLeaderError(""));
  }

  /** This node stopped leading: its proposed writes may or may not commit. */
  leadershipLost(): void {
    const error = new UnavailableError(
      "Leadership changed before the write committed; it may or may not apply",
      true,
    );
    for (const waiter of this.writes.takeAll()) waiter.reject(error);
  }

  /** The leader changed: reads waiting on the old one never get an answer. */
  leaderChanged(): void {
    const error = new UnavailableError("Leader changed");
    this.leadershipLost();
    for (const waiter of this.reads.values()) waiter.reject(error);
    this.reads.clear();
    for (const waiter of this.ready) waiter.reject(error);
    this.ready.length = 0;
  }

  /**
   * Fails everything queued or waiting with `message`: the node stops (or
   * starts over in another cluster). Writes already proposed may still apply.
   */
  failAll(message: string): void {
    const error = new UnavailableError(message);
    for (const p of this.takeProposals()) p.reject(error);
    this.readQueue = [];
    const proposed = new UnavailableError(message, true);
    for (const waiter of this.writes.takeAll()) waiter.reject(proposed);
    for (const waiter of this.reads.values()) waiter.reject(error);
    this.reads.clear();
    for (const waiter of this.ready) waiter.reject(error);
    this.ready.length = 0;
    for (const waiter of this.leaderWaiters) waiter.reject(error);
    this.leaderWaiters = [];
  }

  private deadline(): number {
    return this.options.nowMs() + this.options.requestTimeoutMs;
  }
}
