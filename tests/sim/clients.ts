/**
 * The simulated register clients: puts, deletes and reads at every level
 * on a few keys, sent to the nodes through the same calls the HTTP layer
 * makes, so what a node acknowledges is exactly what the checkers see.
 * Each outcome lands in the workload's history for the per-key
 * linearizability checker (done, never happened, or unknown: a write whose
 * node crashed, timed out or lost its leadership), and every call in the
 * data-model history too, which checks it against the log.
 *
 * @module
 */

import type { ReadLevel } from "../../src/api.ts";
import type { RaftKvNode } from "../../src/node/kv_node.ts";
import type { Rng } from "../../src/raft/rng.ts";
import { pickNode, type SimCalls } from "./dm_calls.ts";
import type { DmInput, DmOutput, DmResult } from "./dm_history.ts";
import type { Operation } from "./linearizability.ts";
import type { Machine } from "./sim_cluster.ts";
import { SIM_KEYS, type Workload } from "./workload.ts";

/**
 * Issues operations and records their outcomes.
 *
 * @example
 * ```ts ignore
 * const clients = new SimClients(workload, rng, calls);
 * clients.issue(cluster.alive(), nowMs);
 * ```
 */
export class SimClients {
  private readonly workload: Workload;
  private readonly rng: Rng;
  private readonly calls: SimCalls;

  /**
   * @param workload where the history goes
   * @param rng the run's generator
   * @param calls how operations are sent and recorded
   */
  constructor(workload: Workload, rng: Rng, calls: SimCalls) {
    this.workload = workload;
    this.rng = rng;
    this.calls = calls;
  }

  /** Up to four operations from idle clients, to random nodes (mostly the leader). */
  issue(alive: Machine[], nowMs: number): void {
    for (let attempts = 0; attempts < 4; attempts++) {
      if (this.rng.int(2) === 0) continue;
      const client = this.workload.takeClient();
      if (client < 0) return;
      this.issueOne(client, alive, nowMs);
    }
  }

  private issueOne(client: number, alive: Machine[], nowMs: number): void {
    const w = this.workload;
    const key = SIM_KEYS[this.rng.int(SIM_KEYS.length)]!;
    const roll = this.rng.int(100);
    const machine = pickNode(this.rng, alive, roll < 70);
    let op: Operation;
    if (roll < 35) op = w.call(client, { kind: "put", key, value: w.newValue(key) });
    else if (roll < 45) op = w.call(client, { kind: "delete", key });
    else op = w.call(client, { kind: "get", key });
    if (machine === undefined || machine.node === null) return w.refuse(op);
    const level = roll < 60 ? "stale" : roll < 80 ? "default" : "consistent";
    const input = dmInput(op, level);
    this.calls.send(
      `c${client}`,
      input,
      { machine, nowMs },
      (node) => send(node, input),
      (output) => this.settled(op, level, output),
    );
  }

  private settled(op: Operation, level: ReadLevel, output: DmOutput): void {
    const w = this.workload;
    if (output.status === "refused") return w.refuse(op);
    if (output.status !== "ok") return w.abandon(op);
    const result = output.result;
    if (op.input.kind === "put") return w.complete(op, null);
    if (op.input.kind === "delete") {
      return w.complete(op, { deleted: (result as { deleted: boolean }).deleted });
    }
    const value = (result as { record: { value: string } | null }).record?.value ?? null;
    if (level === "stale") w.completeStale(op, value);
    else w.complete(op, { value });
  }
}

/** The register operation as the data-model history records it. */
function dmInput(op: Operation, level: ReadLevel): DmInput {
  const input = op.input;
  if (input.kind === "put") return { kind: "put", key: input.key, value: input.value, options: {} };
  if (input.kind === "delete") return { kind: "delete", key: input.key };
  return { kind: "get", key: input.key, level };
}

/** Sends a register operation through the calls the HTTP layer makes (plain put and delete). */
async function send(node: RaftKvNode, input: DmInput): Promise<DmResult> {
  if (input.kind === "put") return await node.put(input.key, input.value) as DmResult;
  if (input.kind === "delete") return await node.delete(input.key);
  if (input.kind !== "get") throw new Error(`Not a register operation: "${input.kind}"`);
  return { record: await node.get(input.key, input.level) };
}
