/**
 * The simulator's faults, drawn from the run's seed once per tick: network
 * partitions and cuts, changed conditions (loss, duplication, delay,
 * corruption, a slower disk), crashes (also in the middle of a write) and
 * restarts, membership changes and leadership transfers through the calls
 * an operator makes.
 *
 * @module
 */

import type { Rng } from "../../src/raft/rng.ts";
import type { NodeId } from "../../src/raft/types.ts";
import type { SimNetwork } from "./network.ts";
import type { Machine, SimCluster } from "./sim_cluster.ts";
import { simAddr } from "./sim_transport.ts";

/** What the faults act on, and how they report. */
export interface FaultContext {
  rng: Rng;
  network: SimNetwork;
  cluster: SimCluster;
  /** Counts a fault of `kind` (and traces it). */
  count(kind: string): void;
  /** The live leader of the highest term, if any. */
  leader(): Machine | undefined;
  /** A node crashed: its operations' outcomes are unknown. */
  crashed(machine: Machine, incarnation: number): void;
  /** Nodes removed at some point (they are not added back). */
  removed: Set<NodeId>;
  /** The chance a storage write completes in one time unit. */
  diskRate: number;
}

/** Draws one fault (or none) for this tick. */
export async function injectFault(ctx: FaultContext): Promise<void> {
  const roll = ctx.rng.int(1000);
  const ids = [...ctx.cluster.machines.keys()];
  if (roll < 15) partitionHalves(ctx, ids);
  else if (roll < 25) isolateLeader(ctx, ids);
  else if (roll < 35) oneWayCuts(ctx, ids);
  else if (roll < 65) {
    if (ctx.network.cutCount() > 0) ctx.count("heal");
    ctx.network.heal();
  } else if (roll < 80) crashRandom(ctx, false);
  else if (roll < 120) await restartRandom(ctx);
  else if (roll < 135) changeConditions(ctx);
  else if (roll < 155) crashRandom(ctx, true);
  else if (roll < 165) changeMembership(ctx);
  else if (roll < 172) transferLeadership(ctx);
}

function partitionHalves(ctx: FaultContext, ids: NodeId[]): void {
  ctx.count("partition");
  const side = new Set(ids.filter(() => ctx.rng.int(2) === 0));
  for (const a of ids) {
    for (const b of ids) if (side.has(a) !== side.has(b)) ctx.network.cut(a, b);
  }
}

function isolateLeader(ctx: FaultContext, ids: NodeId[]): void {
  const leader = ctx.leader();
  if (leader === undefined) return;
  ctx.count("isolateLeader");
  for (const other of ids) {
    if (other === leader.id) continue;
    ctx.network.cut(leader.id, other);
    ctx.network.cut(other, leader.id);
  }
}

function oneWayCuts(ctx: FaultContext, ids: NodeId[]): void {
  ctx.count("oneWayCut");
  const n = 1 + ctx.rng.int(3);
  for (let i = 0; i < n; i++) {
    const from = ids[ctx.rng.int(ids.length)]!;
    const to = ids[ctx.rng.int(ids.length)]!;
    if (from !== to) ctx.network.cut(from, to);
  }
}

/** Crashes a random live node; `midWrite` picks one with a write in progress and may tear it. */
function crashRandom(ctx: FaultContext, midWrite: boolean): void {
  let alive = ctx.cluster.alive();
  if (midWrite) alive = alive.filter((m) => (m.storage?.pendingCount ?? 0) > 0);
  if (alive.length <= (midWrite ? 0 : 1)) return;
  const machine = alive[ctx.rng.int(alive.length)]!;
  const torn = midWrite && ctx.rng.int(2) === 0;
  ctx.count(midWrite ? (torn ? "tornWrite" : "crashMidWrite") : "crash");
  const incarnation = machine.incarnation;
  ctx.cluster.crash(machine.id, torn ? 1 + ctx.rng.int(4) : 0);
  ctx.crashed(machine, incarnation);
}

async function restartRandom(ctx: FaultContext): Promise<void> {
  const down = [...ctx.cluster.machines.values()].filter((m) => m.node === null);
  if (down.length === 0) return;
  ctx.count("restart");
  await ctx.cluster.start(down[ctx.rng.int(down.length)]!.id);
}

function changeConditions(ctx: FaultContext): void {
  ctx.count("conditions");
  const pick = (max: number) => ctx.rng.int(max + 1) / 100;
  ctx.network.conditions = {
    dropRate: pick(15),
    duplicateRate: pick(10),
    slowRate: pick(20),
    delayMax: 1 + ctx.rng.int(5),
    slowDelayMax: 5 + ctx.rng.int(40),
    corruptRate: pick(5),
  };
  ctx.diskRate = 0.2 + ctx.rng.int(9) / 10;
  const c = ctx.network.conditions;
  if (c.dropRate > 0) ctx.count("dropping");
  if (c.duplicateRate > 0) ctx.count("duplicating");
  if (c.slowRate > 0) ctx.count("delaying");
  if (c.corruptRate > 0) ctx.count("corrupting");
  if (ctx.diskRate < 0.5) ctx.count("slowDisk");
}

/** Adds a spare node through the leader's join, or removes a voter. */
function changeMembership(ctx: FaultContext): void {
  const leader = ctx.leader();
  const node = leader?.node;
  if (leader === undefined || node == null) return;
  const members = node.driver.core.currentMembership();
  const voters = members.filter((m) => m.voter);
  const spare = [...ctx.cluster.machines.keys()].find((id) =>
    !members.some((m) => m.id === id) && !ctx.removed.has(id)
  );
  if (spare !== undefined && ctx.rng.int(2) === 0) {
    ctx.count("join");
    node.join({ id: spare, raftAddr: simAddr(spare), httpAddr: "" }).catch(() => {});
  } else if (voters.length > 2) {
    const victim = voters[ctx.rng.int(voters.length)]!;
    ctx.count("remove");
    ctx.removed.add(victim.id);
    node.remove(victim.id).catch(() => {});
  }
}

function transferLeadership(ctx: FaultContext): void {
  const node = ctx.leader()?.node;
  if (node == null) return;
  try {
    node.transferLeader();
    ctx.count("transfer");
  } catch {
    // A transfer or a membership change is in progress: nothing to do.
  }
}
