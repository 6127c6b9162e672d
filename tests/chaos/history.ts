/**
 * What the chaos clients recorded, and what it must satisfy. Each operation
 * is one client request (following redirects) with its invocation and
 * completion time and one of three outcomes: ok, failed (certainly not
 * applied: refused before it was proposed, or never sent), or indeterminate
 * (a write whose fate is unknown: a timeout, a lost connection, a 503 that
 * does not say it was never proposed). Indeterminate writes may take effect
 * at any later point. A compare-and-swap is a transaction that puts a new
 * value only when the key holds the one compared (or is absent), and
 * otherwise reads the key: a write when it swapped, a read when not.
 *
 * @module
 */

import type { ReadLevel } from "../../src/api.ts";
import type { Operation } from "../sim/linearizability.ts";

/** The outcome of one operation. */
export type Outcome = "ok" | "failed" | "indeterminate";

/** One client operation of a chaos run. */
export interface OpRecord {
  /** The worker that issued it; final reads after healing use -1. */
  worker: number;
  kind: "put" | "delete" | "get" | "cas";
  key: string;
  /** The unique value of a put or a compare-and-swap; null otherwise. */
  value: string | null;
  /** What a compare-and-swap compared (null: the key is absent); null otherwise. */
  expected: string | null;
  /** The level of a get; null for writes. */
  level: ReadLevel | null;
  /** Milliseconds since the run started. */
  call: number;
  ret: number;
  outcome: Outcome;
  /**
   * What an ok get read, or what an ok compare-and-swap that did not swap
   * found instead (null when absent); null otherwise.
   */
  read: string | null;
  /** Whether an ok delete removed a value; false otherwise. */
  deleted: boolean;
  /** Whether an ok compare-and-swap swapped; false otherwise. */
  swapped: boolean;
  /** The log index an ok write's answer carried; null otherwise. */
  index: number | null;
  /** The node that answered last, or was tried last. */
  node: string;
  /** The final HTTP status, 0 when none arrived. */
  status: number;
  /** The error or answer behind a failed or indeterminate outcome. */
  note: string;
  /** The answer was one no valid request should get (a 400, a 500): a bug somewhere. */
  anomaly: boolean;
}

/** How an answer or error is counted. */
export interface Classified {
  outcome: Outcome;
  anomaly: boolean;
}

/**
 * Classifies a final answer (redirects already followed) to a request of
 * `kind`. A 503 whose body carries `"indeterminate": false` was never
 * proposed; one that says `true`, or says nothing, may still apply.
 *
 * @example
 * ```ts
 * import { classifyAnswer } from "./history.ts";
 * const refused = classifyAnswer("put", 503, { error: "x", indeterminate: false });
 * if (refused.outcome !== "failed") throw new Error("never proposed means failed");
 * ```
 */
export function classifyAnswer(kind: OpRecord["kind"], status: number, body: unknown): Classified {
  const write = kind !== "get";
  if (status === 200 || (!write && status === 404)) return { outcome: "ok", anomaly: false };
  if (status === 503) {
    const flag = typeof body === "object" && body !== null
      ? (body as Record<string, unknown>).indeterminate
      : undefined;
    const outcome = !write || flag === false ? "failed" : "indeterminate";
    return { outcome, anomaly: false };
  }
  // A redirect left after the last hop was never proposed.
  if (status === 307) return { outcome: "failed", anomaly: false };
  // 500 and anything unexpected: a write may have applied; flag it either way.
  return { outcome: write && status >= 500 ? "indeterminate" : "failed", anomaly: true };
}

/** An error and its causes as one line: fetch hides the reason in `cause`. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = (e as Error).cause) {
    parts.push(String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(": ");
}

/**
 * Classifies a request that got no answer. One whose connection could not
 * be made was never sent; any other failure may have come after it was.
 *
 * @example
 * ```ts
 * import { classifyError } from "./history.ts";
 * const cause = new Error("client error (Connect): tcp connect error: Connection refused");
 * const error = new TypeError("fetch failed", { cause });
 * if (classifyError("put", error).outcome !== "failed") throw new Error("never sent");
 * ```
 */
export function classifyError(kind: OpRecord["kind"], error: unknown): Classified {
  const text = describeError(error);
  const unsent = text.includes("client error (Connect)") || text.includes("Connection refused");
  return { outcome: kind === "get" || unsent ? "failed" : "indeterminate", anomaly: false };
}

/** An ok put or delete, or an ok compare-and-swap that swapped. */
export function isAcknowledgedWrite(record: OpRecord): boolean {
  if (record.kind === "get" || record.outcome !== "ok") return false;
  return record.kind !== "cas" || record.swapped;
}

/** A put or compare-and-swap that may have written its value: not failed, not refused. */
export function mayHaveWritten(record: OpRecord): boolean {
  if (record.kind !== "put" && record.kind !== "cas") return false;
  if (record.outcome === "failed") return false;
  return record.kind === "put" || record.outcome !== "ok" || record.swapped;
}

/** Reads checked for linearizability: `default` and `consistent`, not `stale`. */
export function isLinearizableRead(record: OpRecord): boolean {
  return record.kind === "get" && record.level !== "stale";
}

