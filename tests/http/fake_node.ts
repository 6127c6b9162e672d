/**
 * An in-memory stand-in for a node, implementing `KvApi` for the HTTP tests:
 * a map with Raft-like indexes, a switch that makes it a follower, and a slot
 * for an error that every call throws. The data-model operations run the
 * real state machine through `KvService` over a port without Raft (each
 * write applies at once); they keep their own indexes, apart from the map's.
 *
 * @module
 */

import {
  type Backup,
  type BytesRecord,
  type JoinRequest,
  type KvApi,
  type KvRecord,
  type LeadershipMoved,
  type LeaseInfo,
  type MemberStatus,
  type NodeStatus,
  NotLeaderError,
  type PutOptions,
  type PutResult,
  type ReadLevel,
  type ScanRequest,
  type ScanResult,
  type TxnRequest,
  type TxnResult,
  type WatchRequest,
  type WatchStream,
} from "../../src/api.ts";
import type { NodeOp } from "../../src/http/data_ops.ts";
import { type AppOptions, createApp } from "../../src/http/mod.ts";
import { KvService } from "../../src/kv/service.ts";
import { backupOf } from "../../src/node/backup.ts";
import { LocalPort } from "../kv/local_port.ts";

/** One recorded call: the operation and its arguments. */
export interface Call {
  op: "get" | "put" | "delete" | "join" | "remove" | NodeOp;
  args: unknown[];
}

/** The shortest lease TTL the fake accepts: three of the default election timeouts. */
export const FAKE_LEASE_TTL_MS_MIN = 1500;

/** A fake node; public fields steer it and record what it was asked. */
export class FakeNode implements KvApi {
  readonly records = new Map<string, KvRecord>();
  readonly calls: Call[] = [];
  members: MemberStatus[] = [member("n1", "127.0.0.1:7001", "127.0.0.1:8001")];
  index = 1;
  id = "n1";
  /** When not null, this node is a follower: writes and `default` reads throw NotLeaderError. */
  leaderHttpAddr: string | null = null;
  /** When not null, every call but `status` throws it. */
  error: Error | null = null;
  /** What `status()` reports as time since the leader was heard; undefined leaves it out. */
  leaderContactMs: number | undefined = 0;
  /** Entries committed but not yet applied, as `status()` reports them. */
  appliedLag = 0;
  /** The leader a follower names (when `leaderHttpAddr` is not `""`). */
  followerLeaderId = "n1";
  /** The port the data-model operations run on: its state machine, history and clock. */
  readonly port = new LocalPort({ entriesMax: 1000 });
  readonly data = new KvService(this.port, { quotaBytes: 0, leaseTtlMsMin: FAKE_LEASE_TTL_MS_MIN });

