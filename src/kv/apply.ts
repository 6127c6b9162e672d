/**
 * Applying each kind of command to the records and leases. Every decision
 * (a `prevIndex` that does not hold, a missing lease, the quota) is taken
 * here from the replicated state and the entry alone, so every node decides
 * the same; a refused command changes nothing.
 *
 * @module
 */

import type {
  DeleteCommand,
  DeletePrefixCommand,
  LeaseGrantCommand,
  LeaseRevokeCommand,
  PutCommand,
} from "./command_types.ts";
import { compareUtf8 } from "./keys.ts";
import type { LeaseTable } from "./leases.ts";
import type { RecordStore } from "./record_store.ts";
import type { ApplyResult, Change, Refusal, StoredRecord } from "./results.ts";
import type { Value } from "./value.ts";

/** The replicated state commands change. */
export interface KvState {
  store: RecordStore;
  leases: LeaseTable;
}

/** A refused entry: no changes. */
export function refused(index: number, refusal: Refusal): ApplyResult {
  return { kind: "refused", refusal, index, changes: [] };
}

/** The quota refusal when growing the state by `growthBytes` would pass `quotaBytes` (0: none). */
export function quotaRefusal(
  store: RecordStore,
  quotaBytes: number,
  growthBytes: number,
): Refusal | null {
  if (quotaBytes === 0 || growthBytes <= 0) return null;
  if (store.dataBytes + growthBytes <= quotaBytes) return null;
  return { reason: "quota", dataBytes: store.dataBytes, quotaBytes };
}

/**
 * Writes `key` (whose record is `prev`) at `index`, attached to `lease` (0:
 * none); `growthBytes` is the change in size when the caller has it.
 */
export function putRecord(
  state: KvState,
  prev: StoredRecord | null,
  write: { key: string; value: Value; lease: number; growthBytes?: number },
  index: number,
  changes: Change[],
): void {
  const { key, value, lease } = write;
  const createIndex = prev?.createIndex ?? index;
  if (prev !== null && prev.lease !== 0) state.leases.detach(key, prev.lease);
  const growthBytes = write.growthBytes;
  const row = { value, createIndex, modIndex: index, lease };
  state.store.set(
    key,
    row,
    growthBytes === undefined ? { previous: prev } : { previous: prev, growthBytes },
  );
  if (lease !== 0) state.leases.attach(key, lease);
  // The key as the tree holds it: the command's own copy is not kept alive by the change.
  const held = prev === null ? key : prev.key;
  changes.push({ type: "put", key: held, value, createIndex, modIndex: index, lease, prev });
}

/** Deletes `prev`'s key at `index`. */
export function deleteRecord(
  state: KvState,
  prev: StoredRecord,
  index: number,
  changes: Change[],
): void {
  if (prev.lease !== 0) state.leases.detach(prev.key, prev.lease);
  state.store.delete(prev);
  const { key, createIndex } = prev;
  changes.push({ type: "delete", key, value: null, createIndex, modIndex: index, lease: 0, prev });
}

/** Takes back `changes`, newest first, leaving records and leases as before the first. */
export function undoChanges(state: KvState, changes: readonly Change[]): void {
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i]!;
    const current = state.store.get(change.key);
    if (current !== null && current.lease !== 0) state.leases.detach(change.key, current.lease);
    const prev = change.prev;
    if (prev === null) {
      if (current !== null) state.store.delete(current);
      continue;
    }
    state.store.set(change.key, prev, { previous: current });
    if (prev.lease !== 0) state.leases.attach(change.key, prev.lease);
  }
}

function holdsPrevIndex(prevIndex: number, current: StoredRecord | null): boolean {
  return prevIndex < 0 || (current?.modIndex ?? 0) === prevIndex;
}

