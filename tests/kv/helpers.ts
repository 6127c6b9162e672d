/**
 * Helpers for the state machine tests: a machine fed one command per entry
 * with consecutive indexes, and short command builders.
 *
 * @module
 */

import { encodeCommand } from "../../src/kv/command.ts";
import type { Command, PutCommand, TxnCommand } from "../../src/kv/command_types.ts";
import type { ApplyResult, Change } from "../../src/kv/results.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import type { Value } from "../../src/kv/value.ts";

/** A state machine and the index of the next entry. */
export class Feeder {
  machine = new KvStateMachine();

  /** Applies `command` as the next entry. */
  apply(command: Command): ApplyResult {
    const index = this.machine.appliedIndex + 1;
    return this.machine.apply({ index, term: 1, type: "normal", data: encodeCommand(command) });
  }

  /** Applies a put with the given options. */
  put(key: string, value: Value, options: Partial<PutCommand> = {}): ApplyResult {
    return this.apply(put(key, value, options));
  }
}

/** A put command with defaults for every option. */
export function put(key: string, value: Value, options: Partial<PutCommand> = {}): PutCommand {
  return { kind: "put", key, value, prevIndex: -1, lease: 0, ttlMs: 0, quotaBytes: 0, ...options };
}

/** A transaction command. */
export function txn(parts: Partial<TxnCommand>): TxnCommand {
  return { kind: "txn", compare: [], success: [], failure: [], quotaBytes: 0, ...parts };
}

/** The changes of an applied entry (none for a no-op). */
export function changesOf(result: ApplyResult): readonly Change[] {
  return result.changes ?? [];
}
