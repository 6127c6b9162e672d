/**
 * What a leader accepts into its log: client commands and membership
 * changes (§4.1: one at a time, after an entry of its term committed), and
 * why it refuses one.
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { checkConfChange, encodeConfChange } from "./membership.ts";
import { type ConfChange, type Entry, NO_NODE } from "./types.ts";

/** Why a proposal was refused. */
export type ProposeError = "notLeader" | "transferring" | "confPending" | "invalid";

/** The outcome of a proposal: where the entry went, or why it was refused. */
export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; code: ProposeError; error: string };

/**
 * Appends a client command; only a leader accepts.
 *
 * @example
 * ```ts
 * import { propose } from "./proposals.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * const result = propose(core, new TextEncoder().encode("x"));
 * if (!result.ok || result.index !== 3) throw new Error();
 * ```
 */
export function propose(core: Core, data: Uint8Array): ProposeResult {
  const refused = refuseProposal(core);
  if (refused !== null) return refused;
  return appendOwn(core, { type: "normal", data });
}

/**
 * Proposes a membership change (§4.1): one at a time, after an entry of this term committed.
 *
 * @example
 * ```ts
 * import { proposeConfChange } from "./proposals.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * const change = { op: "addLearner" as const, id: "n2", raftAddr: "a:2", httpAddr: "" };
 * const result = proposeConfChange(core, change);
 * if (result.ok || result.code !== "confPending") throw new Error("the no-op has not committed");
 * ```
 */
export function proposeConfChange(core: Core, change: ConfChange): ProposeResult {
  const refused = refuseProposal(core);
  if (refused !== null) return refused;
  if (!core.committedInTerm) {
    return fail("confPending", "No entry of the current term has committed yet");
  }
  if (core.pendingConfIndex > core.log.committed) {
    return fail("confPending", "A membership change is already in progress");
  }
  const invalid = checkConfChange(core.membership(), change);
  if (invalid !== null) return fail("invalid", invalid);
  return appendOwn(core, { type: "conf", data: encodeConfChange(change) });
}

/**
 * Appends an entry of the leader's term to its own log and marks it for sending.
 *
 * @example
 * ```ts
 * import { appendOwn } from "./proposals.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * const result = appendOwn(core, { type: "normal", data: new Uint8Array(0) });
 * if (!result.ok || core.log.lastIndex() !== 3 || !core.needBroadcast) throw new Error();
 * ```
 */
export function appendOwn(
  core: Core,
  { type, data }: Pick<Entry, "type" | "data">,
): ProposeResult {
  assert(core.role === "leader", "only a leader appends its own entries");
  const index = core.log.lastIndex() + 1;
  const entry: Entry = { index, term: core.term, type, data };
  core.log.append([entry]);
  if (type === "conf") core.noteConfEntries([entry]);
  core.needBroadcast = true;
  assert(core.log.lastIndex() === index, "the appended entry ends the log");
  return { ok: true, index, term: core.term };
}

function refuseProposal(core: Core): ProposeResult | null {
  if (core.role !== "leader") return fail("notLeader", "Not the leader");
  if (core.leadTransferee !== NO_NODE) {
    return fail("transferring", "A leadership transfer is in progress");
  }
  return null;
}

function fail(code: ProposeError, error: string): ProposeResult {
  return { ok: false, code, error };
}
