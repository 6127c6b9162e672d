/**
 * What to do with one `Ready`, in the one order that keeps Raft's promises
 * (§10.2.1): send the leader's appends at once, so followers write while the
 * leader does; install a snapshot from the leader; apply what committed
 * (durable on a quorum already, so it need not wait for this node's sync);
 * release the reads now safe; write the rest with one sync; and only then
 * send the replies that promise durability (votes, append acknowledgements).
 * A hard state that only moves the commit index waits for the next sync: a
 * node that forgets it relearns it from the leader. The driver, the
 * simulator and the protocol test network all carry out this plan.
 *
 * @module
 */

import type { Entry, HardState, Message, ReadState, Ready, Snapshot } from "../raft/types.ts";
import type { SaveBatch } from "../storage/types.ts";

/** One thing to do, in plan order. */
export type PlanStep =
  | { kind: "send"; messages: Message[] }
  | { kind: "installSnapshot"; snapshot: Snapshot }
  | { kind: "apply"; entries: Entry[] }
  | { kind: "reads"; readStates: ReadState[] }
  | { kind: "save"; batch: SaveBatch };

/** The steps for one `Ready`, and the hard state to carry into the next save. */
export interface ReadyPlan {
  steps: PlanStep[];
  /** A commit-only hard state not written yet: it rides along with the next save. */
  carry: HardState | null;
}

/**
 * Deliberate bugs the simulator's tests switch on to show it catches them.
 * Never set outside those tests.
 */
export interface PlanBreaks {
  /** Send the replies that promise durability before the save that makes them true. */
  sendBeforeSave?: boolean;
}

/**
 * The plan for `rd`, given the commit-only hard state `carried` from the
 * last one.
 *
 * @example
 * ```ts
 * import { planReady } from "./ready_plan.ts";
 * const vote = { type: "voteResp" } as import("../raft/types.ts").Message;
 * const plan = planReady({
 *   messages: [], hardState: { term: 2, vote: "n1", commit: 0 }, entries: [], snapshot: null,
 *   messagesAfterSync: [vote], committed: [], readStates: [], mustSync: true,
 * }, null);
 * if (plan.steps.map((s) => s.kind).join() !== "save,send") throw new Error("a vote follows its sync");
 * ```
 */
export function planReady(
  rd: Ready,
  carried: HardState | null,
  breaks: PlanBreaks = {},
): ReadyPlan {
  const steps: PlanStep[] = [];
  if (rd.messages.length > 0) steps.push({ kind: "send", messages: rd.messages });
  if (rd.snapshot !== null) steps.push({ kind: "installSnapshot", snapshot: rd.snapshot });
  if (rd.committed.length > 0) steps.push({ kind: "apply", entries: rd.committed });
  if (rd.readStates.length > 0) steps.push({ kind: "reads", readStates: rd.readStates });
  const hardState = rd.hardState ?? carried;
  const after: PlanStep | null = rd.messagesAfterSync.length > 0
    ? { kind: "send", messages: rd.messagesAfterSync }
    : null;
  if (after !== null && breaks.sendBeforeSave === true) steps.push(after);
  if (!rd.mustSync) {
    if (after !== null && breaks.sendBeforeSave !== true) steps.push(after);
    return { steps, carry: hardState };
  }
  steps.push({ kind: "save", batch: { hardState, entries: rd.entries } });
  if (after !== null && breaks.sendBeforeSave !== true) steps.push(after);
  return { steps, carry: null };
}
