/**
 * The data-model checker: the committed log is the order every write took
 * effect in, and each client operation is checked against that order.
 *
 * Why the log and not a search: every write is one log entry (a
 * transaction, a prefix delete or a lease revocation too), so the entry's
 * index is its linearization point, and the log is known in full once the
 * run ends. A multi-key search over all orders would cost far more and
 * learn nothing the log does not say. So, replayed through the reference
 * model (`dm_replay.ts`), each operation must be explained by the log:
 *
 * - A write that answered sits at the index it answered, that entry is its
 *   command, and the answer is what the model computes there (a CAS that
 *   succeeded saw the `modIndex` it compared; a transaction's comparisons,
 *   results and changes are one step at one index).
 * - A write refused when it applied (a CAS that did not hold, a missing
 *   lease) has its entry in the log, and the model refuses it there the same
 *   way; a write refused as never proposed is not in the log.
 * - Real time: an operation that finished before another was called has a
 *   lower point; a write lands after every point finished before its call.
 *   A read's point is the lowest index in its window at which the model
 *   shows what it read; a scan reports its index, and the page must be the
 *   model's cut at exactly that index. Stale reads only need some index
 *   before their return.
 *
 * Reads are checked by `dm_read_check.ts`, lease expiry by `lease_check.ts`
 * and watches by `watch_check.ts`.
 *
 * @module
 */

import type { KvRecord, PutResult, ScanResult, TxnResult } from "../../src/api.ts";
import type { Command } from "../../src/kv/command_types.ts";
import {
  describeAsView,
  describeTxn,
  describeTxnOutcome,
  describeTxnResultAsView,
  describeView,
} from "./dm_describe.ts";
import type { AppliedLog, DmInput, DmOp } from "./dm_history.ts";
import {
  checkGet,
  checkKeepAlive,
  checkListings,
  checkScan,
  checkWatchStart,
  fail,
  type Point,
  Violation,
} from "./dm_read_check.ts";
import { checkLeaseExpiry } from "./lease_check.ts";
import { describeCommand, putKey, type Replayed, replayLog } from "./dm_replay.ts";

type GetResult = { record: KvRecord | null };
import { checkWatches, type WatchRecord } from "./watch_check.ts";

/** Everything the checker is given at the end of a run. */
export interface DmCheckInput {
  log: AppliedLog;
  ops: readonly DmOp[];
  watches: readonly WatchRecord[];
  /** When entry `index` of `term` was first in a node's log (simulated ms), if seen. */
  proposedAtMs(index: number, term: number): number | undefined;
}

/**
 * Checks a run's data-model operations; answers the first violation, or null.
 *
 * @example
 * ```ts
 * import { checkDataModel } from "./dm_check.ts";
 * import { AppliedLog, DmHistory } from "./dm_history.ts";
 * const history = new DmHistory();
 * const op = history.call("c1", { kind: "get", key: "k", level: "consistent" }, 0);
 * history.settle(op, { status: "ok", result: { record: null } }, 0);
 * const verdict = checkDataModel({ log: new AppliedLog(), ops: history.ops, watches: [], proposedAtMs: () => 0 });
 * if (verdict !== null) throw new Error(verdict);
 * ```
 */
export function checkDataModel(input: DmCheckInput): string | null {
  const replayed = replayLog(input.log);
  if (typeof replayed === "string") return replayed;
  return new OpChecker(replayed).check(input.ops) ??
    checkLeaseExpiry(replayed, input) ??
    checkWatches(input.log, input.watches);
}

class OpChecker {
  readonly #r: Replayed;
  /** The lowest point an operation may have: the highest of those finished before its call. */
  readonly #low = new Map<DmOp, number>();

  constructor(replayed: Replayed) {
    this.#r = replayed;
  }

  check(ops: readonly DmOp[]): string | null {
    const events: { time: number; op: DmOp; call: boolean }[] = [];
    for (const op of ops) {
      events.push({ time: op.call, op, call: true });
      if (op.ret !== null) events.push({ time: op.ret, op, call: false });
    }
    events.sort((a, b) => a.time - b.time);
    let reached = 0;
    try {
      for (const event of events) {
        if (event.call) this.#low.set(event.op, reached);
        else reached = Math.max(reached, this.#point(event.op) ?? 0);
      }
      for (const op of ops) if (op.ret === null) this.#unanswered(op);
      checkListings(ops);
    } catch (error) {
      if (error instanceof Violation) return error.message;
      throw error;
    }
    return null;
  }

  #point(op: DmOp): Point {
    const output = op.output!;
    if (output.status === "refused") return this.#refused(op);
    if (output.status === "unknown") return null;
    if (output.status === "precondition" || output.status === "leaseNotFound") {
      return this.#refusedAtApply(op);
    }
    return this.#answered(op, output.result);
  }

