/**
 * What the client sends and receives: the records, pages, transactions, leases and watch
 * events of rafter's HTTP API, and the options every call takes.
 *
 * @module
 */

import type { KvRecord, ReadLevel } from "../api.ts";

export type { KvRecord, MemberStatus, NodeStatus, ReadLevel } from "../api.ts";

/** Options every call takes. */
export interface CallOptions {
  /** Ends the call early; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of a read. */
export interface ReadOptions extends CallOptions {
  /** `stale`, `default` (the default) or `consistent`; see the README's read levels. */
  level?: ReadLevel;
}

/** Options of `put`. */
export interface PutOptions extends CallOptions {
  /** Write only if the key's `modIndex` equals this; `0` means only if the key does not exist. */
  prevIndex?: number;
  /** Attach the key to this lease: it is deleted when the lease ends. */
  lease?: number;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the key's `modIndex` equals this. */
  prevIndex?: number;
}

/** The answer to a write of one key. */
export interface PutResult {
  key: string;
  /** The Raft index of the write: the key's new `modIndex`. */
  index: number;
}

/** The answer to a delete of one key. */
export interface DeleteResult {
  key: string;
  /** False when the key did not exist. */
  deleted: boolean;
  index: number;
}

/** Options of `list`. */
export interface ListOptions extends ReadOptions {
  /** Keys per page, 1 to 10000 (the server's default is 1000). */
  limit?: number;
  /** Start after this key (exclusive). */
  after?: string;
  /** Leave the values out. */
  keysOnly?: boolean;
}

/** One page of a prefix scan. */
export interface Page {
  /** Records in key order (UTF-8 byte order). */
  items: KvRecord[];
  /** True when more keys follow. */
  more: boolean;
  /** The last key of this page: pass it as `after` to continue. */
  next: string;
  /** The applied index the page was read at. */
  index: number;
}

/** The answer to a prefix delete. */
export interface DeletePrefixResult {
  deleted: number;
  index: number;
}

/** One condition of a transaction; give exactly one of `modIndex`, `value` and `exists`. */
export interface Compare {
  key: string;
  modIndex?: number;
  value?: string;
  exists?: boolean;
}

/** One operation of a transaction. */
export type TxnOp =
  | { put: { key: string; value: string; lease?: number } }
  | { delete: { key: string } }
  | { get: { key: string } }
  | { deletePrefix: { prefix: string } };

/** A transaction as `POST /txn` takes it. */
export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

/** What one operation of a transaction did, under the operation's own name. */
export type TxnOpResult =
  | { put: { key: string } }
  | { delete: { key: string; deleted: boolean } }
  | { get: { key: string; record: KvRecord | null } }
  | { deletePrefix: { prefix: string; deleted: number } };

/** The answer to a transaction: which branch ran, one result per operation, its index. */
export interface TxnResult {
  succeeded: boolean;
  results: TxnOpResult[];
  index: number;
}

/** A lease as granted or kept alive: its id and the time it has left, in milliseconds. */
export interface LeaseGrant {
  id: number;
  ttlMs: number;
}

/** A lease's time left and the keys attached to it. */
export interface LeaseInfo extends LeaseGrant {
  keys: string[];
}

/** One change to a key, as a watch delivers it. */
export interface Change {
  type: "put" | "delete";
  key: string;
  value?: string;
  createIndex?: number;
  modIndex?: number;
  /** The record before the change, when the watch asked for `prevValue`. */
  prev?: KvRecord;
}

/** Every change one log entry made to the watched keys. */
export interface WatchEvent {
  /** The Raft index of the entry. */
  index: number;
  changes: Change[];
}

/** Options of `watch`. */
export interface WatchOptions extends CallOptions {
  /** Watch every key that starts with the given text instead of one key. */
  prefix?: boolean;
  /** First index to deliver (inclusive); default: changes after the watch starts. */
  fromIndex?: number;
  /** Deliver each change's previous record as `prev`. */
  prevValue?: boolean;
  /** `consistent` starts no earlier than a linearizable read would. */
  level?: ReadLevel;
}

/** A member to add: its id, Raft address and optional HTTP address. */
export interface JoinOptions extends CallOptions {
  id: string;
  /** `host:port` of its Raft listener. */
  raftAddr: string;
  /** `host:port` of its HTTP API. */
  httpAddr?: string;
}

/** The answer to a membership change. */
export interface MembershipResult {
  id: string;
  index: number;
}

/** The answer to a leadership transfer: who leads now, and in which term. */
export interface LeaderTransfer {
  leaderId: string;
  term: number;
}
