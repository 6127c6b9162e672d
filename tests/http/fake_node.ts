/**
 * An in-memory stand-in for a node, implementing `KvApi` for the HTTP tests:
 * a map with Raft-like indexes, a switch that makes it a follower, and a slot
 * for an error that every call throws.
 *
 * @module
 */

import {
  type JoinRequest,
  type KvApi,
  type KvRecord,
  type MemberStatus,
  type NodeStatus,
  NotLeaderError,
  type ReadLevel,
} from "../../src/api.ts";
import { type AppOptions, createApp } from "../../src/http/mod.ts";

/** One recorded call: the operation and its arguments. */
export interface Call {
  op: "get" | "put" | "delete" | "join" | "remove";
  args: unknown[];
}

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
