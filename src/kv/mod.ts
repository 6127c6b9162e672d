/**
 * The replicated key-value state machine, its command codec and snapshot
 * format, and the helpers a driver owns around it: the watch history and
 * the leader's lease deadlines.
 *
 * @module
 */

export { decodeCommand, encodeCommand, encodeDelete, encodePut } from "./command.ts";
export {
  type Command,
  COMMAND_VERSION,
  commandVersionOf,
  UnknownCommandError,
} from "./command_types.ts";
export { LeaseDeadlines } from "./lease_deadlines.ts";
export type { ApplyResult, Change, StoredRecord } from "./results.ts";
export { type DriverPort, KvService, type ServiceSettings } from "./service.ts";
export { decodeSnapshot, encodeSnapshot, encodeSnapshotPieces } from "./snapshot.ts";
export { KvStateMachine } from "./state_machine.ts";
export { DEFAULT_HISTORY_LIMITS, type HistoryLimits, WatchHistory } from "./watch_history.ts";
