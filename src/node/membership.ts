/**
 * Changing who is in the cluster: adding a member (probe it, add it as a
 * learner, wait until the leader promotes it once it caught up), removing
 * one, promoting caught-up learners on the leader, and the `--join` loop of
 * a fresh node asking a member to add it.
 *
 * @module
 */

import { type JoinRequest, RejectedError, UnavailableError } from "../api.ts";
import type { Logger } from "../log.ts";
import { findMember } from "../raft/membership.ts";
import { JOIN_PROOF_HEADER } from "../secret/join_proof.ts";
import type { ConfChange, NodeId } from "../raft/types.ts";
import type { PeerInfo } from "../transport/types.ts";
import type { Driver } from "./driver.ts";
import type { Clock, PeerTransport } from "./ports.ts";

/** A learner within this many entries of the commit index is promoted to voter. */
const PROMOTE_LAG_ENTRIES_MAX = 1000;
/** Longest a join may wait for the node at the given address to answer a probe. */
const PROBE_TIMEOUT_MS = 3000;
/** First and longest wait between two attempts of the `--join` loop. */
const JOIN_RETRY_MS_MIN = 200;
const JOIN_RETRY_MS_MAX = 5000;

/** What membership changes need from the node. */
export interface MembersDeps {
  id: NodeId;
  /** This node's advertised Raft and HTTP addresses, for the `--join` loop. */
  raftAddr: string;
  httpAddr: string;
  requestTimeoutMs: number;
  /** The node's current driver (a new one after adoption). */
  driver(): Driver;
  transport: PeerTransport;
  clock: Clock;
  log: Logger;
  /** How the `--join` loop reaches a member's HTTP API. */
  fetch: typeof fetch;
  /** With the cluster secret: the proof a join call carries, for its body. */
  joinProof: ((body: Uint8Array) => Promise<string>) | null;
  stopped(): boolean;
}

/**
 * Joins, removals and promotions of one node.
 *
 * @example
 * ```ts ignore
 * const members = new Members(deps);
 * await members.join({ id: "n4", raftAddr: "127.0.0.1:7004", httpAddr: "" });
 * ```
 */
export class Members {
  /** Nodes this leader is adding: their handshakes are admitted before the log names them. */
  readonly joining = new Set<NodeId>();
  private readonly deps: MembersDeps;
  private joinsInFlight = 0;
  private readonly promotions = new Map<NodeId, (() => void)[]>();

  /** @param deps the node's driver, transport, clock and identity */
  constructor(deps: MembersDeps) {
    this.deps = deps;
  }

  /** True while this node adds members to its own cluster (it must not be adopted meanwhile). */
  get adding(): boolean {
    return this.joinsInFlight > 0;
  }

  /** Adds a member as a learner and waits until it is promoted to voter. */
  async join(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    this.deps.driver().requireLeader();
    this.joinsInFlight++;
    // The new node dials us as soon as it hears our probe: admit it from now on.
    if (request.id !== "") this.joining.add(request.id);
    try {
      return await this.probeAndAdd(request);
    } finally {
      this.joining.delete(request.id);
      this.joinsInFlight--;
    }
  }

  /** Removes a member. */
  async remove(id: NodeId): Promise<{ index: number }> {
    const driver = this.deps.driver();
    driver.requireLeader();
    const member = findMember(driver.core.currentMembership(), id);
    if (member === undefined) {
      throw new RejectedError(`Cannot remove: node id "${id}" is not a member`);
    }
    const change: ConfChange = {
      op: "remove",
      id,
      raftAddr: member.raftAddr,
      httpAddr: member.httpAddr,
    };
    return { index: (await driver.propose(new Uint8Array(0), change)).index };
  }

  /** On the leader, once per tick: proposes the promotion of one learner that caught up. */
  promoteCaughtUp(): void {
    const core = this.deps.driver().core;
    if (core.state().role !== "leader" || core.pendingConf() !== 0) return;
    if (!core.hasCommittedInTerm()) return;
    const membership = core.currentMembership();
    for (const p of core.progress()) {
      const member = findMember(membership, p.id);
      if (member === undefined || member.voter) continue;
      if (p.match + PROMOTE_LAG_ENTRIES_MAX < core.log.committed || p.match === 0) continue;
      const result = core.proposeConfChange({ op: "promote", ...member });
      if (result.ok) this.deps.log.info("promoting learner", { id: member.id });
      return;
    }
  }

