/**
 * `RafterClient`: every call of rafter's HTTP API as a typed method, over the request loop
 * that finds the leader, fails over and retries only what is safe to retry.
 *
 * @module
 */

import type { Election, ElectionOptions } from "./election.ts";
import { elect } from "./election.ts";
import { Lease } from "./lease.ts";
import { listPages } from "./list.ts";
import type { Lock, LockOptions } from "./lock.ts";
import { lock } from "./lock.ts";
import { type ClientOptions, endpointOrigin, resolveOptions } from "./options.ts";
import type { RecipeClient } from "./recipe_client.ts";
import { type Call, Transport } from "./transport.ts";
import { Txn } from "./txn.ts";
import type {
  CallOptions,
  DeleteOptions,
  DeletePrefixResult,
  DeleteResult,
  JoinOptions,
  KvRecord,
  LeaderTransfer,
  LeaseGrant,
  LeaseInfo,
  ListOptions,
  MembershipResult,
  MemberStatus,
  NodeStatus,
  Page,
  PutOptions,
  PutResult,
  ReadOptions,
  TxnRequest,
  TxnResult,
  WatchEvent,
  WatchOptions,
} from "./types.ts";
import { watchEvents } from "./watch.ts";

/** Options of `status`: which node to ask. */
export interface StatusOptions extends CallOptions {
  /** Ask this node only (an endpoint as in the options), without failover. */
  endpoint?: string;
}

function signalOf(options: CallOptions): AbortSignal | undefined {
  return options.signal;
}

/**
 * A client of a rafter cluster. It finds the leader (from a `307` or `/status`) and caches
 * it; it re-sends redirected requests itself, so the token is never dropped; it moves to
 * another endpoint on a connection error or a `503`, with jittered exponential backoff;
 * reads are retried, writes only when they certainly did not take effect, and a write of
 * unknown fate fails with `IndeterminateError`. Close it (or `using`) when done.
 *
 * @example
 * ```ts
 * import { RafterClient } from "./client.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({
 *   endpoints: ["http://127.0.0.1:8001", "http://127.0.0.1:8002"],
 *   fetch: fake.fetch,
 * });
 * await client.put("greeting", "hello");
 * const record = await client.get("greeting", { level: "consistent" });
 * if (record.value !== "hello") throw new Error();
 * ```
 */
export class RafterClient implements Disposable, RecipeClient {
  readonly #transport: Transport;

  /** @param options endpoints, token, CA certificates, timeout; see {@link ClientOptions} */
  constructor(options: ClientOptions) {
    this.#transport = new Transport(resolveOptions(options));
  }

  /** The leader's origin as last learned, or null when unknown. */
  get leader(): string | null {
    return this.#transport.leader;
  }

