/**
 * One line of text for each thing the data-model checker compares: a
 * record, a change, an entry's outcome, a transaction request, a record as
 * the API shows it. Equal things describe equally, whatever the order of
 * their fields, so that the checker compares strings and prints them when
 * they differ.
 *
 * @module
 */

import type { KeyInfo, KvRecord, TxnOpOutcome, TxnRequest } from "../../src/api.ts";
import type { Compare, TxnOp } from "../../src/kv/command_types.ts";
import type { ApplyResult, Change, StoredRecord, TxnOpResult } from "../../src/kv/results.ts";
import type { Value } from "../../src/kv/value.ts";

/** A value: text quoted, bytes in hex. */
export function describeValue(value: Value | null): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  return `0x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A stored record, or null. */
export function describeRecord(record: StoredRecord | null): string {
  if (record === null) return "null";
  return `${JSON.stringify(record.key)}=${describeValue(record.value)}` +
    ` c${record.createIndex} m${record.modIndex} l${record.lease}`;
}

/** A record as the API shows it (text values only in the simulator), or null. */
export function describeView(view: KvRecord | KeyInfo | null): string {
  if (view === null) return "null";
  const value = "value" in view
    ? view.encoding === undefined ? JSON.stringify(view.value) : `base64:${view.value}`
    : "(key only)";
  return `${JSON.stringify(view.key)}=${value} c${view.createIndex} m${view.modIndex} l${
    view.lease ?? 0
  }`;
}

/** A stored record as the API would show it (`keysOnly` without its value). */
export function describeAsView(record: StoredRecord | null, keysOnly = false): string {
  if (record === null) return "null";
  const value = keysOnly ? "(key only)" : describeValue(record.value);
  return `${
    JSON.stringify(record.key)
  }=${value} c${record.createIndex} m${record.modIndex} l${record.lease}`;
}

/** One change of an entry. */
export function describeChange(change: Change): string {
  return `${change.type} ${JSON.stringify(change.key)}=${describeValue(change.value)}` +
    ` c${change.createIndex} m${change.modIndex} l${change.lease} prev(${
      describeRecord(change.prev)
    })`;
}

function describeTxnResult(result: TxnOpResult): string {
  switch (result.op) {
    case "put":
      return `put ${JSON.stringify(result.key)}`;
    case "delete":
      return `delete ${JSON.stringify(result.key)} ${result.deleted}`;
    case "get":
      return `get ${describeRecord(result.record)}`;
    case "deletePrefix":
      return `deletePrefix ${JSON.stringify(result.prefix)} ${result.deleted}`;
  }
}

/** What a transaction operation did as the API shows it, in the form of {@link describeTxnResult}. */
export function describeTxnOutcome(outcome: TxnOpOutcome): string {
  if ("put" in outcome) return `put ${JSON.stringify(outcome.put.key)}`;
  if ("delete" in outcome) {
    return `delete ${JSON.stringify(outcome.delete.key)} ${outcome.delete.deleted}`;
  }
  if ("get" in outcome) return `get ${describeView(outcome.get.record)}`;
  return `deletePrefix ${
    JSON.stringify(outcome.deletePrefix.prefix)
  } ${outcome.deletePrefix.deleted}`;
}

/** A transaction result as the model has it, in the form of {@link describeTxnOutcome}. */
export function describeTxnResultAsView(result: TxnOpResult): string {
  if (result.op !== "get") return describeTxnResult(result);
  return `get ${describeAsView(result.record)}`;
}

/** What applying an entry did: its outcome and every change. */
export function describeResult(result: ApplyResult): string {
  const changes = (result.changes ?? []).map(describeChange).join("; ");
  return `${outcomeOf(result)} [${changes}]`;
}

function outcomeOf(result: ApplyResult): string {
  switch (result.kind) {
    case "noop":
      return `noop@${result.index}`;
    case "put": {
      const lease = result.grantedLease ?? null;
      return `put@${result.index} granted=${
        lease === null ? "none" : `${lease.id}/${lease.ttlMs}`
      }`;
    }
    case "delete":
      return `delete@${result.index} deleted=${result.deleted}`;
    case "deletePrefix":
      return `deletePrefix@${result.index} deleted=${result.deleted}`;
    case "txn":
      return `txn@${result.index} succeeded=${result.succeeded} (${
        result.results.map(describeTxnResult).join(", ")
      })`;
    case "leaseGrant":
      return `leaseGrant@${result.index} id=${result.id} ttl=${result.ttlMs}`;
    case "leaseRevoke":
      return `leaseRevoke@${result.index} id=${result.id} deleted=${result.deleted}`;
    case "refused": {
      const r = result.refusal;
      const why = r.reason === "precondition"
        ? `precondition ${JSON.stringify(r.key)} current=${describeRecord(r.current)}`
        : r.reason === "quota"
        ? `quota ${r.dataBytes}/${r.quotaBytes}`
        : `leaseNotFound ${r.lease}`;
      return `refused@${result.index} ${why}`;
    }
  }
}

function describeCompare(compare: Compare): string {
  const key = JSON.stringify(compare.key);
  if (compare.target === "modIndex") return `${key} modIndex=${compare.modIndex}`;
  if (compare.target === "exists") return `${key} exists=${compare.exists}`;
  return `${key} value=${describeValue(compare.value)}`;
}

function describeOp(op: TxnOp): string {
  if (op.op === "deletePrefix") return `deletePrefix ${JSON.stringify(op.prefix)}`;
  if (op.op === "put") {
    return `put ${JSON.stringify(op.key)}=${describeValue(op.value)} l${op.lease}`;
  }
  return `${op.op} ${JSON.stringify(op.key)}`;
}

/** A transaction's comparisons and branches. */
export function describeTxn(txn: TxnRequest): string {
  return `if (${txn.compare.map(describeCompare).join(", ")}) then (${
    txn.success.map(describeOp).join(", ")
  }) else (${txn.failure.map(describeOp).join(", ")})`;
}
