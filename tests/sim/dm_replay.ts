/**
 * Replays the committed log, as the nodes reported applying it, through the
 * reference model: every entry's outcome and changes as a node reported
 * them must be what the model computes, and the replay keeps each entry's
 * command and outcome, and where each put's (unique) value landed, for the
 * checks of client operations.
 *
 * @module
 */

import { decodeCommand } from "../../src/kv/command.ts";
import type { Command } from "../../src/kv/command_types.ts";
import type { ApplyResult } from "../../src/kv/results.ts";
import type { Value } from "../../src/kv/value.ts";
import { describeResult, describeTxn, describeValue } from "./dm_describe.ts";
import type { AppliedLog } from "./dm_history.ts";
import { DataModel } from "./dm_model.ts";

/** The log replayed through the model. */
export interface Replayed {
  model: DataModel;
  /** The last index replayed. */
  lastIndex: number;
  /** Each index's command (null for an empty entry or a membership change). */
  commands: Map<number, Command | null>;
  /** Each index's outcome as the model computed it (and the nodes reported it). */
  results: Map<number, ApplyResult>;
  /** Where each put command (key and value) is in the log. */
  puts: Map<string, number[]>;
}

/** The key of a put in {@link Replayed.puts}. */
export function putKey(key: string, value: Value): string {
  return `${JSON.stringify(key)}=${describeValue(value)}`;
}

/** A command, described for failure messages. */
export function describeCommand(command: Command | null | undefined): string {
  if (command === undefined) return "nothing";
  if (command === null) return "an entry without a command";
  switch (command.kind) {
    case "put":
      return `put ${putKey(command.key, command.value)} prevIndex=${command.prevIndex} ` +
        `lease=${command.lease} ttlMs=${command.ttlMs}`;
    case "delete":
      return `delete ${JSON.stringify(command.key)} prevIndex=${command.prevIndex}`;
    case "deletePrefix":
      return `deletePrefix ${JSON.stringify(command.prefix)}`;
    case "txn":
      return `txn ${describeTxn(command)}`;
    case "leaseGrant":
      return `leaseGrant ttlMs=${command.ttlMs}`;
    case "leaseRevoke":
      return `leaseRevoke ${command.id}`;
  }
}

/**
 * Replays entries 1 to the highest reported; answers what broke (an index
 * no node reported, or an outcome other than the model's) or the replay.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "../../src/kv/command.ts";
 * import { AppliedLog } from "./dm_history.ts";
 * import { replayLog } from "./dm_replay.ts";
 * const log = new AppliedLog();
 * const data = encodeCommand({ kind: "leaseGrant", ttlMs: 300 });
 * log.note("n1", { index: 1, term: 1, type: "normal", data }, { kind: "leaseGrant", id: 1, ttlMs: 300, index: 1, changes: [] });
 * const replayed = replayLog(log);
 * if (typeof replayed === "string" || !replayed.model.leaseAliveAt(1, 1)) throw new Error();
 * ```
 */
export function replayLog(log: AppliedLog): Replayed | string {
  const model = new DataModel();
  const replayed: Replayed = {
    model,
    lastIndex: 0,
    commands: new Map(),
    results: new Map(),
    puts: new Map(),
  };
  const last = Math.max(0, ...log.entries.keys());
  for (let index = 1; index <= last; index++) {
    const applied = log.entries.get(index);
    if (applied === undefined) {
      return `Checker: no node reported applying entry ${index} (entries up to ${last} were)`;
    }
    const { entry } = applied;
    const command = entry.type === "conf" || entry.data.length === 0
      ? null
      : decodeCommand(entry.data);
    const result = model.apply(index, command);
    replayed.commands.set(index, command);
    replayed.results.set(index, result);
    replayed.lastIndex = index;
    if (command?.kind === "put") {
      const key = putKey(command.key, command.value);
      replayed.puts.set(key, [...replayed.puts.get(key) ?? [], index]);
    }
    if (applied.result === null) continue;
    const expected = describeResult(result);
    if (expected !== applied.description) {
      return `State machine: entry ${index} (${describeCommand(command)}) applied as\n  ` +
        `${applied.description}\nbut the model computes\n  ${expected}`;
    }
  }
  return replayed;
}
