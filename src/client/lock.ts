/**
 * The lock recipe: a create-only compare-and-swap of the lock's key attached to a lease that
 * keeps itself alive. Whoever creates the key holds the lock; the others watch the key until
 * it is deleted (released, or its lease expired with its holder) and try again. Releasing
 * revokes the lease, which deletes the key in the same entry.
 *
 * @module
 */

import type { RecipeClient } from "./recipe_client.ts";
import {
  CompactedError,
  IndeterminateError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
} from "./errors.ts";
import type { Lease } from "./lease.ts";
import type { CallOptions, KvRecord } from "./types.ts";

/**
 * TTL of a lock's lease when none is given, in milliseconds: how long a dead holder blocks
 * the lock.
 *
 * @example
 * ```ts
 * import { LOCK_TTL_MS_DEFAULT } from "./lock.ts";
 * if (LOCK_TTL_MS_DEFAULT !== 10_000) throw new Error();
 * ```
 */
export const LOCK_TTL_MS_DEFAULT = 10_000;
/** Tries to take the lock at most; each waits for the holder to let go. */
const ATTEMPTS_MAX = 1_000_000;

/** Options of {@link lock}. */
export interface LockOptions extends CallOptions {
  /** TTL of the lease that holds the lock, in milliseconds (10000). */
  ttlMs?: number;
  /** Value written under the lock's key; must be unique to this holder (default: the lease). */
  value?: string;
}

/**
 * A held lock. `index` is the key's `modIndex` when it was taken, a fencing token that grows
 * with every new holder; `signal` aborts if the lock is lost (its lease lapsed).
 *
 * @example
 * ```ts
 * import { RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * const first = await client.lock("locks/a", { ttlMs: 3_000 });
 * await first.release();
 * const second = await client.lock("locks/a", { ttlMs: 3_000 });
 * if (second.index <= first.index) throw new Error("fencing tokens grow");
 * await second.release();
 * ```
 */
export class Lock implements AsyncDisposable {
  /** The lock's key. */
  readonly key: string;
  /** The lease that holds it. */
  readonly lease: Lease;
  /** The index at which this holder took the lock. */
  readonly index: number;

  /** @param key the lock's key @param lease its lease @param index when it was taken */
  constructor(key: string, lease: Lease, index: number) {
    this.key = key;
    this.lease = lease;
    this.index = index;
  }

  /** Aborts once the lock is lost or released. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /** Releases the lock: revokes its lease, which deletes the key. */
  release(options: CallOptions = {}): Promise<void> {
    return this.lease.revoke(options);
  }

  /** Releases the lock; if that fails, the lease lapses within its TTL. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.lease[Symbol.asyncDispose]();
  }
}

async function holder(client: RecipeClient, key: string, signal: AbortSignal) {
  try {
    return await client.get(key, { level: "consistent", signal });
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** Resolves once `key` is deleted after `fromIndex`, or when the watch cannot tell. */
async function released(
  client: RecipeClient,
  key: string,
  fromIndex: number,
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const event of client.watch(key, { fromIndex, signal })) {
      if (event.changes.some((change) => change.key === key && change.type === "delete")) return;
    }
  } catch (error) {
    // Too old to watch from: the holder may be gone; trying again tells.
    if (!(error instanceof CompactedError)) throw error;
  }
}

/** Takes `key` for `lease`; answers the index at which it was taken. */
async function acquire(
  client: RecipeClient,
  key: string,
  value: string,
  lease: Lease,
  signal: AbortSignal,
): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    let current: KvRecord | null;
    try {
      return (await client.put(key, value, { prevIndex: 0, lease: lease.id, signal })).index;
    } catch (error) {
      if (error instanceof PreconditionFailedError) current = error.current;
      else if (error instanceof IndeterminateError) current = await holder(client, key, signal);
      else throw error;
    }
    // A create whose answer was lost may have taken the lock after all.
    if (current?.value === value) return current.modIndex;
    if (current !== null) await released(client, key, current.modIndex + 1, signal);
  }
  throw new UnavailableError(`Cannot take lock "${key}" after ${ATTEMPTS_MAX} attempts`, 0);
}

/**
 * Takes the lock `name`, waiting while another holder has it; resolves with the held
 * {@link Lock}. Release it with `release()` or `await using`. If the holder dies, its lease
 * expires and the next waiter takes the lock.
 *
 * @example
 * ```ts
 * import { lock, RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * {
 *   await using held = await lock(client, "locks/report", { ttlMs: 3_000 });
 *   // ... only one holder runs this at a time; held.signal aborts if the lock is lost
 *   if (held.signal.aborted) throw new Error();
 * } // released here
 * await using again = await client.lock("locks/report", { ttlMs: 3_000 });
 * ```
 */
export async function lock(
  client: RecipeClient,
  name: string,
  options: LockOptions = {},
): Promise<Lock> {
  const callOptions = options.signal === undefined ? {} : { signal: options.signal };
  const lease = await client.lease(options.ttlMs ?? LOCK_TTL_MS_DEFAULT, callOptions);
  const signal = options.signal === undefined
    ? lease.signal
    : AbortSignal.any([options.signal, lease.signal]);
  try {
    const value = options.value ?? `lease ${lease.id}`;
    return new Lock(name, lease, await acquire(client, name, value, lease, signal));
  } catch (error) {
    await lease[Symbol.asyncDispose]();
    throw error;
  }
}