  /** A membership change applied: wakes joins waiting for that node to become a voter. */
  memberChanged(change: ConfChange, voter: boolean): void {
    if (!voter) return;
    const list = this.promotions.get(change.id);
    this.promotions.delete(change.id);
    for (const wake of list ?? []) wake();
  }

  /**
   * Asks `url` to add this node, with backoff, until it answers 200 or the
   * node stops. With the cluster secret, each call carries a fresh proof.
   */
  async joinLoop(url: string): Promise<void> {
    const { deps } = this;
    const body = new TextEncoder().encode(
      JSON.stringify({ id: deps.id, addr: deps.raftAddr, httpAddr: deps.httpAddr }),
    );
    let delay = JOIN_RETRY_MS_MIN;
    while (!deps.stopped() && deps.driver().core.currentMembership().length === 0) {
      try {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (deps.joinProof !== null) headers[JOIN_PROOF_HEADER] = await deps.joinProof(body);
        const response = await deps.fetch(`${url}/join`, {
          method: "POST",
          body,
          headers,
          signal: AbortSignal.timeout(deps.requestTimeoutMs * 3),
        });
        const text = await response.text();
        if (response.ok) {
          deps.log.info("join accepted", { via: url });
          return;
        }
        deps.log.warn("join refused; retrying", { via: url, status: response.status, body: text });
      } catch (error) {
        deps.log.warn("join failed; retrying", { via: url, error: String(error) });
      }
      await new Promise<void>((resolve) => deps.clock.after(delay, resolve));
      delay = Math.min(delay * 2, JOIN_RETRY_MS_MAX);
    }
  }

  private async probeAndAdd(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    const info = await this.probe(request.raftAddr);
    if (request.id !== "" && info.id !== request.id) {
      throw new RejectedError(
        `Cannot join: the node at "${request.raftAddr}" is "${info.id}", not "${request.id}"`,
      );
    }
    const id = info.id;
    this.joining.add(id);
    try {
      const index = await this.addLearner(id, request.raftAddr, request.httpAddr || info.httpAddr);
      await this.waitVoter(id);
      return { id, index };
    } finally {
      this.joining.delete(id);
    }
  }

  /** Proposes `id` as a learner; 0 when it is already a member at that address. */
  private async addLearner(id: NodeId, raftAddr: string, httpAddr: string): Promise<number> {
    const driver = this.deps.driver();
    const membership = driver.core.currentMembership();
    const sameAddr = membership.find((m) => m.raftAddr === raftAddr && m.id !== id);
    if (sameAddr !== undefined) {
      throw new RejectedError(
        `Cannot join: address "${raftAddr}" belongs to member "${sameAddr.id}"`,
      );
    }
    const existing = findMember(membership, id);
    if (existing === undefined) {
      const change: ConfChange = { op: "addLearner", id, raftAddr, httpAddr };
      return (await driver.propose(new Uint8Array(0), change)).index;
    }
    if (existing.raftAddr !== raftAddr) {
      throw new RejectedError(
        `Cannot join: node id "${id}" is already a member at "${existing.raftAddr}"`,
      );
    }
    return 0;
  }

  private async probe(raftAddr: string): Promise<PeerInfo> {
    try {
      return await this.deps.transport.probe(raftAddr, PROBE_TIMEOUT_MS);
    } catch (error) {
      throw new RejectedError(
        `Cannot join: the node at "${raftAddr}" did not accept us: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }

  private waitVoter(id: NodeId): Promise<void> {
    const machine = this.deps.driver().machine;
    if (findMember(machine.membership, id)?.voter === true) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cancel = this.deps.clock.after(this.deps.requestTimeoutMs * 2, () => {
        reject(
          new UnavailableError(
            `Node "${id}" was added as a learner but has not caught up yet`,
            true,
          ),
        );
      });
      const list = this.promotions.get(id) ?? [];
      list.push(() => {
        cancel();
        resolve();
      });
      this.promotions.set(id, list);
    });
  }
}
