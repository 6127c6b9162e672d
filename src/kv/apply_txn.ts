/**
 * Applying a transaction as one step: the comparisons read the state before
 * any operation; the chosen branch's operations run in order (a `get` sees
 * the operations before it); if one cannot run (a missing lease) or the
 * whole would pass the quota, every change is taken back and the entry
 * changes nothing.
 *
 * @module
 */

import {
  deletePrefix,
  deleteRecord,
  type KvState,
  putRecord,
  refused,
  undoChanges,
} from "./apply.ts";
import type { Compare, TxnCommand, TxnOp } from "./command_types.ts";
import type { RecordStore } from "./record_store.ts";
import type { ApplyResult, Change, Refusal, TxnOpResult } from "./results.ts";
import { sameValue } from "./value.ts";

/** True when `compare` holds in `store`. */
export function compareHolds(store: RecordStore, compare: Compare): boolean {
  const record = store.get(compare.key);
  switch (compare.target) {
    case "modIndex":
      return (record?.modIndex ?? 0) === compare.modIndex;
    case "value":
      return record !== null && sameValue(record.value, compare.value);
    case "exists":
      return (record !== null) === compare.exists;
  }
}

function runOp(
  state: KvState,
  op: TxnOp,
  index: number,
  changes: Change[],
): TxnOpResult | Refusal {
  switch (op.op) {
    case "put": {
      if (op.lease !== 0 && !state.leases.has(op.lease)) {
        return { reason: "leaseNotFound", lease: op.lease };
      }
      putRecord(state, state.store.get(op.key), op, index, changes);
      return { op: "put", key: op.key };
    }
    case "delete": {
      const prev = state.store.get(op.key);
      if (prev !== null) deleteRecord(state, prev, index, changes);
      return { op: "delete", key: op.key, deleted: prev !== null };
    }
    case "get":
      return { op: "get", key: op.key, record: state.store.get(op.key) };
    case "deletePrefix": {
      const deleted = deletePrefix(state, op.prefix, index, changes);
      return { op: "deletePrefix", prefix: op.prefix, deleted };
    }
  }
}

/**
 * Applies a transaction.
 *
 * @example
 * ```ts
 * import { applyTxn } from "./apply_txn.ts";
 * import { LeaseTable } from "./leases.ts";
 * import { RecordStore } from "./record_store.ts";
 * const state = { store: new RecordStore(), leases: new LeaseTable() };
 * const result = applyTxn(state, {
 *   kind: "txn",
 *   compare: [{ key: "lock", target: "exists", exists: false }],
 *   success: [{ op: "put", key: "lock", value: "me", lease: 0 }],
 *   failure: [{ op: "get", key: "lock" }],
 *   quotaBytes: 0,
 * }, 7);
 * if (result.kind !== "txn" || !result.succeeded || state.store.get("lock")?.modIndex !== 7) {
 *   throw new Error();
 * }
 * ```
 */
export function applyTxn(state: KvState, command: TxnCommand, index: number): ApplyResult {
  const succeeded = command.compare.every((compare) => compareHolds(state.store, compare));
  const ops = succeeded ? command.success : command.failure;
  const sizeBefore = state.store.dataBytes;
  const changes: Change[] = [];
  const results: TxnOpResult[] = [];
  for (const op of ops) {
    const outcome = runOp(state, op, index, changes);
    if ("reason" in outcome) {
      undoChanges(state, changes);
      return refused(index, outcome);
    }
    results.push(outcome);
  }
  const growth = state.store.dataBytes - sizeBefore;
  if (command.quotaBytes > 0 && growth > 0 && state.store.dataBytes > command.quotaBytes) {
    undoChanges(state, changes);
    return refused(index, {
      reason: "quota",
      dataBytes: sizeBefore,
      quotaBytes: command.quotaBytes,
    });
  }
  return { kind: "txn", succeeded, results, index, changes };
}
