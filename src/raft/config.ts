/**
 * The core's settings, in ticks and counts. The driver turns milliseconds
 * into ticks; the core never sees a clock.
 *
 * @module
 */

/** Settings of one Raft core. */
export interface RaftConfig {
  /** Ticks between heartbeats from the leader. */
  heartbeatTicks: number;
  /** Ticks without a leader before a follower campaigns; randomized in `[electionTicks, 2 * electionTicks)` (§3.4). */
  electionTicks: number;
  /**
   * Ticks a leader may serve reads from its lease after a quorum acknowledged
   * a heartbeat (§6.4.1). Shorter than `electionTicks`: the difference is the
   * margin for clock drift between nodes. Leases need `checkQuorum`, which
   * also makes followers ignore vote requests while they hear from a leader.
   */
  leaseTicks: number;
  /** Most entries in one AppendEntries message. */
  entriesPerMsgMax: number;
  /** Most entry bytes in one AppendEntries message (at least one entry is always sent). */
  bytesPerMsgMax: number;
  /** Most AppendEntries messages in flight to one follower while pipelining. */
  inflightMsgsMax: number;
  /** Ticks a follower may stay in snapshot state without acknowledging before the leader retries. */
  snapshotTimeoutTicks: number;
  /** Run a PreVote round before raising the term (§9.6). */
  preVote: boolean;
  /** A leader steps down when it has not heard from a quorum within an election timeout (§6.2). */
  checkQuorum: boolean;
}

/**
 * The defaults: heartbeat every tick, elections after 10 to 20 ticks.
 *
 * @example
 * ```ts
 * import { defaultConfig, validateConfig } from "./config.ts";
 * validateConfig(defaultConfig());
 * ```
 */
export function defaultConfig(): RaftConfig {
  return {
    heartbeatTicks: 1,
    electionTicks: 10,
    leaseTicks: 8,
    entriesPerMsgMax: 512,
    bytesPerMsgMax: 1024 * 1024,
    inflightMsgsMax: 64,
    snapshotTimeoutTicks: 100,
    preVote: true,
    checkQuorum: true,
  };
}

/**
 * Returns `value` when it is a positive integer; otherwise throws a
 * `RangeError` saying `<label> must be a positive integer, got "<value>"`.
 *
 * @example
 * ```ts
 * import { requirePositiveInteger } from "./config.ts";
 * if (requirePositiveInteger(3, "Setting") !== 3) throw new Error();
 * ```
 */
export function requirePositiveInteger(value: unknown, label: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${label} must be a positive integer, got "${value}"`);
  }
  return value;
}

function positiveInteger(config: RaftConfig, field: keyof RaftConfig): number {
  return requirePositiveInteger(config[field], `Config "${field}"`);
}

/**
 * Checks every field and the fields against each other; throws a `RangeError`
 * naming the first bad one.
 *
 * @example
 * ```ts
 * import { defaultConfig, validateConfig } from "./config.ts";
 * let refused = false;
 * try {
 *   validateConfig({ ...defaultConfig(), leaseTicks: 10 });
 * } catch (error) {
 *   refused = error instanceof RangeError;
 * }
 * if (!refused) throw new Error("a lease as long as the election timeout is unsafe");
 * ```
 */
export function validateConfig(config: RaftConfig): RaftConfig {
  const heartbeat = positiveInteger(config, "heartbeatTicks");
  const election = positiveInteger(config, "electionTicks");
  const lease = positiveInteger(config, "leaseTicks");
  positiveInteger(config, "entriesPerMsgMax");
  positiveInteger(config, "bytesPerMsgMax");
  positiveInteger(config, "inflightMsgsMax");
  positiveInteger(config, "snapshotTimeoutTicks");
  if (election <= heartbeat) {
    throw new RangeError(
      `Config "electionTicks" (${election}) must be greater than "heartbeatTicks" (${heartbeat})`,
    );
  }
  if (lease >= election) {
    throw new RangeError(
      `Config "leaseTicks" (${lease}) must be shorter than "electionTicks" (${election})`,
    );
  }
  return config;
}
