/**
 * When a node is ready for traffic: a leader is known and was heard from
 * within an election timeout, and this node has applied everything it knows
 * committed. `/readyz?noleader` skips the leader part, as rqlite's does.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";

/** The verdict and, when not ready, why. */
export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Judges `status`; `leaderCheck` false skips the leader conditions.
 *
 * @example
 * ```ts
 * import { readiness } from "./readiness.ts";
 * import type { NodeStatus } from "../api.ts";
 * const status = { leaderId: "n1", leaderContactMs: 40, commitIndex: 9, appliedIndex: 9 } as NodeStatus;
 * if (!readiness(status, { electionTimeoutMs: 500, leaderCheck: true }).ready) throw new Error();
 * const behind = { ...status, appliedIndex: 7 };
 * if (readiness(behind, { electionTimeoutMs: 500, leaderCheck: false }).ready) throw new Error();
 * ```
 */
export function readiness(
  status: NodeStatus,
  options: { electionTimeoutMs: number; leaderCheck: boolean },
): Readiness {
  if (options.leaderCheck) {
    if (status.leaderId === "") return { ready: false, reason: "No leader is known" };
    const contactMs = status.leaderContactMs;
    if (contactMs !== undefined && (contactMs < 0 || contactMs > options.electionTimeoutMs)) {
      return {
        ready: false,
        reason:
          `Leader "${status.leaderId}" not heard from within the election timeout of ${options.electionTimeoutMs} ms (last contact "${contactMs}" ms ago)`,
      };
    }
  }
  if (status.appliedIndex < status.commitIndex) {
    return {
      ready: false,
      reason:
        `Applied index "${status.appliedIndex}" is behind the commit index "${status.commitIndex}"`,
    };
  }
  return { ready: true };
}
