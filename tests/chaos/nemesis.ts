/**
 * The nemesis: plays a run's fault plan against the live cluster, one
 * episode after another (a quiet spell, then a fault held for a while, then
 * its heal), resolving each fault's target when it starts (who leads then),
 * and keeps the timeline the report is built from.
 *
 * @module
 */

import { type Cluster, type NodeProcess, sleep } from "../cluster/harness.ts";
import { createRng } from "../../src/raft/rng.ts";
import { type Cut, cutLinks, failSyncs, fillDisk, freeDisk, healLinks } from "./faults.ts";
import type { Lab } from "./lab.ts";
import { ClusterView, type Membership } from "./membership.ts";
import { describeSpec, type Episode, type FaultKind, type FaultSpec } from "./plan.ts";

/** One fault as it happened. */
export interface TimelineEvent {
  kind: FaultKind;
  /** What was done, naming nodes: `kill n2 (leader)`. */
  detail: string;
  /** Milliseconds since the run started. */
  start: number;
  end: number;
  /** The node that led when the fault started, or `""`. */
  leader: string;
  /** The fault took the leader out (killed, paused, failed disk): failover is timed from `start`. */
  leaderDown: boolean;
  /** What went wrong applying or healing it (no leader found, a removal refused). */
  notes: string[];
  /**
   * For a `kill -9` or `SIGSTOP` of the leader: milliseconds until a write
   * through another node was acknowledged (null when none was in time).
   */
  failoverMs?: number | null;
}

/** Measures failover until `signal` aborts: see `Workload.probeWrite`. */
export type FailoverProbe = (
  down: string,
  sinceMs: number,
  signal: AbortSignal,
) => Promise<number | null>;

/** A fault in force and how to heal it. */
interface Active {
  event: TimelineEvent;
  heal(): Promise<void>;
  /** A failover measurement under way, stopped at the heal. */
  probe?: { result: Promise<number | null>; stop: AbortController };
}

/** Plays episodes against a cluster in a lab. */
export class Nemesis {
  readonly timeline: TimelineEvent[] = [];
  /** Pids that a failed disk was expected to stop (they exit with status 1). */
  readonly diskExitPids = new Set<number>();
  readonly #cluster: Cluster;
  readonly #lab: Lab;
  readonly #clock: () => number;
  readonly view: ClusterView;

  readonly #probe: FailoverProbe;

  /**
   * @param spareId the node a membership change may add and remove
   * @param probe times a failover once the leader is killed or paused
   */
  constructor(
    cluster: Cluster,
    lab: Lab,
    clock: () => number,
    options: { spareId: string; probe: FailoverProbe },
  ) {
    this.#cluster = cluster;
    this.#lab = lab;
    this.#clock = clock;
    this.view = new ClusterView(cluster, options.spareId);
    this.#probe = options.probe;
  }

  /** Plays `episodes` in order; starts none after `stopAtMs` (run time). */
  async run(episodes: readonly Episode[], stopAtMs: number): Promise<void> {
    for (const episode of episodes) {
      await sleep(episode.quietMs);
      if (this.#clock() + episode.faultMs > stopAtMs) return;
      const main = await this.#apply(episode.spec, episode.pick);
      const during = episode.during === null
        ? null
        : await this.#apply(episode.during, episode.pick >>> 1);
      await sleep(episode.faultMs);
      if (during !== null) await this.#finish(during);
      await this.#finish(main);
    }
  }

  /** Heals whatever is still in force and restarts every node that should run. */
  async healAll(): Promise<void> {
    for (const node of this.view.paused) this.#cluster.resume(node);
    this.view.paused.clear();
    await healLinks();
    for (const stop of this.view.syncFaults.splice(0)) await stop();
    for (const host of this.#lab.hosts.values()) await freeDisk(host);
    for (const node of this.#cluster.nodes) {
      if (this.view.removed.has(node.id)) continue;
      if (node.child !== null && !hasExited(node)) continue;
      if (node.child !== null) await this.#cluster.reap(node);
      this.#cluster.restart(node);
    }
  }

  async #apply(spec: FaultSpec, pick: number): Promise<Active> {
    const event: TimelineEvent = {
      kind: spec.kind,
      detail: describeSpec(spec),
      start: this.#clock(),
      end: 0,
      leader: "",
      leaderDown: false,
      notes: [],
    };
    this.timeline.push(event);
    try {
      const heal = await this.#inflict(spec, pick, event);
      const leaderStopped = event.leaderDown && (spec.kind === "kill" || spec.kind === "pause");
      if (!leaderStopped) return { event, heal };
      const stop = new AbortController();
      return {
        event,
        heal,
        probe: { result: this.#probe(event.leader, event.start, stop.signal), stop },
      };
    } catch (error) {
      event.notes.push(`could not apply: ${error instanceof Error ? error.message : error}`);
      return { event, heal: () => Promise.resolve() };
    }
  }

  async #finish(active: Active): Promise<void> {
    if (active.probe !== undefined) {
      active.probe.stop.abort();
      active.event.failoverMs = await active.probe.result;
      if (active.event.failoverMs === null) {
        active.event.notes.push("no write acknowledged before the heal");
      }
    }
    try {
      await active.heal();
    } catch (error) {
      active.event.notes.push(`could not heal: ${error instanceof Error ? error.message : error}`);
    }
    active.event.end = this.#clock();
  }

  async #inflict(
    spec: FaultSpec,
    pick: number,
    event: TimelineEvent,
  ): Promise<() => Promise<void>> {
    const members = await this.view.members();
    event.leader = members.leader?.id ?? "";
    if (members.leader === null) event.notes.push("no leader was known");
    switch (spec.kind) {
      case "kill":
        return await this.#kill(pickOf(members, spec.target, pick), event);
      case "pause":
        return this.#pause(pickOf(members, spec.target, pick), event);
      case "partition":
        return await this.#partition(spec.shape, members, pick, event);
      case "membership":
        return await this.view.change(spec, pickOf(members, spec.target, pick), event);
      case "disk":
        return await this.#disk(spec.fault, pickOf(members, spec.target, pick), event);
    }
  }

