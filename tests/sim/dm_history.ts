/**
 * What the data-model checker is given: the committed log as the nodes
 * applied it (each entry with the outcome and changes a node reported), and
 * every client operation with its call and return on one logical clock, the
 * simulated time it was called at, what it answered, and the highest index
 * any node had applied when it returned.
 *
 * @module
 */

import type {
  KvRecord,
  PutOptions,
  PutResult,
  ReadLevel,
  ScanRequest,
  ScanResult,
  TxnRequest,
  TxnResult,
} from "../../src/api.ts";
import type { ApplyResult } from "../../src/kv/results.ts";
import type { Entry } from "../../src/raft/types.ts";
import { describeResult } from "./dm_describe.ts";

/** What a client asked for. */
export type DmInput =
  | { kind: "put"; key: string; value: string; options: PutOptions }
  | { kind: "delete"; key: string; prevIndex?: number }
  | { kind: "get"; key: string; level: ReadLevel }
  | { kind: "scan"; request: ScanRequest; level: ReadLevel; listing: number }
  | { kind: "deletePrefix"; prefix: string }
  | { kind: "txn"; request: TxnRequest }
  | { kind: "leaseGrant"; ttlMs: number }
  | { kind: "leaseRevoke"; id: number }
  | { kind: "keepAlive"; id: number }
  /** A watch opened without `fromIndex`: it answers the first index it covers. */
  | { kind: "watchStart"; level: ReadLevel };

/** What an operation answered, by kind. */
export type DmResult =
  | PutResult
  | { deleted: boolean; index: number }
  | { record: KvRecord | null }
  | ScanResult
  | TxnResult
  | { id: number; ttlMs: number }
  | { id: number; deleted: number; index: number }
  | { deleted: number; index: number }
  | { start: number };

/** How an operation ended. */
export type DmOutput =
  | { status: "ok"; result: DmResult }
  /** Refused when its entry applied: a `prevIndex` did not hold. */
  | { status: "precondition"; current: KvRecord | null }
  /** Refused because the lease did not exist (when its entry applied, or on the leader). */
  | { status: "leaseNotFound" }
  /** Certainly never proposed (or a read that was refused). */
  | { status: "refused"; error: string }
  /** May or may not have taken effect. */
  | { status: "unknown"; error: string };

/** One client operation. */
export interface DmOp {
  client: string;
  input: DmInput;
  /** Logical time of the call and of the return (null until it returns, or when it never does). */
  call: number;
  ret: number | null;
  /** Simulated milliseconds when it was called. */
  atMs: number;
  output: DmOutput | null;
  /** The highest index any node had applied when it returned. */
  appliedMax: number;
}

/** An entry as first applied, with its outcome as the node reported it. */
export interface AppliedEntry {
  entry: Entry;
  /** Null for a membership change. */
  result: ApplyResult | null;
  /** {@link describeResult} of `result`, or "" for a membership change. */
  description: string;
}

/**
 * The committed log, from every node's reports of what it applied. A
 * second report of an index must describe the same outcome (every node
 * applies deterministically).
 *
 * @example
 * ```ts
 * import { AppliedLog } from "./dm_history.ts";
 * const log = new AppliedLog();
 * const entry = { index: 1, term: 1, type: "normal" as const, data: new Uint8Array() };
 * log.note("n1", entry, { kind: "noop", index: 1, changes: [] });
 * if (log.note("n2", entry, { kind: "delete", deleted: false, index: 1, changes: [] }) === null) {
 *   throw new Error("a different outcome went unnoticed");
 * }
 * ```
 */
export class AppliedLog {
  readonly entries = new Map<number, AppliedEntry>();
  /** The highest index any node applied (or installed a snapshot at). */
  maxApplied = 0;

  /** Records a node's report; answers what broke when it disagrees with an earlier one. */
  note(node: string, entry: Entry, result: ApplyResult | null): string | null {
    this.maxApplied = Math.max(this.maxApplied, entry.index);
    const description = result === null ? "" : describeResult(result);
    const known = this.entries.get(entry.index);
    if (known === undefined) {
      this.entries.set(entry.index, { entry, result, description });
      return null;
    }
    if (known.description === description) return null;
    return `Determinism: "${node}" applied entry ${entry.index} as ${description}, ` +
      `another node as ${known.description}`;
  }

  /** A snapshot at `index` was installed somewhere. */
  installed(index: number): void {
    this.maxApplied = Math.max(this.maxApplied, index);
  }
}

/**
 * The operations of a run, on one logical clock.
 *
 * @example
 * ```ts
 * import { DmHistory } from "./dm_history.ts";
 * const history = new DmHistory();
 * const op = history.call("c1", { kind: "leaseGrant", ttlMs: 300 }, 0);
 * history.settle(op, { status: "ok", result: { id: 5, ttlMs: 300 } }, 5);
 * if (op.ret === null || op.ret <= op.call || op.appliedMax !== 5) throw new Error();
 * ```
 */
export class DmHistory {
  readonly ops: DmOp[] = [];
  #clock = 0;

  /** The next logical time (shared with the register clients' history). */
  stamp(): number {
    return ++this.#clock;
  }

  /** Records a call now. */
  call(client: string, input: DmInput, atMs: number): DmOp {
    const op = { client, input, call: this.stamp(), ret: null, atMs, output: null, appliedMax: 0 };
    this.ops.push(op);
    return op;
  }

  /** Records how `op` ended; an unknown outcome has no return. */
  settle(op: DmOp, output: DmOutput, appliedMax: number): void {
    op.output = output;
    op.appliedMax = appliedMax;
    if (output.status !== "unknown") op.ret = this.stamp();
  }
}
