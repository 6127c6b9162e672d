/**
 * The commands a `normal` log entry carries, decoded, and the command
 * versions: which rafter understands which command. A node applies only
 * what it understands; the leader proposes a command of a newer version only
 * once every member has announced it understands that version.
 *
 * @module
 */

import type { Value } from "./value.ts";

/** The newest command version this code understands (and can apply). */
export const COMMAND_VERSION = 2;

/** Put `value` under `key`. */
export interface PutCommand {
  kind: "put";
  key: string;
  value: Value;
  /** The key's mod index must equal this at apply (0: the key must not exist); -1 for no check. */
  prevIndex: number;
  /** The lease to attach the key to; 0 for none. */
  lease: number;
  /** When positive: grant a lease of this TTL (id = this entry's index) and attach the key. */
  ttlMs: number;
  /** Keys plus values may not grow past this many bytes; 0 for no quota. */
  quotaBytes: number;
}

/** Delete `key`. */
export interface DeleteCommand {
  kind: "delete";
  key: string;
  /** As for {@link PutCommand.prevIndex}. */
  prevIndex: number;
}

/** Delete every key that starts with `prefix` (all keys for `""`). */
export interface DeletePrefixCommand {
  kind: "deletePrefix";
  prefix: string;
}

/** A comparison a transaction makes against the state before any of its operations. */
export type Compare =
  /** The key's mod index equals `modIndex` (0: the key does not exist). */
  | { key: string; target: "modIndex"; modIndex: number }
  /** The key exists and holds `value`. */
  | { key: string; target: "value"; value: Value }
  /** The key exists (`true`) or not (`false`). */
  | { key: string; target: "exists"; exists: boolean };

/** One operation of a transaction. */
export type TxnOp =
  | { op: "put"; key: string; value: Value; lease: number }
  | { op: "delete"; key: string }
  | { op: "get"; key: string }
  | { op: "deletePrefix"; prefix: string };

/** Most operations (compares not counted) in one branch of a transaction. */
export const TXN_OPS_MAX = 128;

/** If every comparison holds, apply `success`, else `failure`, as one step. */
export interface TxnCommand {
  kind: "txn";
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
  /** As for {@link PutCommand.quotaBytes}. */
  quotaBytes: number;
}

/** Grant a lease of `ttlMs`; its id is the index of this entry. */
export interface LeaseGrantCommand {
  kind: "leaseGrant";
  ttlMs: number;
}

/** Revoke lease `id`, deleting every key attached to it. */
export interface LeaseRevokeCommand {
  kind: "leaseRevoke";
  id: number;
}

/** A decoded command. */
export type Command =
  | PutCommand
  | DeleteCommand
  | DeletePrefixCommand
  | TxnCommand
  | LeaseGrantCommand
  | LeaseRevokeCommand;

/**
 * The entry holds a command this node does not know: written by a newer
 * rafter, or not a command at all. Applying it cannot be guessed at; the
 * node must stop.
 */
export class UnknownCommandError extends Error {
  /** The tag byte found. */
  readonly tag: number;
  /** @param tag the unknown tag byte */
  constructor(tag: number) {
    super(
      `Cannot apply command: tag "${tag}" is unknown to this node, which understands command ` +
        `versions up to "${COMMAND_VERSION}"; upgrade it to a rafter that knows the command`,
    );
    this.name = "UnknownCommandError";
    this.tag = tag;
  }
}

/** The tag byte that starts each encoded command. */
export const TAG = {
  /** Version 1: a put of UTF-8 text, no conditions. */
  putV1: 0x01,
  /** Version 1: a delete, no conditions. */
  deleteV1: 0x02,
  put: 0x03,
  delete: 0x04,
  deletePrefix: 0x05,
  txn: 0x06,
  leaseGrant: 0x07,
  leaseRevoke: 0x08,
} as const;

/**
 * The command version needed to apply an entry starting with `tag`; null
 * when no version this code knows has it.
 *
 * @example
 * ```ts
 * import { commandVersionOf, TAG } from "./command_types.ts";
 * if (commandVersionOf(TAG.putV1) !== 1 || commandVersionOf(TAG.txn) !== 2) throw new Error();
 * if (commandVersionOf(0x7f) !== null) throw new Error();
 * ```
 */
export function commandVersionOf(tag: number): number | null {
  if (tag === TAG.putV1 || tag === TAG.deleteV1) return 1;
  if (tag >= TAG.put && tag <= TAG.leaseRevoke) return 2;
  return null;
}