  #enter(op: Call["op"], args: unknown[], write: boolean): void {
    this.calls.push({ op, args });
    if (this.error !== null) throw this.error;
    if (write && this.leaderHttpAddr !== null) throw new NotLeaderError(this.leaderHttpAddr);
  }

  get(key: string, level: ReadLevel): Promise<KvRecord | null> {
    this.#enter("get", [key, level], level === "default");
    return Promise.resolve(this.records.get(key) ?? null);
  }

  put(key: string, value: string): Promise<{ index: number }> {
    this.#enter("put", [key, value], true);
    const index = ++this.index;
    const createIndex = this.records.get(key)?.createIndex ?? index;
    this.records.set(key, { key, value, createIndex, modIndex: index });
    return Promise.resolve({ index });
  }

  delete(key: string): Promise<{ deleted: boolean; index: number }> {
    this.#enter("delete", [key], true);
    return Promise.resolve({ deleted: this.records.delete(key), index: ++this.index });
  }

  join(request: JoinRequest): Promise<{ id: string; index: number }> {
    this.#enter("join", [request], true);
    // The real node learns an unnamed joiner's id from the transport handshake.
    const id = request.id === "" ? `learned-${request.raftAddr}` : request.id;
    this.members.push(member(id, request.raftAddr, request.httpAddr));
    return Promise.resolve({ id, index: ++this.index });
  }

  remove(id: string): Promise<{ index: number }> {
    this.#enter("remove", [id], true);
    this.members = this.members.filter((m) => m.id !== id);
    return Promise.resolve({ index: ++this.index });
  }

  putValue(key: string, value: string | Uint8Array, options: PutOptions): Promise<PutResult> {
    this.#enter("putValue", [key, value, options], true);
    return this.data.putValue(key, value, options);
  }

  deleteValue(key: string, options: { prevIndex?: number }) {
    this.#enter("deleteValue", [key, options], true);
    return this.data.deleteValue(key, options);
  }

  getValue(key: string, level: ReadLevel): Promise<BytesRecord | null> {
    this.#enter("getValue", [key, level], level === "default");
    return this.data.getValue(key, level);
  }

  scan(request: ScanRequest, level: ReadLevel): Promise<ScanResult> {
    this.#enter("scan", [request, level], level === "default");
    return this.data.scan(request, level);
  }

  deletePrefix(prefix: string): Promise<{ deleted: number; index: number }> {
    this.#enter("deletePrefix", [prefix], true);
    return this.data.deletePrefix(prefix);
  }

  txn(request: TxnRequest): Promise<TxnResult> {
    this.#enter("txn", [request], true);
    return this.data.txn(request);
  }

  leaseGrant(ttlMs: number): Promise<{ id: number; ttlMs: number }> {
    this.#enter("leaseGrant", [ttlMs], true);
    return this.data.leaseGrant(ttlMs);
  }

  leaseKeepAlive(id: number): Promise<{ id: number; ttlMs: number }> {
    this.#enter("leaseKeepAlive", [id], true);
    return this.data.leaseKeepAlive(id);
  }

  leaseInfo(id: number): Promise<LeaseInfo> {
    this.#enter("leaseInfo", [id], true);
    return this.data.leaseInfo(id);
  }

  leaseRevoke(id: number): Promise<{ id: number; deleted: number; index: number }> {
    this.#enter("leaseRevoke", [id], true);
    return this.data.leaseRevoke(id);
  }

  watch(request: WatchRequest): Promise<WatchStream> {
    this.#enter("watch", [request], false);
    return this.data.watch(request);
  }
  /** A backup of the data port's state machine (term 2); 503 before anything is applied. */
  backup(): Backup {
    this.#enter("backup", [], false);
    return backupOf(this.port.machine().freeze(), 2);
  }

  /** Leadership "moves" to `to` (to n2 when not named) at once; a follower throws NotLeaderError. */
  handOffLeadership(to: string): Promise<LeadershipMoved> {
    try {
      this.#enter("handOffLeadership", [to], true);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve({ leaderId: to === "" ? "n2" : to, term: 3 });
  }

  status(): NodeStatus {
    const leader = this.leaderHttpAddr === null;
    return {
      id: this.id,
      clusterId: "c0ffee",
      role: leader ? "leader" : "follower",
      term: 2,
      leaderId: leader ? this.id : this.leaderHttpAddr === "" ? "" : this.followerLeaderId,
      leaderHttpAddr: leader ? "127.0.0.1:8001" : this.leaderHttpAddr ?? "",
      commitIndex: this.index,
      appliedIndex: this.index - this.appliedLag,
      lastLogIndex: this.index,
      snapshotIndex: 0,
      droppedPeerMessages: 0,
      members: this.members,
      ...(this.leaderContactMs === undefined ? {} : { leaderContactMs: this.leaderContactMs }),
    };
  }
}

/** A voter with the given addresses. */
export function member(id: string, raftAddr: string, httpAddr: string): MemberStatus {
  return { id, voter: true, raftAddr, httpAddr, matchIndex: 0, lastContactMs: -1 };
}

/** A fresh fake node and an app serving it. */
export function fakeApp(
  options: AppOptions = {},
): { node: FakeNode; app: ReturnType<typeof createApp> } {
  const node = new FakeNode();
  return { node, app: createApp(node, options) };
}

/** The leader's HTTP address in {@link forwardingPair}. */
export const PAIR_LEADER = "127.0.0.1:8001";

/**
 * A leader node and a follower app whose forwarded requests reach the
 * leader's app; `forwarded` records each forwarded request.
 */
export function forwardingPair(forwardTimeoutMs = 5000): {
  leader: FakeNode;
  follower: FakeNode;
  app: ReturnType<typeof createApp>;
  forwarded: Request[];
} {
  const leader = new FakeNode();
  const leaderApp = createApp(leader);
  const follower = new FakeNode();
  follower.id = "n2";
  follower.leaderHttpAddr = PAIR_LEADER;
  const forwarded: Request[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    forwarded.push(request.clone());
    return Promise.resolve(leaderApp.request(request));
  };
  const app = createApp(follower, { fetch, forwardTimeoutMs });
  return { leader, follower, app, forwarded };
}