  #answered(op: DmOp, result: unknown): Point {
    const input = op.input;
    const low = this.#low.get(op)!;
    switch (input.kind) {
      case "put":
        return this.#put(op, input, result as PutResult);
      case "delete":
        return this.#delete(op, input, result as { deleted: boolean; index: number });
      case "get":
        return checkGet(this.#r.model, { ...op, input }, (result as GetResult).record, low);
      case "scan":
        return checkScan(this.#r.model, { ...op, input }, result as ScanResult, low);
      case "txn":
        return this.#txn(op, input, result as TxnResult);
      case "deletePrefix":
      case "leaseRevoke":
        return this.#counted(op, input, result as { deleted: number; index: number });
      case "leaseGrant": {
        const { id } = result as { id: number };
        this.#write(op, id, (c) => c?.kind === "leaseGrant" && c.ttlMs === input.ttlMs);
        return id;
      }
      case "keepAlive":
        return checkKeepAlive(this.#r.model, op, input.id, low);
      case "watchStart":
        return checkWatchStart(op, (result as { start: number }).start, low);
    }
  }

  /** A write answered at `index`: in its window, of the right command; the model's outcome there. */
  #write(op: DmOp, index: number, matches: (command: Command | null | undefined) => boolean) {
    const low = this.#low.get(op)!;
    if (index <= low) {
      fail(
        op,
        `Real time: it took effect at index ${index}, but an operation that finished before ` +
          `it was called had reached index ${low}`,
      );
    }
    if (index > op.appliedMax) {
      fail(op, `It answered index ${index}, beyond the ${op.appliedMax} any node had applied`);
    }
    const command = this.#r.commands.get(index);
    if (!matches(command)) {
      fail(op, `It answered index ${index}, where the log holds ${describeCommand(command)}`);
    }
    return this.#r.results.get(index)!;
  }

  #put(op: DmOp, input: Extract<DmInput, { kind: "put" }>, result: PutResult): number {
    const { index } = result;
    const key = putKey(input.key, input.value);
    const applied = this.#write(
      op,
      index,
      (c) => c?.kind === "put" && putKey(c.key, c.value) === key,
    );
    const before = this.#r.model.recordAt(input.key, index - 1);
    const { prevIndex, lease, ttlMs } = input.options;
    if (prevIndex !== undefined && (before?.modIndex ?? 0) !== prevIndex) {
      fail(
        op,
        `CAS: the put succeeded at index ${index} with prevIndex ${prevIndex}, but the key was ` +
          `${describeAsView(before)} then`,
      );
    }
    if (lease !== undefined && !this.#r.model.leaseAliveAt(lease, index - 1)) {
      fail(op, `The put on lease ${lease} succeeded at index ${index}, but the lease was gone`);
    }
    if (applied.kind !== "put") fail(op, `It succeeded, but its entry applied as ${applied.kind}`);
    if ("created" in result && result.created !== (before === null)) {
      fail(op, `It answered created=${result.created}, but the key was ${describeAsView(before)}`);
    }
    if (ttlMs !== undefined && result.lease !== index) {
      fail(op, `A put with a TTL at index ${index} answered lease ${result.lease}`);
    }
    return index;
  }

  #delete(
    op: DmOp,
    input: Extract<DmInput, { kind: "delete" }>,
    result: { deleted: boolean; index: number },
  ): number {
    const { index, deleted } = result;
    this.#write(op, index, (c) => c?.kind === "delete" && c.key === input.key);
    const before = this.#r.model.recordAt(input.key, index - 1);
    if (input.prevIndex !== undefined && (before?.modIndex ?? 0) !== input.prevIndex) {
      fail(
        op,
        `CAS: the delete succeeded at index ${index} with prevIndex ${input.prevIndex}, but the ` +
          `key was ${describeAsView(before)} then`,
      );
    }
    if (deleted !== (before !== null)) {
      fail(op, `It answered deleted=${deleted}, but the key was ${describeAsView(before)}`);
    }
    return index;
  }

  /** A prefix delete or a revocation: its entry, and as many keys deleted as the model says. */
  #counted(
    op: DmOp,
    input: Extract<DmInput, { kind: "deletePrefix" | "leaseRevoke" }>,
    result: { deleted: number; index: number },
  ): number {
    const applied = this.#write(
      op,
      result.index,
      (c) =>
        input.kind === "deletePrefix"
          ? c?.kind === "deletePrefix" && c.prefix === input.prefix
          : c?.kind === "leaseRevoke" && c.id === input.id,
    );
    const deleted = applied.kind === input.kind ? applied.deleted : applied.kind;
    if (deleted !== result.deleted) {
      fail(
        op,
        `It answered ${result.deleted} keys deleted at index ${result.index}, the model ${deleted}`,
      );
    }
    return result.index;
  }

  #txn(op: DmOp, input: Extract<DmInput, { kind: "txn" }>, result: TxnResult): number {
    const request = describeTxn(input.request);
    const applied = this.#write(
      op,
      result.index,
      (c) => c?.kind === "txn" && describeTxn(c) === request,
    );
    if (applied.kind !== "txn") fail(op, `The transaction applied as ${applied.kind}`);
    if (applied.succeeded !== result.succeeded) {
      fail(
        op,
        `Transaction: it answered succeeded=${result.succeeded}, but its comparisons give ` +
          `${applied.succeeded} at index ${result.index - 1}`,
      );
    }
    const got = result.results.map(describeTxnOutcome).join("; ");
    const expected = applied.results.map(describeTxnResultAsView).join("; ");
    if (got !== expected) fail(op, `Transaction: it answered (${got}), the model (${expected})`);
    return result.index;
  }

  /** A put refused as never proposed must not be in the log. */
  #refused(op: DmOp): Point {
    const input = op.input;
    if (input.kind !== "put") return null;
    const at = this.#r.puts.get(putKey(input.key, input.value));
    if (at !== undefined) {
      fail(op, `It was refused as never proposed, but the log holds it at index ${at.join(", ")}`);
    }
    return null;
  }

  /** A write whose outcome is unknown: if in the log, it was proposed after its call. */
  #unanswered(op: DmOp): void {
    const input = op.input;
    if (input.kind !== "put") return;
    const at = this.#r.puts.get(putKey(input.key, input.value)) ?? [];
    if (at.length > 1) fail(op, `The log holds it more than once: at index ${at.join(", ")}`);
    const low = this.#low.get(op)!;
    if (at.length === 1 && at[0]! <= low) {
      fail(
        op,
        `Real time: its entry is at index ${at[0]}, but an operation that finished before it ` +
          `was called had reached index ${low}`,
      );
    }
  }

  /**
   * Refused when its entry applied: an entry of it in its window is refused
   * the same way by the model (deletes, transactions and revocations are not
   * unique: any identical one will do).
   */
  #refusedAtApply(op: DmOp): Point {
    const output = op.output!;
    if (op.input.kind === "keepAlive") return null;
    const low = this.#low.get(op)!;
    const reason = output.status === "precondition" ? "precondition" : "leaseNotFound";
    const seen = output.status === "precondition" ? describeView(output.current) : "";
    const found: string[] = [];
    for (const index of this.#candidates(op, low)) {
      const applied = this.#r.results.get(index)!;
      const refusal = applied.kind === "refused" ? applied.refusal : null;
      const current = refusal?.reason === "precondition" ? describeAsView(refusal.current) : "";
      if (refusal?.reason === reason && current === seen) return index;
      found.push(`@${index} ${applied.kind} ${refusal?.reason ?? ""} ${current}`);
    }
    return fail(
      op,
      `It was refused (${reason}) as if its entry applied, but no entry of it from index ` +
        `${low + 1} to ${op.appliedMax} was refused so (${found.join(", ") || "none"}): ` +
        `the condition was not decided when an entry applied`,
    );
  }

  /** Indexes in the operation's window whose command is the operation's. */
  #candidates(op: DmOp, low: number): number[] {
    const input = op.input;
    if (input.kind === "put") {
      const at = this.#r.puts.get(putKey(input.key, input.value)) ?? [];
      return at.filter((index) => index > low && index <= op.appliedMax);
    }
    const found: number[] = [];
    for (let index = low + 1; index <= op.appliedMax; index++) {
      const c = this.#r.commands.get(index);
      if (c === undefined || c === null) continue;
      const same = (input.kind === "delete" && c.kind === "delete" && c.key === input.key &&
        c.prevIndex === (input.prevIndex ?? -1)) ||
        (input.kind === "txn" && c.kind === "txn" &&
          describeTxn(c) === describeTxn(input.request)) ||
        (input.kind === "leaseRevoke" && c.kind === "leaseRevoke" && c.id === input.id);
      if (same) found.push(index);
    }
    return found;
  }
}
