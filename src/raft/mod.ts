/**
 * The Raft core: a pure, deterministic consensus state machine.
 *
 * @module
 */

export * from "./types.ts";
export { defaultConfig, type RaftConfig, validateConfig } from "./config.ts";
export { createRng, type Rng } from "./rng.ts";
export {
  bootstrapState,
  type CoreBreaks,
  type ProgressStatus,
  type ProposeError,
  type ProposeResult,
  RaftNode,
  type RaftOptions,
} from "./raft.ts";
export {
  applyConfChange,
  decodeConfChange,
  encodeConfChange,
  findMember,
  isVoter,
  voterIds,
} from "./membership.ts";
export { newMessage } from "./message.ts";
export { AssertionError } from "./assert.ts";
