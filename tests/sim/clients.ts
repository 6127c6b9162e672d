/**
 * The simulated clients: puts, deletes and reads at every level, sent to
 * the nodes through the same calls the HTTP layer makes, so what a node
 * acknowledges is exactly what the linearizability checker sees. Each
 * outcome lands in the workload's history: done, never happened (refused,
 * or a write the node says was never proposed), or unknown (a write whose
 * node crashed, timed out or lost its leadership).
 *
 * @module
 */

import { NotLeaderError, type ReadLevel, RejectedError, UnavailableError } from "../../src/api.ts";
import type { RaftKvNode } from "../../src/node/kv_node.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { NodeId } from "../../src/raft/types.ts";
import type { Operation } from "./linearizability.ts";
import type { Machine } from "./sim_cluster.ts";
import { SIM_KEYS, type Workload } from "./workload.ts";

/** Where an operation was sent. */
interface Sent {
  node: NodeId;
  incarnation: number;
}

/**
 * Issues operations and records their outcomes.
 *
 * @example
 * ```ts ignore
 * const clients = new SimClients(workload, rng, false);
 * clients.issue(cluster.alive(), () => "t=1");
 * ```
 */
export class SimClients {
  private readonly workload: Workload;
  private readonly rng: Rng;
  private readonly trace: boolean;
  private readonly inflight = new Map<Operation, Sent>();
  /** A failure no node should answer with (a bug), if any. */
  unexpected: Error | null = null;

  /**
   * @param workload where the history goes
   * @param rng the run's generator
   * @param trace print every outcome
   */
  constructor(workload: Workload, rng: Rng, trace: boolean) {
    this.workload = workload;
    this.rng = rng;
    this.trace = trace;
  }

  /** Operations sent and not settled yet. */
  get pending(): number {
    return this.inflight.size;
  }

  /** Up to four operations from idle clients, to random nodes (mostly the leader). */
  issue(alive: Machine[]): void {
    for (let attempts = 0; attempts < 4; attempts++) {
      if (this.rng.int(2) === 0) continue;
      const client = this.workload.takeClient();
      if (client < 0) return;
      this.issueOne(client, alive);
    }
  }

  /** Every operation sent to `node` in `incarnation` has an unknown outcome (it crashed). */
  abandonNode(node: NodeId, incarnation: number): void {
    for (const [op, sent] of this.inflight) {
      if (sent.node !== node || sent.incarnation !== incarnation) continue;
      this.inflight.delete(op);
      this.workload.abandon(op);
    }
  }

  /** Every operation still in flight has an unknown outcome (the run ends). */
  abandonAll(): void {
    for (const op of this.inflight.keys()) this.workload.abandon(op);
    this.inflight.clear();
  }

  private pick(alive: Machine[], preferLeader: boolean): Machine | undefined {
    if (alive.length === 0) return undefined;
    if (preferLeader && this.rng.int(10) < 8) {
      const leaders = alive.filter((m) => m.node?.driver.core.state().role === "leader");
      if (leaders.length > 0) return leaders[this.rng.int(leaders.length)];
    }
    return alive[this.rng.int(alive.length)];
  }

  private issueOne(client: number, alive: Machine[]): void {
    const w = this.workload;
    const key = SIM_KEYS[this.rng.int(SIM_KEYS.length)]!;
    const roll = this.rng.int(100);
    const machine = this.pick(alive, roll < 70);
    const node = machine?.node ?? null;
    let op: Operation;
    if (roll < 35) op = w.call(client, { kind: "put", key, value: w.newValue(key) });
    else if (roll < 45) op = w.call(client, { kind: "delete", key });
    else op = w.call(client, { kind: "get", key });
    if (machine === undefined || node === null) return w.refuse(op);
    this.inflight.set(op, { node: machine.id, incarnation: machine.incarnation });
    const level = roll < 60 ? "stale" : roll < 80 ? "default" : "consistent";
    send(node, op, level).then((output) => this.done(op, level, output), (e) => this.failed(op, e));
  }

  private done(op: Operation, level: ReadLevel, output: Operation["output"]): void {
    if (!this.inflight.delete(op)) return;
    if (this.trace) console.log(`  ${JSON.stringify(op.input)} -> ${JSON.stringify(output)}`);
    const stale = op.input.kind === "get" && level === "stale";
    if (stale) this.workload.completeStale(op, (output as { value: string | null }).value);
    else this.workload.complete(op, output);
  }

  private failed(op: Operation, error: unknown): void {
    if (!this.inflight.delete(op)) return;
    const outcome = classify(error);
    if (this.trace) console.log(`  ${JSON.stringify(op.input)} -> ${outcome}: ${error}`);
    if (outcome === "refused") this.workload.refuse(op);
    else if (outcome === "unknown") this.workload.abandon(op);
    else {
      this.unexpected ??= error instanceof Error ? error : new Error(String(error));
      this.workload.abandon(op);
    }
  }
}

/** Sends `op` to `node` through the calls the HTTP layer makes. */
async function send(
  node: RaftKvNode,
  op: Operation,
  level: ReadLevel,
): Promise<Operation["output"]> {
  const input = op.input;
  if (input.kind === "put") {
    await node.put(input.key, input.value);
    return null;
  }
  if (input.kind === "delete") return { deleted: (await node.delete(input.key)).deleted };
  return { value: (await node.get(input.key, level))?.value ?? null };
}

type Outcome = "refused" | "unknown" | "unexpected";

/** What a failure says about whether the operation took effect. */
function classify(error: unknown): Outcome {
  if (error instanceof NotLeaderError || error instanceof RejectedError) return "refused";
  if (error instanceof UnavailableError) return error.indeterminate ? "unknown" : "refused";
  return "unexpected";
}
