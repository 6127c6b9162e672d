/**
 * The data-model operations of `KvApi` over a small port into the driver:
 * each call validates what only the node can (lease TTL floor, the command
 * version every member understands), builds one command, proposes it, and
 * turns the applied outcome into an answer or a typed error (`outcomes.ts`). Conditions are
 * decided when the entry applies, never by a read before proposing.
 *
 * @module
 */

import {
  type BytesRecord,
  type LeaseInfo,
  LeaseNotFoundError,
  PreconditionFailedError,
  type PutOptions,
  type PutResult,
  type ReadLevel,
  RejectedError,
  type ScanRequest,
  type ScanResult,
  type TxnRequest,
  type TxnResult,
  UnavailableError,
  type WatchRequest,
  type WatchStream,
} from "../api.ts";
import { encodePut } from "./command.ts";
import { encodeCommandView } from "./command_codec.ts";
import { type Command, TXN_OPS_MAX } from "./command_types.ts";
import type { LeaseDeadlines } from "./lease_deadlines.ts";
import { accepted, acceptedIndex } from "./outcomes.ts";
import type { ApplyResult } from "./results.ts";
import type { KvStateMachine } from "./state_machine.ts";
import { valueBytes, valueFromBytes } from "./value.ts";
import { recordView, scannedView, txnOutcome } from "./views.ts";
import type { WatchHistory } from "./watch_history.ts";

/** What the service needs from the driver. */
export interface DriverPort {
  /**
   * Proposes `data` as a `normal` entry; resolves with its outcome once
   * applied on this node. It reads (or copies) `data` before it returns: it
   * may be a view that the next encoding overwrites.
   */
  propose(data: Uint8Array): Promise<ApplyResult>;
  /** Resolves once the state machine may be read at `level` (throws `NotLeaderError` as `get`). */
  readBarrier(level: ReadLevel): Promise<void>;
  /** Throws `NotLeaderError` unless this node leads. */
  requireLeader(): void;
  /** True while this node's core leads (even before the driver has noted it). */
  leading(): boolean;
  /** True while this node leads and holds its leader lease (§6.4.1): no other leader exists yet. */
  leaseHeld(): boolean;
  /** The state machine (it may be replaced, so it is asked for each time). */
  machine(): KvStateMachine;
  /** The watch history the driver records every applied entry in. */
  history(): WatchHistory;
  /** The lease deadlines the driver keeps while it leads. */
  deadlines(): LeaseDeadlines;
  /** Milliseconds on a monotonic clock. */
  nowMs(): number;
  /** The newest command version every member has announced it understands. */
  clusterCommandVersion(): number;
}

/** Settings of the service. */
export interface ServiceSettings {
  /** Cap on keys plus values in bytes; 0 for none. */
  quotaBytes: number;
  /** The shortest lease TTL (three election timeouts). */
  leaseTtlMsMin: number;
  /** Most attached keys `leaseInfo` lists (default 10,000). */
  leaseKeysListedMax?: number;
  /** Most expired leases revoked per call of `expireLeases` (default 64). */
  expiryBatchMax?: number;
  /** Deliberate bugs for the simulator's tests that show it catches them. Never set elsewhere. */
  breaks?: ServiceBreaks;
}

/** Deliberate bugs of the service (see `DriverBreaks`, which carries them to it). */
export interface ServiceBreaks {
  /** Decide a put's or delete's `prevIndex` by a read before proposing, not when it applies. */
  casBeforePropose?: boolean;
  /** Start a watch asked for changes from an index one index later. */
  watchSkipsIndex?: boolean;
}

const LEASE_KEYS_LISTED_MAX = 10_000;
const EXPIRY_BATCH_MAX = 64;
/** The command version the data-model commands need. */
const DATA_MODEL_VERSION = 2;

