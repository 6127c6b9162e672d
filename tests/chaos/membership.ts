/**
 * What the nemesis knows of the cluster: who leads and who is a member now
 * (asked of the nodes themselves, with bounded waits), which nodes it paused
 * or removed on purpose, and the membership changes it makes: remove a
 * member and add it back with a fresh data directory, or add a spare node
 * and remove it again.
 *
 * @module
 */

import type { NodeStatus } from "../../src/api.ts";
import { type Cluster, type NodeProcess, request, sleep } from "../cluster/harness.ts";
import type { FaultSpec } from "./plan.ts";

/** The leader (null when none was found in time) and the running, unpaused members. */
export interface Membership {
  leader: NodeProcess | null;
  nodes: NodeProcess[];
}

/** Where a membership change writes what it did. */
interface EventLike {
  detail: string;
  notes: string[];
}

/** How long the nemesis waits for a leader before acting without one. */
const LEADER_WAIT_MS = 10_000;
/** How long a removal may retry. */
const CHANGE_WAIT_MS = 8_000;
/** Pause between polls and retries. */
const POLL_MS = 100;
/** Fewest members a removal leaves in place: a lone voter is not tested here. */
const MEMBERS_MIN_AFTER_REMOVAL = 2;

/** The nemesis' view of the cluster and the state it keeps about it. */
export class ClusterView {
  /** Nodes paused with SIGSTOP: never asked anything. */
  readonly paused = new Set<NodeProcess>();
  /** Ids of nodes removed from the cluster and stopped on purpose. */
  readonly removed = new Set<string>();
  /** Stops of the sync faults in force. */
  readonly syncFaults: (() => Promise<void>)[] = [];
  readonly #cluster: Cluster;
  readonly #spareId: string;

  constructor(cluster: Cluster, spareId: string) {
    this.#cluster = cluster;
    this.#spareId = spareId;
  }

  /** Nodes that run and may be asked. */
  askable(): NodeProcess[] {
    return this.#cluster.running().filter((n) => !this.paused.has(n));
  }

  /** The leader and members now; waits a while for a leader, then answers without one. */
  async members(): Promise<Membership> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    for (;;) {
      const askable = this.askable();
      const statuses = await Promise.all(askable.map((n) => this.#cluster.status(n)));
      const leaders = statuses.filter((s): s is NodeStatus => s?.role === "leader");
      const lead = leaders.sort((a, b) => b.term - a.term)[0];
      if (lead !== undefined) {
        const ids = new Set(lead.members.map((m) => m.id));
        return {
          leader: this.#cluster.node(lead.id),
          nodes: askable.filter((n) => ids.has(n.id)),
        };
      }
      if (Date.now() >= deadline) {
        return { leader: null, nodes: askable.filter((n) => !this.removed.has(n.id)) };
      }
      await sleep(POLL_MS);
    }
  }

  /** Makes the change `spec` names (to `target` for a removal); answers its undo. */
  async change(
    spec: Extract<FaultSpec, { kind: "membership" }>,
    target: NodeProcess,
    event: EventLike,
  ): Promise<() => Promise<void>> {
    if (spec.change === "remove-add") {
      const members = await this.members();
      if (members.nodes.length - 1 < MEMBERS_MIN_AFTER_REMOVAL) {
        event.notes.push(`kept ${target.id}: too few members to remove one`);
        return () => Promise.resolve();
      }
      event.detail = `remove ${target.id}, then add it back empty`;
      if (!await this.#remove(target, event)) return () => Promise.resolve();
      return async () => {
        await this.#add(target);
      };
    }
    const existing = this.#cluster.nodes.find((n) => n.id === this.#spareId);
    if (existing !== undefined && !this.removed.has(existing.id)) {
      event.notes.push(`${this.#spareId} is already a member`);
      return () => Promise.resolve();
    }
    event.detail = `add ${this.#spareId}, then remove it`;
    const spare = existing ?? null;
    const added = await this.#add(spare ?? this.#spareId);
    return async () => {
      await this.#noteJoined(added, event);
      await this.#remove(added, event);
    };
  }

  /**
   * Removes `node` through the leader (retrying); once the removal is
   * confirmed, stops it for good and answers true. An unconfirmed removal
   * leaves the node running as it is: wiping a member's data while it may
   * still vote loses committed writes (a stale node wins with its vote).
   */
  async #remove(node: NodeProcess, event: EventLike): Promise<boolean> {
    const deadline = Date.now() + CHANGE_WAIT_MS;
    let done = false;
    let last = "";
    while (!done && Date.now() < deadline) {
      const { leader } = await this.members();
      if (leader === null) {
        last = "no leader";
        continue;
      }
      try {
        const answer = await request(`http://${leader.httpAddr}/remove?id=${node.id}`, {
          method: "POST",
        });
        done = answer.status === 200 || answer.text.includes("is not a member");
        last = `${answer.status} ${answer.text}`;
      } catch (error) {
        last = String(error);
      }
      if (!done) await sleep(POLL_MS);
    }
    if (!done) {
      event.notes.push(`kept ${node.id}: its removal was not confirmed (${last})`);
      return false;
    }
    this.removed.add(node.id);
    if (node.child !== null) await this.#cluster.kill9(node);
    return true;
  }

  /**
   * Starts `node` (or a new node with that id) on an empty data directory,
   * joining through a running follower when there is one (a follower
   * redirects the join to the leader; the leader may be the next to fail).
   * Does not wait for the join to complete: the node retries it on its own.
   */
  async #add(node: NodeProcess | string): Promise<NodeProcess> {
    const { leader, nodes } = await this.members();
    const via = nodes.find((n) => n !== leader) ?? leader;
    if (via === null || via === undefined) throw new Error("No running member to join through");
    const mode = { join: `http://${via.httpAddr}` };
    const added = typeof node === "string" ? this.#cluster.add(node, mode) : node;
    if (typeof node !== "string") await this.#cluster.startFresh(node, mode);
    this.removed.delete(added.id);
    return added;
  }

  /** Notes whether `node` is a voter in the leader's view now. */
  async #noteJoined(node: NodeProcess, event: EventLike): Promise<void> {
    const { leader } = await this.members();
    const status = leader === null ? null : await this.#cluster.status(leader);
    const voter = status?.members.some((m) => m.id === node.id && m.voter) === true;
    event.notes.push(`${node.id} ${voter ? "had joined as a voter" : "had not joined yet"}`);
  }
}
