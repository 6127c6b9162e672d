/**
 * What to do with one `Ready`, in the one order that keeps Raft's promises
 * (§10.2.1): send the leader's appends at once, so followers write while the
 * leader does; install a snapshot from the leader; start writing the rest
 * with one sync; apply what committed (durable on a quorum already, so it
 * need not wait for this node's sync) and release the reads now safe while
 * that sync runs; and only once it is done send the replies that promise
 * durability (votes, append acknowledgements). A hard state that only moves
 * the commit index waits for the next sync: a node that forgets it relearns
 * it from the leader. The driver (with {@link runPlan}), the simulator and
 * the protocol test network all carry out this plan.
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
 * // A follower's append with a commit: its save starts before the apply, its acknowledgement after.
 * const entry = (index: number) => ({ index, term: 2, type: "normal" as const, data: new Uint8Array() });
 * const append = planReady({
 *   messages: [], hardState: null, entries: [entry(4)], snapshot: null,
 *   messagesAfterSync: [{ type: "appResp" } as import("../raft/types.ts").Message],
 *   committed: [entry(3)], readStates: [], mustSync: true,
 * }, null);
 * if (append.steps.map((s) => s.kind).join() !== "save,apply,send") throw new Error();
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
  const hardState = rd.hardState ?? carried;
  const after: PlanStep | null = rd.messagesAfterSync.length > 0
    ? { kind: "send", messages: rd.messagesAfterSync }
    : null;
  if (after !== null && breaks.sendBeforeSave === true) steps.push(after);
  if (rd.mustSync) steps.push({ kind: "save", batch: { hardState, entries: rd.entries } });
  if (rd.committed.length > 0) steps.push({ kind: "apply", entries: rd.committed });
  if (rd.readStates.length > 0) steps.push({ kind: "reads", readStates: rd.readStates });
  if (after !== null && breaks.sendBeforeSave !== true) steps.push(after);
  if (!rd.mustSync) return { steps, carry: hardState };
  return { steps, carry: null };
}

/**
 * Carries out `steps` in order; `carryOut` answers a promise for a step that
 * waits on storage. A save is not waited for where it stands: the steps after
 * it (applying, serving reads) run during its sync, and a send after it (the
 * replies that promise durability) waits for it to finish. When the save
 * fails, what was applied meanwhile was committed by a quorum all the same.
 *
 * @example
 * ```ts
 * import { type PlanStep, runPlan } from "./ready_plan.ts";
 * const done: string[] = [];
 * const steps = [
 *   { kind: "save" }, { kind: "apply" }, { kind: "send" },
 * ] as PlanStep[];
 * await runPlan(steps, (step) => {
 *   if (step.kind !== "save") return void done.push(step.kind);
 *   return new Promise((resolve) => setTimeout(resolve, 1)).then(() => void done.push("saved"));
 * });
 * if (done.join() !== "apply,saved,send") throw new Error(done.join());
 * ```
 */
export async function runPlan(
  steps: PlanStep[],
  carryOut: (step: PlanStep) => Promise<void> | undefined,
): Promise<void> {
  let saving: Promise<void> | undefined;
  try {
    for (const step of steps) {
      if (step.kind === "send" && saving !== undefined) {
        await saving;
        saving = undefined;
      }
      const pending = carryOut(step);
      if (step.kind === "save") saving = pending;
      else if (pending !== undefined) await pending;
    }
  } catch (error) {
    // The turn fails with this error; a save still running must not fail unheard.
    saving?.catch(() => {});
    throw error;
  }
  await saving;
}
