/**
 * Simulated clients: puts, deletes and reads at each level on a small
 * keyspace, recorded as a history for the linearizability checker.
 *
 * @module
 */

import type { Operation } from "./linearizability.ts";

/** Keys the clients use: few, so operations collide. */
export const SIM_KEYS: readonly string[] = ["a", "b", "c"];

/** The history and the bookkeeping of the clients. */
export class Workload {
  /** Operations whose outcome is known or indeterminate (writes only), in call order. */
  readonly history: Operation[] = [];
  /** Stale reads: checked only against values ever written. */
  readonly staleReads: { key: string; value: string | null }[] = [];
  readonly written = new Map<string, Set<string>>();
  readonly stats = { issued: 0, ok: 0, refused: 0, indeterminate: 0, dropped: 0 };
  /** A total order of calls and returns. */
  private clock = 0;
  private nextClient = 0;
  private valueSeq = 0;
  private readonly idle: number[] = [];

  /** @param clients how many clients run at once */
  constructor(clients: number) {
    for (let i = 0; i < clients; i++) this.idle.push(this.nextClient++);
  }

  /** A free client, or -1. */
  takeClient(): number {
    return this.idle.pop() ?? -1;
  }

  /** A unique value for a put. */
  newValue(key: string): string {
    const value = `v${++this.valueSeq}`;
    let set = this.written.get(key);
    if (set === undefined) this.written.set(key, set = new Set());
    set.add(value);
    return value;
  }

  /** Records a call now. */
  call(client: number, input: Operation["input"]): Operation {
    this.stats.issued++;
    return { client, input, call: ++this.clock, ret: null, output: null };
  }

  /** The operation never reached the log or the read was refused: it did not happen. */
  refuse(op: Operation): void {
    this.stats.refused++;
    this.idle.push(op.client);
  }

  /** The operation completed with `output`. */
  complete(op: Operation, output: Operation["output"]): void {
    this.stats.ok++;
    op.ret = ++this.clock;
    op.output = output;
    this.history.push(op);
    this.idle.push(op.client);
  }

  /** A stale read completed: it is checked only for plausibility. */
  completeStale(op: Operation, value: string | null): void {
    this.stats.ok++;
    this.staleReads.push({ key: op.input.key, value });
    this.idle.push(op.client);
  }

  /**
   * The outcome is unknown (timeout, crash). A write may still take effect:
   * it stays in the history without a return and its client is replaced.
   */
  abandon(op: Operation): void {
    if (op.input.kind === "get") {
      this.stats.dropped++;
      this.idle.push(op.client);
      return;
    }
    this.stats.indeterminate++;
    this.history.push(op);
    this.idle.push(this.nextClient++);
  }

  /** Stale reads must return a value that was written to that key, or nothing. */
  checkStaleReads(): string | null {
    for (const read of this.staleReads) {
      if (read.value !== null && this.written.get(read.key)?.has(read.value) !== true) {
        return `Stale read of "${read.key}" returned "${read.value}", never written`;
      }
    }
    return null;
  }
}
