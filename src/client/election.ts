/**
 * The leader election recipe, on the lock recipe: campaigning takes the election's key
 * with the candidate's value, observing watches who holds it, resigning releases it.
 *
 * @module
 */

import type { RecipeClient } from "./recipe_client.ts";
import { CompactedError, RafterError } from "./errors.ts";
import { type Lock, lock, LOCK_TTL_MS_DEFAULT } from "./lock.ts";
import type { CallOptions, KvRecord } from "./types.ts";

/** Re-reads after a compacted history, at most, before observing gives up. */
const RESYNCS_MAX = 1_000;

/** Options of {@link elect}. */
export interface ElectionOptions {
  /** TTL of the leader's lease, in milliseconds (10000): how long a dead leader lingers. */
  ttlMs?: number;
}

/** The leader's record and the index it was read at. */
async function readLeader(
  client: RecipeClient,
  name: string,
  signal: AbortSignal | undefined,
): Promise<{ record: KvRecord | null; index: number }> {
  // The election's key is the first key of a scan of its own name: one read gives both the
  // record and the index the read was made at, so the watch after it misses nothing.
  const options = signal === undefined ? {} : { signal };
  for await (const page of client.list(name, { limit: 1, level: "consistent", ...options })) {
    const first = page.items[0];
    return { record: first?.key === name ? first : null, index: page.index };
  }
  throw new RafterError(`Scan of "${name}" answered no page`, 200);
}

/**
 * An election: at most one candidate leads at a time; the others wait in `campaign()`.
 * A leader that dies loses leadership when its lease expires.
 *
 * @example
 * ```ts
 * import { Election, RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * await using election = new Election(client, "leader/cron", { ttlMs: 3_000 });
 * if ((await election.leader()) !== null) throw new Error("nobody leads yet");
 * await election.campaign("host-a");
 * if (election.signal?.aborted !== false) throw new Error();
 * ```
 */
export class Election implements AsyncDisposable {
  /** The election's key. */
  readonly name: string;
  readonly #client: RecipeClient;
  readonly #ttlMs: number;
  #lock: Lock | null = null;
  #campaigning = false;

  /** @param client the client @param name the key @param options the lease TTL */
  constructor(client: RecipeClient, name: string, options: ElectionOptions = {}) {
    this.#client = client;
    this.name = name;
    this.#ttlMs = options.ttlMs ?? LOCK_TTL_MS_DEFAULT;
  }

  /** True while this candidate leads. */
  get isLeader(): boolean {
    return this.#lock !== null && !this.#lock.signal.aborted;
  }

  /** Aborts when this candidate stops leading; null before it leads. */
  get signal(): AbortSignal | null {
    return this.#lock?.signal ?? null;
  }

  /** Waits until this candidate leads, announcing `value` as the leader. */
  async campaign(value: string, options: CallOptions = {}): Promise<void> {
    if (this.#campaigning || this.isLeader) {
      throw new RafterError(`Already campaigning in election "${this.name}"`, 0);
    }
    this.#campaigning = true;
    try {
      this.#lock = await lock(this.#client, this.name, { ...options, ttlMs: this.#ttlMs, value });
    } finally {
      this.#campaigning = false;
    }
  }

  /** The current leader's value, or null when nobody leads. */
  async leader(options: CallOptions = {}): Promise<string | null> {
    return (await readLeader(this.#client, this.name, options.signal)).record?.value ?? null;
  }

  /**
   * The leader's value now, then again each time it changes (null while nobody leads);
   * runs until the caller stops iterating or aborts.
   */
  async *observe(options: CallOptions = {}): AsyncGenerator<string | null, void, undefined> {
    for (let resync = 0; resync < RESYNCS_MAX; resync++) {
      const { record, index } = await readLeader(this.#client, this.name, options.signal);
      let current = record?.value ?? null;
      yield current;
      try {
        const watch = this.#client.watch(this.name, { ...options, fromIndex: index + 1 });
        for await (const event of watch) {
          const change = event.changes.findLast((c) => c.key === this.name);
          const next = change === undefined || change.type === "delete"
            ? null
            : change.value ?? null;
          if (next === current) continue;
          current = next;
          yield current;
        }
        return;
      } catch (error) {
        if (!(error instanceof CompactedError)) throw error;
      }
    }
    throw new RafterError(`Cannot keep up with election "${this.name}"`, 410);
  }

  /** Steps down (a no-op when not leading): the next candidate takes over. */
  async resign(options: CallOptions = {}): Promise<void> {
    const held = this.#lock;
    this.#lock = null;
    if (held !== null) await held.release(options);
  }

  /** Resigns; if that fails, leadership lapses within the lease's TTL. */
  async [Symbol.asyncDispose](): Promise<void> {
    const held = this.#lock;
    this.#lock = null;
    if (held !== null) await held[Symbol.asyncDispose]();
  }
}

/**
 * Joins election `name`; campaign, observe and resign on the answer.
 *
 * @example
 * ```ts
 * import { elect, RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * await using election = elect(client, "leader/scheduler", { ttlMs: 3_000 });
 * await election.campaign("worker-1");
 * if (!election.isLeader || (await election.leader()) !== "worker-1") throw new Error();
 * await election.resign();
 * if ((await election.leader()) !== null) throw new Error();
 * ```
 */
export function elect(
  client: RecipeClient,
  name: string,
  options: ElectionOptions = {},
): Election {
  return new Election(client, name, options);
}