  /** Reads `key`; throws `NotFoundError` when it does not exist. */
  get(key: string, options: ReadOptions = {}): Promise<KvRecord> {
    const level = options.level ?? "default";
    return this.#transport.json<KvRecord>({
      method: "GET",
      path: "/key",
      query: { key, level },
      target: level === "default" ? "leader" : "any",
      retry: "always",
      signal: signalOf(options),
    });
  }

  /**
   * Writes `value` under `key`. With `prevIndex` it is a compare-and-swap that throws
   * `PreconditionFailedError` (with the current record) when the key changed.
   */
  put(key: string, value: string, options: PutOptions = {}): Promise<PutResult> {
    const body: Record<string, unknown> = { key, value };
    if (options.prevIndex !== undefined) body.prevIndex = options.prevIndex;
    if (options.lease !== undefined) body.lease = options.lease;
    return this.#write({ method: "POST", path: "/key", body }, options);
  }

  /** Deletes `key`; with `prevIndex`, only if its `modIndex` still equals it. */
  delete(key: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const prevIndex = options.prevIndex === undefined ? undefined : String(options.prevIndex);
    return this.#write({ method: "DELETE", path: "/key", query: { key, prevIndex } }, options);
  }

  /** The keys under `prefix`, as an async iterator over pages in key order. */
  list(prefix: string, options: ListOptions = {}): AsyncGenerator<Page, void, undefined> {
    return listPages(this.#transport, prefix, options);
  }

  /** Deletes every key under `prefix` in one entry; `all` is required for an empty prefix. */
  deletePrefix(
    prefix: string,
    options: CallOptions & { all?: boolean } = {},
  ): Promise<DeletePrefixResult> {
    const all = options.all === true ? "true" : undefined;
    return this.#write({ method: "DELETE", path: "/keys", query: { prefix, all } }, options);
  }

  /** A transaction to build and `commit()`; see {@link Txn}. */
  txn(request: Partial<TxnRequest> = {}): Txn {
    return new Txn(
      (body, options) => this.#write<TxnResult>({ method: "POST", path: "/txn", body }, options),
      request,
    );
  }

  /** Grants a lease of `ttlMs` and keeps it alive until `revoke()` or disposal. */
  async lease(ttlMs: number, options: CallOptions = {}): Promise<Lease> {
    return new Lease(this, await this.grantLease(ttlMs, options));
  }

  /** Grants a lease of `ttlMs` without keeping it alive. */
  grantLease(ttlMs: number, options: CallOptions = {}): Promise<LeaseGrant> {
    return this.#write({ method: "POST", path: "/lease", body: { ttlMs } }, options);
  }

  /** Sends one keep-alive for lease `id`; answers its time left. */
  keepAliveLease(id: number, options: CallOptions = {}): Promise<LeaseGrant> {
    return this.#transport.json<LeaseGrant>({
      method: "POST",
      path: "/lease/keepalive",
      body: { id },
      target: "leader",
      // Keep-alives are not log entries: sending one twice only renews twice.
      retry: "always",
      signal: signalOf(options),
    });
  }

  /** Lease `id`'s time left and attached keys; `NotFoundError` once it is gone. */
  leaseInfo(id: number, options: CallOptions = {}): Promise<LeaseInfo> {
    return this.#transport.json<LeaseInfo>({
      method: "GET",
      path: "/lease",
      query: { id: String(id) },
      target: "leader",
      retry: "always",
      signal: signalOf(options),
    });
  }

  /** Revokes lease `id`, deleting every key attached to it. */
  revokeLease(id: number, options: CallOptions = {}): Promise<{ index?: number }> {
    return this.#write({ method: "DELETE", path: "/lease", query: { id: String(id) } }, options);
  }

  /** The changes to `keyOrPrefix`, as an async iterator that resumes after disconnects. */
  watch(keyOrPrefix: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void> {
    return watchEvents(this.#transport, keyOrPrefix, options);
  }

  /** Takes the lock `name`; see {@link lock}. */
  lock(name: string, options: LockOptions = {}): Promise<Lock> {
    return lock(this, name, options);
  }

  /** An election on `name`; see {@link elect}. */
  elect(name: string, options: ElectionOptions = {}): Election {
    return elect(this, name, options);
  }

  /** The status of one node: the given `endpoint`, else the one the client talks to. */
  async status(options: StatusOptions = {}): Promise<NodeStatus> {
    const call: Call = { method: "GET", path: "/status", target: "any", retry: "always" };
    const answer = await this.#transport.json<NodeStatus>({
      ...call,
      signal: signalOf(options),
      ...(options.endpoint === undefined ? {} : { origin: endpointOrigin(options.endpoint) }),
    });
    return answer;
  }

  /** The members as the leader sees them (with match index and last contact). */
  async members(options: CallOptions = {}): Promise<MemberStatus[]> {
    const status = await this.status(options);
    if (status.role === "leader" || status.leaderHttpAddr === "") return status.members;
    // Over HTTPS a node names the leader by URL; over HTTP by host:port.
    const scheme = this.#transport.origin("any").startsWith("https:") ? "https" : "http";
    const leader = status.leaderHttpAddr.includes("://")
      ? status.leaderHttpAddr
      : `${scheme}://${status.leaderHttpAddr}`;
    try {
      const view = await this.status({ ...options, endpoint: leader });
      this.#transport.noteLeader(leader);
      return view.members;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return status.members;
    }
  }

  /** Adds a member (a learner until it catches up); a no-op for an identical member. */
  join(options: JoinOptions): Promise<MembershipResult> {
    const body = { id: options.id, addr: options.raftAddr, httpAddr: options.httpAddr ?? "" };
    return this.#transport.json<MembershipResult>({
      method: "POST",
      path: "/join",
      body,
      target: "leader",
      // Adding an identical member again is a no-op, so a join may be sent twice.
      retry: "always",
      signal: signalOf(options),
    });
  }

  /** Removes member `id`. */
  remove(id: string, options: CallOptions = {}): Promise<MembershipResult> {
    return this.#write({ method: "POST", path: "/remove", query: { id } }, options);
  }

  /**
   * Asks the leader to hand leadership to `to` (the most caught-up voter when not given);
   * answers once the new leader leads.
   */
  transferLeader(to?: string, options: CallOptions = {}): Promise<LeaderTransfer> {
    return this.#write({ method: "POST", path: "/transfer-leader", query: { to } }, options);
  }

  /** Opens `GET /snapshot` on one node; the caller reads or cancels the body. */
  async snapshot(options: StatusOptions = {}): Promise<Response> {
    const answer = await this.#transport.open({
      method: "GET",
      path: "/snapshot",
      target: "any",
      retry: "always",
      signal: signalOf(options),
      ...(options.endpoint === undefined ? {} : { origin: endpointOrigin(options.endpoint) }),
    });
    return answer.response;
  }

  /** Releases the client's TLS settings; calls in flight are not affected. */
  close(): void {
    this.#transport.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #write<T>(call: Omit<Call, "target" | "retry" | "signal">, options: CallOptions): Promise<T> {
    return this.#transport.json<T>({
      ...call,
      target: "leader",
      retry: "unsent",
      signal: signalOf(options),
    });
  }
}
