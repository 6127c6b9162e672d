/**
 * Requests waiting inside a node: writes keyed by the (index, term) of their
 * entry, reads keyed by their read id and then by the index they wait for.
 * Every waiter has a deadline; the driver sweeps them on each tick.
 *
 * @module
 */

import { UnavailableError } from "./api.ts";

/** A promise's settle functions. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A write waiting for its entry to apply. */
export interface WriteWaiter<T> extends Settle<T> {
  term: number;
  deadline: number;
}

/** A read waiting for its read index, then for the state machine to reach it. */
export interface ReadWaiter extends Settle<void> {
  /** -1 until the read index is known. */
  index: number;
  deadline: number;
}

/** The writes and reads a node owes answers to. */
export class Waiters<T> {
  private readonly writes = new Map<number, WriteWaiter<T>>();
  private readonly reads = new Map<number, ReadWaiter>();
  /** Reads with a known index, in index order of arrival. */
  private readonly ready: ReadWaiter[] = [];
  private readSeq = 0;

  /** Writes not yet answered. */
  get writeCount(): number {
    return this.writes.size;
  }

  /** Waits for the entry at `index` of `term`. */
  addWrite(index: number, waiter: WriteWaiter<T>): void {
    this.writes.set(index, waiter);
  }

  /** The entry at `index` applied with `result`, or was overwritten by one of another term. */
  applied(index: number, term: number, result: () => T): void {
    const waiter = this.writes.get(index);
    if (waiter === undefined) return;
    this.writes.delete(index);
    if (waiter.term === term) waiter.resolve(result());
    else waiter.reject(new UnavailableError("Leadership changed; the write was not applied"));
  }

  /** Registers a read; returns its id. */
  addRead(waiter: ReadWaiter): number {
    const ctx = ++this.readSeq;
    this.reads.set(ctx, waiter);
    return ctx;
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

  /** Fails everything past its deadline. */
  expire(now: number): void {
    const timeout = () => new UnavailableError("Request timed out waiting for the cluster");
    for (const [index, waiter] of this.writes) {
      if (waiter.deadline <= now) {
        this.writes.delete(index);
        waiter.reject(timeout());
      }
    }
    for (const [ctx, waiter] of this.reads) {
      if (waiter.deadline <= now) {
        this.reads.delete(ctx);
        waiter.reject(timeout());
      }
    }
    let kept = 0;
    for (const waiter of this.ready) {
      if (waiter.deadline <= now) waiter.reject(timeout());
      else this.ready[kept++] = waiter;
    }
    this.ready.length = kept;
  }

  /** Fails every write (a leadership change) or every read too (shutdown). */
  failAll(error: Error, reads: boolean): void {
    for (const waiter of this.writes.values()) waiter.reject(error);
    this.writes.clear();
    if (!reads) return;
    for (const waiter of this.reads.values()) waiter.reject(error);
    this.reads.clear();
    for (const waiter of this.ready) waiter.reject(error);
    this.ready.length = 0;
  }
}