  async #kill(node: NodeProcess, event: TimelineEvent): Promise<() => Promise<void>> {
    event.detail = `kill -9 ${roleOf(node, event)}`;
    event.leaderDown = node.id === event.leader;
    await this.#cluster.kill9(node);
    return () => Promise.resolve(this.#cluster.restart(node));
  }

  #pause(node: NodeProcess, event: TimelineEvent): () => Promise<void> {
    event.detail = `SIGSTOP ${roleOf(node, event)}`;
    event.leaderDown = node.id === event.leader;
    this.#cluster.pause(node);
    this.view.paused.add(node);
    return () => {
      this.#cluster.resume(node);
      this.view.paused.delete(node);
      return Promise.resolve();
    };
  }

  async #partition(
    shape: Extract<FaultSpec, { kind: "partition" }>["shape"],
    members: Membership,
    pick: number,
    event: TimelineEvent,
  ): Promise<() => Promise<void>> {
    const nodes = shuffled(members.nodes, pick);
    const leader = members.leader ?? nodes[0]!;
    const others = nodes.filter((n) => n !== leader);
    const host = (node: NodeProcess) => this.#lab.host(node.id);
    const across = (a: NodeProcess[], b: NodeProcess[], oneWay = false): Cut[] =>
      a.flatMap((x) => b.map((y) => ({ from: host(x), to: host(y), oneWay })));
    const ids = (group: NodeProcess[]) => group.map((n) => n.id).join(" ");
    let cuts: Cut[];
    if (shape === "leader-isolated") {
      cuts = across([leader], others);
      event.detail = `partition ${ids([leader])} (leader) | ${ids(others)}`;
    } else if (shape === "majority-minority") {
      const minority = nodes.slice(0, Math.floor((nodes.length - 1) / 2));
      const majority = nodes.slice(minority.length);
      cuts = across(minority, majority);
      event.detail = `partition minority ${ids(minority)} | majority ${ids(majority)}`;
    } else if (shape === "one-way") {
      const outbound = pick % 2 === 0;
      cuts = outbound ? across([leader], others, true) : across(others, [leader], true);
      event.detail = outbound
        ? `one-way cut: ${leader.id} (leader) cannot reach ${ids(others)}`
        : `one-way cut: ${ids(others)} cannot reach ${leader.id} (leader)`;
    } else {
      const [bridge, ...rest] = nodes;
      const half = Math.floor(rest.length / 2);
      cuts = across(rest.slice(0, half), rest.slice(half));
      event.detail = `bridge ${bridge!.id} between ${ids(rest.slice(0, half))} | ${
        ids(rest.slice(half))
      }`;
    }
    await cutLinks(cuts);
    return healLinks;
  }

  async #disk(
    fault: "full" | "eio",
    node: NodeProcess,
    event: TimelineEvent,
  ): Promise<() => Promise<void>> {
    const pid = node.child?.pid;
    if (pid === undefined) throw new Error(`Node "${node.id}" is not running`);
    event.leaderDown = node.id === event.leader;
    this.diskExitPids.add(pid);
    const host = this.#lab.host(node.id);
    let stop: () => Promise<void>;
    if (fault === "full") {
      const bytes = await fillDisk(host);
      event.detail = `disk full on ${roleOf(node, event)} (${
        Math.round(bytes / 1048576)
      } MiB filler)`;
      stop = () => freeDisk(host);
    } else {
      const syncs = failSyncs(pid);
      event.detail = `fdatasync/fsync fail with EIO on ${roleOf(node, event)}`;
      stop = syncs.stop;
      this.view.syncFaults.push(stop);
    }
    return async () => {
      await stop();
      const index = this.view.syncFaults.indexOf(stop);
      if (index >= 0) this.view.syncFaults.splice(index, 1);
      if (node.child?.pid !== pid || !hasExited(node)) {
        event.notes.push(`${node.id} kept running: it synced nothing meanwhile`);
        return;
      }
      const status = await this.#cluster.reap(node);
      event.notes.push(`${node.id} stopped (status ${status.code}) and was restarted`);
      this.#cluster.restart(node);
    };
  }
}

/** The node a `leader` or `follower` target names: followers chosen by `pick`. */
function pickOf(members: Membership, target: "leader" | "follower", pick: number): NodeProcess {
  const followers = members.nodes.filter((n) => n !== members.leader);
  const chosen = target === "leader" || followers.length === 0
    ? members.leader ?? members.nodes[pick % members.nodes.length]
    : followers[pick % followers.length];
  if (chosen === undefined) throw new Error("No running member to target");
  return chosen;
}

/** `n2 (leader)` or `n3 (follower)`. */
function roleOf(node: NodeProcess, event: TimelineEvent): string {
  return `${node.id} (${node.id === event.leader ? "leader" : "follower"})`;
}

/** `nodes` in an order drawn from `pick`. */
function shuffled(nodes: readonly NodeProcess[], pick: number): NodeProcess[] {
  const rng = createRng(pick);
  const out = [...nodes];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Whether `node`'s current process has exited (and is not yet reaped). */
export function hasExited(node: NodeProcess): boolean {
  const pid = node.child?.pid;
  return pid !== undefined && node.exits.some((exit) => exit.pid === pid);
}
