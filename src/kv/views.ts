/**
 * How records and changes look in the JSON API: values as text, or base64
 * with `"encoding":"base64"` when their bytes are not UTF-8; a lease only
 * when there is one.
 *
 * @module
 */

import type { KeyInfo, KvRecord, TxnOpOutcome } from "../api.ts";
import type { ScannedRecord } from "./record_store.ts";
import type { Change, StoredRecord, TxnOpResult } from "./results.ts";
import { valueText } from "./value.ts";

/**
 * The API view of a stored record.
 *
 * @example
 * ```ts
 * import { recordView } from "./views.ts";
 * const view = recordView({ key: "k", value: "v", createIndex: 1, modIndex: 2, lease: 0 });
 * if (JSON.stringify(view) !== '{"key":"k","value":"v","createIndex":1,"modIndex":2}') {
 *   throw new Error();
 * }
 * ```
 */
export function recordView(record: StoredRecord): KvRecord {
  const text = valueText(record.value);
  return {
    key: record.key,
    value: text.value,
    ...(text.encoding === undefined ? {} : { encoding: text.encoding }),
    createIndex: record.createIndex,
    modIndex: record.modIndex,
    ...(record.lease === 0 ? {} : { lease: record.lease }),
  };
}

/** The API view of a scanned record: a full record, or its key and indexes only. */
export function scannedView(record: ScannedRecord): KvRecord | KeyInfo {
  if (record.value !== null) return recordView(record as StoredRecord);
  const view: KeyInfo = {
    key: record.key,
    createIndex: record.createIndex,
    modIndex: record.modIndex,
  };
  if (record.lease !== 0) view.lease = record.lease;
  return view;
}

/** A change as a watch event shows it. */
export interface ChangeView {
  type: "put" | "delete";
  key: string;
  value?: string;
  encoding?: "base64";
  createIndex: number;
  modIndex: number;
  lease?: number;
  /** The record before the change, when asked for and when the key existed. */
  prev?: KvRecord;
}

/**
 * The API view of a change; the previous record only when `withPrev` (and
 * the key existed before).
 *
 * @example
 * ```ts
 * import { changeView } from "./views.ts";
 * const view = changeView({
 *   type: "delete", key: "k", value: null, createIndex: 1, modIndex: 3, lease: 0,
 *   prev: { key: "k", value: "v", createIndex: 1, modIndex: 2, lease: 0 },
 * }, true);
 * if (view.value !== undefined || view.prev?.value !== "v") throw new Error();
 * ```
 */
export function changeView(change: Change, withPrev: boolean): ChangeView {
  const text = change.value === null ? null : valueText(change.value);
  return {
    type: change.type,
    key: change.key,
    ...(text === null ? {} : text),
    createIndex: change.createIndex,
    modIndex: change.modIndex,
    ...(change.lease === 0 ? {} : { lease: change.lease }),
    ...(withPrev && change.prev !== null ? { prev: recordView(change.prev) } : {}),
  };
}

/**
 * The API view of what one transaction operation did.
 *
 * @example
 * ```ts
 * import { txnOutcome } from "./views.ts";
 * const outcome = txnOutcome({ op: "delete", key: "k", deleted: true });
 * if (JSON.stringify(outcome) !== '{"delete":{"key":"k","deleted":true}}') throw new Error();
 * ```
 */
export function txnOutcome(result: TxnOpResult): TxnOpOutcome {
  switch (result.op) {
    case "put":
      return { put: { key: result.key } };
    case "delete":
      return { delete: { key: result.key, deleted: result.deleted } };
    case "get": {
      const record = result.record === null ? null : recordView(result.record);
      return { get: { key: result.key, record } };
    }
    case "deletePrefix":
      return { deletePrefix: { prefix: result.prefix, deleted: result.deleted } };
  }
}
