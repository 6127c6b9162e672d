/**
 * What a simulated data-model client asks for next: CAS puts and deletes
 * (the `prevIndex` from what the client last saw of the key, or 0 to
 * create), transactions comparing on `modIndex`, value and existence with
 * puts, deletes, gets and prefix deletes, paged prefix scans, prefix
 * deletes, lease grants, puts on a lease or with a TTL, and revocations.
 * Keys are few, so operations collide.
 *
 * @module
 */

import type { ReadLevel, TxnRequest } from "../../src/api.ts";
import type { Compare, TxnOp } from "../../src/kv/command_types.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { DmInput } from "./dm_history.ts";

/** Keys of the data-model clients (apart from the register clients' keys). */
export const DM_KEYS: readonly string[] = ["d/a", "d/b", "d/c/1", "d/c/2", "d/c/3"];
/** Prefixes the clients delete and watch. */
export const DM_PREFIXES: readonly string[] = ["d/", "d/c/"];
/** Prefixes the clients scan: the register keys too, with `""`. */
const SCAN_PREFIXES: readonly string[] = ["d/", "d/c/", ""];
/** The read levels, cheapest first. */
export const LEVELS: readonly ReadLevel[] = ["stale", "default", "consistent"];
/** Most keys per scan page; pages are small so that listings take several. */
const SCAN_LIMIT_MAX = 3;

/** What a client knows when it picks an operation. */
export interface ClientView {
  /** The `modIndex` it last saw of each key (0: absent). */
  known: ReadonlyMap<string, number>;
  /** Leases it learned of (some may be gone). */
  leases: readonly number[];
  /** Leases a client may revoke (the rest are left to expire). */
  revocable: readonly number[];
  /** The shortest TTL a node accepts. */
  ttlMsMin: number;
  /** A value never written before, for `key`. */
  newValue(key: string): string;
  /** A value `key` was written with, if any. */
  someValue(key: string): string | undefined;
  /** A fresh id for a scan listing. */
  newListing(): number;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** The `prevIndex` a CAS uses: what the client saw of the key, mostly, else create-only. */
function prevIndexOf(rng: Rng, view: ClientView, key: string): number {
  const known = view.known.get(key);
  return known !== undefined && rng.int(10) < 8 ? known : 0;
}

/**
 * The next operation of a client.
 *
 * @example
 * ```ts
 * import { createRng } from "../../src/raft/rng.ts";
 * import { nextInput } from "./dm_ops.ts";
 * const view = { known: new Map(), leases: [], revocable: [], ttlMsMin: 300, newValue: () => "v1", someValue: () => undefined, newListing: () => 1 };
 * const input = nextInput(createRng(1), view);
 * if (typeof input.kind !== "string") throw new Error();
 * ```
 */
export function nextInput(rng: Rng, view: ClientView): DmInput {
  const key = pick(rng, DM_KEYS);
  const roll = rng.int(100);
  if (roll < 14) return { kind: "get", key, level: pick(rng, LEVELS) };
  if (roll < 30) {
    const prevIndex = prevIndexOf(rng, view, key);
    return { kind: "put", key, value: view.newValue(key), options: { prevIndex } };
  }
  if (roll < 37) return { kind: "delete", key, prevIndex: prevIndexOf(rng, view, key) };
  if (roll < 52) return { kind: "txn", request: txnRequest(rng, view) };
  if (roll < 60) {
    const request = {
      prefix: pick(rng, SCAN_PREFIXES),
      after: "",
      limit: 1 + rng.int(SCAN_LIMIT_MAX),
      keysOnly: rng.int(4) === 0,
    };
    return { kind: "scan", request, level: pick(rng, LEVELS), listing: view.newListing() };
  }
  if (roll < 63) return { kind: "deletePrefix", prefix: pick(rng, DM_PREFIXES) };
  // One, one and a half or two times the shortest TTL.
  const ttlMs = view.ttlMsMin * (2 + rng.int(3)) / 2;
  if (roll < 69) return { kind: "leaseGrant", ttlMs };
  if (roll < 79 && view.leases.length > 0) {
    const lease = pick(rng, view.leases);
    return { kind: "put", key, value: view.newValue(key), options: { lease } };
  }
  if (roll < 83) return { kind: "put", key, value: view.newValue(key), options: { ttlMs } };
  if (roll < 88 && view.revocable.length > 0) {
    return { kind: "leaseRevoke", id: pick(rng, view.revocable) };
  }
  if (roll < 94) return { kind: "put", key, value: view.newValue(key), options: {} };
  return { kind: "delete", key };
}

function compareOf(rng: Rng, view: ClientView): Compare {
  const key = pick(rng, DM_KEYS);
  const roll = rng.int(3);
  if (roll === 0) return { key, target: "modIndex", modIndex: view.known.get(key) ?? 0 };
  if (roll === 1) return { key, target: "exists", exists: rng.int(2) === 0 };
  return { key, target: "value", value: view.someValue(key) ?? "none" };
}

function opOf(rng: Rng, view: ClientView): TxnOp {
  const key = pick(rng, DM_KEYS);
  const roll = rng.int(20);
  if (roll < 8) {
    const lease = view.leases.length > 0 && rng.int(4) === 0 ? pick(rng, view.leases) : 0;
    return { op: "put", key, value: view.newValue(key), lease };
  }
  if (roll < 12) return { op: "delete", key };
  if (roll < 19) return { op: "get", key };
  return { op: "deletePrefix", prefix: pick(rng, DM_PREFIXES) };
}

/** A transaction of up to two comparisons, one to three operations on success, up to one on failure. */
function txnRequest(rng: Rng, view: ClientView): TxnRequest {
  const compare = Array.from({ length: rng.int(3) }, () => compareOf(rng, view));
  const success = Array.from({ length: 1 + rng.int(3) }, () => opOf(rng, view));
  const failure = Array.from({ length: rng.int(2) }, () => opOf(rng, view));
  return { compare, success, failure };
}