/** The value of `compute` as a promise, rejected when it throws. */
function settled<T>(compute: () => T): Promise<T> {
  try {
    return Promise.resolve(compute());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The data-model half of a node.
 *
 * @example
 * ```ts
 * import { KvService } from "./service.ts";
 * import type { DriverPort } from "./service.ts";
 * const port = { clusterCommandVersion: () => 1 } as unknown as DriverPort;
 * const service = new KvService(port, { quotaBytes: 0, leaseTtlMsMin: 1500 });
 * await service.leaseGrant(10).then(() => { throw new Error("accepted"); }, () => {});
 * ```
 */
export class KvService {
  readonly #port: DriverPort;
  readonly #settings: Required<ServiceSettings>;

  /**
   * @param port the driver
   * @param settings quota and lease bounds
   */
  constructor(port: DriverPort, settings: ServiceSettings) {
    this.#port = port;
    this.#settings = {
      leaseKeysListedMax: LEASE_KEYS_LISTED_MAX,
      expiryBatchMax: EXPIRY_BATCH_MAX,
      breaks: {},
      ...settings,
    };
  }

  /**
   * Proposes a data-model command once every member understands it
   * (`version`: the cluster's, when the caller has just read it); `what` and
   * `key` name it in the refusal (`put "k"`). A refused outcome rejects with
   * its typed error.
   */
  #propose(command: Command, what: string, key?: string): Promise<ApplyResult> {
    return this.#submit(command, what, key, this.#port.clusterCommandVersion()).then(accepted);
  }

  /**
   * {@link #propose} with the outcome as it applied, refused or not: for a
   * caller that checks it in its own step. Not async, like the callers on
   * the write path: each async layer costs every write a frame and a promise.
   */
  #submit(
    command: Command,
    what: string,
    key: string | undefined,
    version: number,
  ): Promise<ApplyResult> {
    if (version < DATA_MODEL_VERSION) {
      const named = key === undefined ? what : `${what} "${key}"`;
      return Promise.reject(
        new UnavailableError(
          `Cannot ${named}: not every member understands command version ` +
            `"${DATA_MODEL_VERSION}" yet (the oldest understands "${version}"); finish upgrading every node`,
        ),
      );
    }
    return this.#port.propose(encodeCommandView(command));
  }

  #checkTtl(ttlMs: number): void {
    if (ttlMs < this.#settings.leaseTtlMsMin) {
      throw new RejectedError(
        `Lease TTL "${ttlMs}" ms is below the minimum of "${this.#settings.leaseTtlMsMin}" ms ` +
          `(three election timeouts)`,
      );
    }
  }

  /**
   * The `prevIndex` a command carries: the condition, decided when it
   * applies (-1: none). The `casBeforePropose` break decides it here instead.
   */
  #prevIndex(key: string, prevIndex: number | undefined): number {
    if (prevIndex === undefined) return -1;
    if (this.#settings.breaks.casBeforePropose !== true) return prevIndex;
    const current = this.#port.machine().read(key);
    if ((current?.modIndex ?? 0) === prevIndex) return -1;
    throw new PreconditionFailedError(key, current === null ? null : recordView(current));
  }

  /** A plain put: version 2 with the quota once every member has it, else version 1. */
  put(key: string, value: string): Promise<{ index: number }> {
    const version = this.#port.clusterCommandVersion();
    if (version < DATA_MODEL_VERSION) {
      return this.#port.propose(encodePut(key, value)).then(acceptedIndex);
    }
    const quotaBytes = this.#settings.quotaBytes;
    const command = {
      kind: "put",
      key,
      value,
      prevIndex: -1,
      lease: 0,
      ttlMs: 0,
      quotaBytes,
    } as const;
    return this.#submit(command, "put", key, version).then(acceptedIndex);
  }

  /** Puts a value with conditions or a lease. */
  async putValue(key: string, value: string | Uint8Array, options: PutOptions): Promise<PutResult> {
    const ttlMs = options.ttlMs ?? 0;
    if (ttlMs !== 0) this.#checkTtl(ttlMs);
    if (ttlMs !== 0 && options.lease !== undefined) {
      throw new RejectedError("Cannot put with both a lease and a TTL: give one of them");
    }
    const result = await this.#propose(
      {
        kind: "put",
        key,
        value: typeof value === "string" ? value : valueFromBytes(value),
        prevIndex: this.#prevIndex(key, options.prevIndex),
        lease: options.lease ?? 0,
        ttlMs,
        quotaBytes: this.#settings.quotaBytes,
      },
      "put",
      key,
    );
    if (result.kind !== "put") {
      throw new Error(`Invariant broken: a put applied as "${result.kind}"`);
    }
    const answer: PutResult = { index: result.index, created: result.changes?.[0]?.prev === null };
    const granted = result.grantedLease ?? null;
    if (granted !== null) answer.lease = granted.id;
    return answer;
  }

  /** Deletes `key` if `prevIndex` (when given) holds. */
  async deleteValue(
    key: string,
    options: { prevIndex?: number },
  ): Promise<{ deleted: boolean; index: number }> {
    const prevIndex = this.#prevIndex(key, options.prevIndex);
    const command = { kind: "delete" as const, key, prevIndex };
    const result = await this.#propose(command, "delete", key);
    return { deleted: result.kind === "delete" && result.deleted, index: result.index };
  }

  /** Reads `key` with its value as bytes. */
  async getValue(key: string, level: ReadLevel): Promise<BytesRecord | null> {
    await this.#port.readBarrier(level);
    const record = this.#port.machine().read(key);
    return record === null ? null : { ...record, value: valueBytes(record.value) };
  }

  /** One page of a scan, read at one applied index. */
  async scan(request: ScanRequest, level: ReadLevel): Promise<ScanResult> {
    await this.#port.readBarrier(level);
    const page = this.#port.machine().scan(request);
    const last = page.records[page.records.length - 1];
    return {
      items: page.records.map(scannedView),
      more: page.more,
      next: last?.key ?? "",
      index: page.index,
    };
  }

  /** Deletes every key with `prefix` as one entry. */
  async deletePrefix(prefix: string): Promise<{ deleted: number; index: number }> {
    const result = await this.#propose(
      { kind: "deletePrefix", prefix },
      `delete prefix "${prefix}"`,
    );
    return { deleted: result.kind === "deletePrefix" ? result.deleted : 0, index: result.index };
  }

  /** Runs a transaction as one entry. */
  async txn(request: TxnRequest): Promise<TxnResult> {
    for (const [name, list] of Object.entries(request)) {
      if (list.length > TXN_OPS_MAX) {
        throw new RejectedError(
          `Field "${name}" has "${list.length}" entries; at most ${TXN_OPS_MAX}`,
        );
      }
    }
    const command = { kind: "txn" as const, ...request, quotaBytes: this.#settings.quotaBytes };
    const result = await this.#propose(command, "run the transaction");
    if (result.kind !== "txn") {
      throw new Error(`Invariant broken: a txn applied as "${result.kind}"`);
    }
    return {
      succeeded: result.succeeded,
      results: result.results.map(txnOutcome),
      index: result.index,
    };
  }

  /** Grants a lease of `ttlMs`. */
  async leaseGrant(ttlMs: number): Promise<{ id: number; ttlMs: number }> {
    this.#checkTtl(ttlMs);
    const result = await this.#propose({ kind: "leaseGrant", ttlMs }, "grant a lease");
    return { id: result.index, ttlMs };
  }

  /**
   * Restarts the TTL of lease `id` on the leader. Only a leader that holds
   * its lease may promise a TTL: a deposed leader that has not heard of its
   * successor would promise one the new leader does not keep. So a
   * keep-alive first passes the `default` read barrier (the lease, or a
   * heartbeat round that renews it, and everything committed applied, so
   * that a revoked lease is not renewed) and then needs the lease to hold.
   */
  async leaseKeepAlive(id: number): Promise<{ id: number; ttlMs: number }> {
    await this.#port.readBarrier("default");
    this.#port.requireLeader();
    if (!this.#port.leaseHeld()) {
      throw new UnavailableError(
        `Cannot keep lease "${id}" alive: this leader has not heard from a quorum recently; retry`,
      );
    }
    const ttlMs = this.#port.deadlines().keepAlive(id, this.#port.nowMs());
    if (ttlMs === null) throw new LeaseNotFoundError(id);
    return { id, ttlMs };
  }

  /** Lease `id`: TTL, time left and attached keys (on the leader). */
  leaseInfo(id: number): Promise<LeaseInfo> {
    return settled(() => {
      this.#port.requireLeader();
      const lease = this.#port.machine().lease(id, this.#settings.leaseKeysListedMax);
      if (lease === null) throw new LeaseNotFoundError(id);
      const left = this.#port.deadlines().remaining(id, this.#port.nowMs()) ?? lease.ttlMs;
      return { id, ttlMs: left, grantedTtlMs: lease.ttlMs, keys: lease.keys, more: lease.more };
    });
  }

  /** Revokes lease `id`, deleting every attached key, as one entry. */
  async leaseRevoke(id: number): Promise<{ id: number; deleted: number; index: number }> {
    const result = await this.#propose({ kind: "leaseRevoke", id }, `revoke lease "${id}"`);
    return { id, deleted: result.kind === "leaseRevoke" ? result.deleted : 0, index: result.index };
  }

  /**
   * Opens a watch from this node's applied state; at a level above `stale`
   * it first passes that level's read barrier, so that a `consistent` watch
   * starts no earlier than a linearizable read would.
   */
  async watch(request: WatchRequest): Promise<WatchStream> {
    if (request.level !== "stale") await this.#port.readBarrier(request.level);
    const filter = request.key !== undefined
      ? { key: request.key }
      : { prefix: request.prefix ?? "" };
    const skip = this.#settings.breaks.watchSkipsIndex === true && request.fromIndex !== undefined;
    return this.#port.history().subscribe(
      filter,
      skip ? request.fromIndex! + 1 : request.fromIndex,
    );
  }

  /**
   * On the leader: proposes the revocation of leases past their deadline
   * (a bounded batch per call); returns how many were proposed. A failed
   * proposal is retried by a later call. Expiry is decided by a leadership
   * for itself only: once the core stopped leading, the deadlines belong to
   * a term that ended, and a revocation they decided must not wait for the
   * next leader, which gives every lease its full TTL again.
   */
  expireLeases(): number {
    if (!this.#port.leading()) return 0;
    const expired = this.#port.deadlines().expired(
      this.#port.nowMs(),
      this.#settings.expiryBatchMax,
    );
    for (const id of expired) {
      // A revocation that fails (leadership moved, timeout) is offered again by
      // `expired` after its retry interval; one that applies ends the deadline.
      this.#port.propose(encodeCommandView({ kind: "leaseRevoke", id })).catch(() => undefined);
    }
    return expired.length;
  }
}
