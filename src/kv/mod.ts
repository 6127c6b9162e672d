/**
 * The replicated key-value state machine and its command codec.
 *
 * @module
 */

export { type Command, decodeCommand, encodeDelete, encodePut } from "./command.ts";
export { type ApplyResult, KvStateMachine } from "./state_machine.ts";