/**
 * The records as the linearizability checker takes them: ok operations and
 * indeterminate writes (no return); failed ones and stale reads left out.
 * `source` maps each checker operation back to its record.
 */
export function checkerHistory(
  records: readonly OpRecord[],
): { ops: Operation[]; source: Map<Operation, OpRecord> } {
  const ops: Operation[] = [];
  const source = new Map<Operation, OpRecord>();
  records.forEach((record, client) => {
    if (record.outcome === "failed") return;
    if (record.kind === "get" && (!isLinearizableRead(record) || record.outcome !== "ok")) return;
    const answered = record.outcome === "ok";
    const op: Operation = {
      client,
      input: checkerInput(record),
      call: record.call,
      ret: answered ? Math.max(record.ret, record.call + 1e-6) : null,
      output: answered ? checkerOutput(record) : null,
    };
    ops.push(op);
    source.set(op, record);
  });
  return { ops, source };
}

function checkerInput(record: OpRecord): Operation["input"] {
  const { kind, key } = record;
  if (kind === "put") return { kind, key, value: record.value ?? "" };
  if (kind === "cas") return { kind, key, expected: record.expected, value: record.value ?? "" };
  return { kind, key };
}

function checkerOutput(record: OpRecord): Operation["output"] {
  if (record.kind === "put") return null;
  if (record.kind === "delete") return { deleted: record.deleted };
  if (record.kind === "get") return { value: record.read };
  return record.swapped ? { swapped: true } : { swapped: false, current: record.read };
}

/**
 * Stale reads may lag but never invent: each must return null or a value
 * whose put was invoked before the read returned and did not certainly fail.
 * Answers one line per violation.
 */
export function staleReadViolations(records: readonly OpRecord[]): string[] {
  const puts = new Map<string, OpRecord>();
  for (const record of records) {
    if (record.kind !== "get" && record.value !== null) puts.set(record.value, record);
  }
  const violations: string[] = [];
  for (const record of records) {
    if (record.kind !== "get" || record.level !== "stale" || record.outcome !== "ok") continue;
    if (record.read === null) continue;
    const put = puts.get(record.read);
    if (
      put === undefined || put.key !== record.key || !mayHaveWritten(put) ||
      put.call > record.ret
    ) {
      violations.push(
        `stale read of "${record.key}" on ${record.node} at ${record.ret.toFixed(0)} ms ` +
          `returned "${record.read}", which no live put wrote`,
      );
    }
  }
  return violations;
}

/**
 * No acknowledged write lost: the value each key ends with (`finals`, read
 * after healing) must not come from a write that an acknowledged write
 * invoked after its completion replaced. Answers one line per lost write.
 */
export function lostWrites(
  records: readonly OpRecord[],
  finals: ReadonlyMap<string, string | null>,
): string[] {
  const lost: string[] = [];
  for (const [key, final] of finals) {
    const writes = records.filter((r) => r.key === key && r.kind !== "get" && r.worker >= 0);
    // When the final value was written (or, for a deleted key, the last a delete could have).
    let since: number;
    if (final === null) {
      const deletes = writes.filter((r) => r.kind === "delete" && r.outcome !== "failed");
      since = deletes.reduce(
        (latest, r) => Math.max(latest, r.outcome === "ok" ? r.ret : Infinity),
        -Infinity,
      );
    } else {
      const writer = writes.find((r) => r.value === final);
      if (writer === undefined || !mayHaveWritten(writer)) {
        lost.push(`"${key}" ends with "${final}", which no live put wrote`);
        continue;
      }
      since = writer.outcome === "ok" ? writer.ret : Infinity;
    }
    for (const write of writes) {
      if (!isAcknowledgedWrite(write) || write.call <= since || write.value === final) continue;
      const what = write.kind === "delete" ? "delete" : `${write.kind} of "${write.value}"`;
      lost.push(
        `"${key}" ends with ${final === null ? "no value" : `"${final}"`}, but the acknowledged ` +
          `${what} at ${write.call.toFixed(0)}-${write.ret.toFixed(0)} ms came after it`,
      );
    }
  }
  return lost;
}

/** One record as a line of a report: `+12.345s w3 n2 put "k1" = "w3-17" ok 200`. */
export function formatRecord(record: OpRecord): string {
  const at = `+${(record.call / 1000).toFixed(3)}s..${(record.ret / 1000).toFixed(3)}s`;
  const what = record.kind === "put"
    ? `put "${record.key}" = "${record.value}"`
    : record.kind === "cas"
    ? `cas "${record.key}" ${JSON.stringify(record.expected)} -> "${record.value}"${
      record.outcome !== "ok"
        ? ""
        : record.swapped
        ? " swapped"
        : ` found ${JSON.stringify(record.read)}`
    }`
    : record.kind === "delete"
    ? `delete "${record.key}"${record.outcome === "ok" ? ` -> deleted: ${record.deleted}` : ""}`
    : `get ${record.level} "${record.key}"${
      record.outcome === "ok" ? ` -> ${JSON.stringify(record.read)}` : ""
    }`;
  const note = record.note === "" ? "" : ` (${record.note})`;
  return `${at} w${record.worker} ${record.node} ${what} ${record.outcome} ${record.status}${note}`;
}