/**
 * A put, perhaps conditional, on a lease, or granting one for the key alone.
 *
 * @example
 * ```ts
 * import { applyPut } from "./apply.ts";
 * import { LeaseTable } from "./leases.ts";
 * import { RecordStore } from "./record_store.ts";
 * const state = { store: new RecordStore(), leases: new LeaseTable() };
 * const put = { kind: "put", key: "k", value: "v", prevIndex: 0, lease: 0, ttlMs: 0, quotaBytes: 0 } as const;
 * if (applyPut(state, put, 1).kind !== "put") throw new Error("created");
 * if (applyPut(state, put, 2).kind !== "refused") throw new Error("exists now");
 * ```
 */
export function applyPut(state: KvState, command: PutCommand, index: number): ApplyResult {
  const { key, value } = command;
  const prev = state.store.get(key);
  if (!holdsPrevIndex(command.prevIndex, prev)) {
    return refused(index, { reason: "precondition", key, current: prev });
  }
  if (command.lease !== 0 && !state.leases.has(command.lease)) {
    return refused(index, { reason: "leaseNotFound", lease: command.lease });
  }
  // Replacing a value leaves the key's bytes counted as they were.
  const growth = prev === null
    ? state.store.sizeOf(key, value)
    : state.store.valueSize(value) - state.store.valueSize(prev.value);
  const overQuota = quotaRefusal(state.store, command.quotaBytes, growth);
  if (overQuota !== null) return refused(index, overQuota);
  const grantedLease = command.ttlMs > 0 ? { id: index, ttlMs: command.ttlMs } : null;
  if (grantedLease !== null) state.leases.grant(index, command.ttlMs);
  const changes: Change[] = [];
  const lease = grantedLease?.id ?? command.lease;
  putRecord(state, prev, { key, value, lease, growthBytes: growth }, index, changes);
  return { kind: "put", grantedLease, index, changes };
}

/** A delete, perhaps conditional. */
export function applyDelete(state: KvState, command: DeleteCommand, index: number): ApplyResult {
  const prev = state.store.get(command.key);
  if (!holdsPrevIndex(command.prevIndex, prev)) {
    return refused(index, { reason: "precondition", key: command.key, current: prev });
  }
  const changes: Change[] = [];
  if (prev !== null) deleteRecord(state, prev, index, changes);
  return { kind: "delete", deleted: prev !== null, index, changes };
}

/** Deletes every key with the prefix, in key order. */
export function deletePrefix(
  state: KvState,
  prefix: string,
  index: number,
  changes: Change[],
): number {
  const records = state.store.withPrefix(prefix);
  for (const record of records) deleteRecord(state, record, index, changes);
  return records.length;
}

/** A prefix delete as one entry. */
export function applyDeletePrefix(
  state: KvState,
  command: DeletePrefixCommand,
  index: number,
): ApplyResult {
  const changes: Change[] = [];
  const deleted = deletePrefix(state, command.prefix, index, changes);
  return { kind: "deletePrefix", deleted, index, changes };
}

/** A lease grant; the lease's id is the entry's index. */
export function applyLeaseGrant(
  state: KvState,
  command: LeaseGrantCommand,
  index: number,
): ApplyResult {
  state.leases.grant(index, command.ttlMs);
  return { kind: "leaseGrant", id: index, ttlMs: command.ttlMs, index, changes: [] };
}

/** A revocation (by a client, or by the leader on expiry): every attached key goes, in key order. */
export function applyLeaseRevoke(
  state: KvState,
  command: LeaseRevokeCommand,
  index: number,
): ApplyResult {
  const keys = state.leases.keysOf(command.id);
  if (keys === null) return refused(index, { reason: "leaseNotFound", lease: command.id });
  const changes: Change[] = [];
  for (const key of [...keys].sort(compareUtf8)) {
    const prev = state.store.get(key);
    if (prev === null) {
      throw new Error(`Invariant broken: lease "${command.id}" lists missing key "${key}"`);
    }
    deleteRecord(state, prev, index, changes);
  }
  state.leases.remove(command.id);
  return { kind: "leaseRevoke", id: command.id, deleted: changes.length, index, changes };
}
