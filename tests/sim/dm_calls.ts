/**
 * Calls into simulated nodes for the data-model clients, keep-alives and
 * watches: each call is recorded with its outcome as the checker takes it.
 * A refusal decided when the entry applied (a `prevIndex` that did not
 * hold, a missing lease) is kept apart from one that proves the call never
 * reached the log; a call to a node that crashes has an unknown outcome.
 *
 * @module
 */

import {
  LeaseNotFoundError,
  NotLeaderError,
  PreconditionFailedError,
  RejectedError,
  UnavailableError,
} from "../../src/api.ts";
import type { RaftKvNode } from "../../src/node/kv_node.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { NodeId } from "../../src/raft/types.ts";
import type { DmHistory, DmInput, DmOp, DmOutput, DmResult } from "./dm_history.ts";
import type { Machine } from "./sim_cluster.ts";

/** A live node: a leader most of the time when `preferLeader`, else any. */
export function pickNode(rng: Rng, alive: Machine[], preferLeader: boolean): Machine | undefined {
  if (alive.length === 0) return undefined;
  if (preferLeader && rng.int(10) < 8) {
    const leaders = alive.filter((m) => m.node?.driver.core.state().role === "leader");
    if (leaders.length > 0) return leaders[rng.int(leaders.length)];
  }
  return alive[rng.int(alive.length)];
}

/** What a failure says about whether the operation took effect, or that it is a bug. */
function classify(error: unknown): "refused" | "unknown" | "unexpected" {
  if (error instanceof NotLeaderError || error instanceof RejectedError) return "refused";
  if (error instanceof UnavailableError) return error.indeterminate ? "unknown" : "refused";
  return "unexpected";
}

/** What a failure means for the checker, or null when no node should fail that way. */
export function outputOf(error: unknown): DmOutput | null {
  if (error instanceof PreconditionFailedError) {
    return { status: "precondition", current: error.current };
  }
  if (error instanceof LeaseNotFoundError) return { status: "leaseNotFound" };
  const outcome = classify(error);
  const message = error instanceof Error ? error.message : String(error);
  if (outcome === "refused") return { status: "refused", error: message };
  if (outcome === "unknown") return { status: "unknown", error: message };
  return null;
}

interface Sent {
  node: NodeId;
  incarnation: number;
  done?: (output: DmOutput) => void;
}

/**
 * The calls in flight and their recording.
 *
 * @example
 * ```ts ignore
 * const calls = new SimCalls(history, () => log.maxApplied, false);
 * calls.send("c1", { kind: "leaseGrant", ttlMs: 300 }, machine, 0, (node) => node.leaseGrant(300));
 * ```
 */
export class SimCalls {
  readonly #history: DmHistory;
  readonly #appliedMax: () => number;
  readonly #trace: boolean;
  readonly #inflight = new Map<DmOp, Sent>();
  /** A failure no node should answer with (a bug), if any. */
  unexpected: Error | null = null;

  /**
   * @param history where the operations go
   * @param appliedMax the highest index any node applied, now
   * @param trace print every outcome
   */
  constructor(history: DmHistory, appliedMax: () => number, trace: boolean) {
    this.#history = history;
    this.#appliedMax = appliedMax;
    this.#trace = trace;
  }

  /**
   * Calls `run` on `machine`'s node as `client` at `nowMs`; `done` hears
   * the outcome (not when the node crashes first). No node: refused.
   */
  send(
    client: string,
    input: DmInput,
    target: { machine: Machine | undefined; nowMs: number },
    run: (node: RaftKvNode) => Promise<DmResult>,
    done?: (output: DmOutput) => void,
  ): DmOp {
    const op = this.#history.call(client, input, target.nowMs);
    const machine = target.machine;
    if (machine === undefined || machine.node === null) {
      this.#settle(op, { status: "refused", error: "No node is up" }, done && { done });
      return op;
    }
    const sent: Sent = { node: machine.id, incarnation: machine.incarnation };
    if (done !== undefined) sent.done = done;
    this.#inflight.set(op, sent);
    run(machine.node).then(
      (result) => this.#finish(op, { status: "ok", result }),
      (error) => this.#finish(op, this.#failure(error)),
    );
    return op;
  }

  /** Every call sent to `node` in `incarnation` has an unknown outcome (it crashed). */
  abandonNode(node: NodeId, incarnation: number): void {
    for (const [op, sent] of this.#inflight) {
      if (sent.node !== node || sent.incarnation !== incarnation) continue;
      this.#inflight.delete(op);
      this.#settle(op, { status: "unknown", error: "Node crashed" }, sent);
    }
  }

  /** Every call still in flight has an unknown outcome (the run ends). */
  abandonAll(): void {
    for (const [op, sent] of this.#inflight) {
      this.#settle(op, { status: "unknown", error: "The run ended" }, sent);
    }
    this.#inflight.clear();
  }

  #failure(error: unknown): DmOutput {
    const output = outputOf(error);
    if (output !== null) return output;
    this.unexpected ??= error instanceof Error ? error : new Error(String(error));
    return { status: "unknown", error: String(error) };
  }

  #finish(op: DmOp, output: DmOutput): void {
    const sent = this.#inflight.get(op);
    if (sent === undefined) return;
    this.#inflight.delete(op);
    this.#settle(op, output, sent);
  }

  #settle(op: DmOp, output: DmOutput, sent: Partial<Sent> | undefined): void {
    const { done, node } = sent ?? {};
    this.#history.settle(op, output, this.#appliedMax());
    if (this.#trace) {
      const to = node === undefined ? "" : ` on ${node}`;
      console.log(
        `  ${op.atMs} ms ${op.client}${to} ${JSON.stringify(op.input)} -> ${
          JSON.stringify(output)
        }`,
      );
    }
    done?.(output);
  }
}
