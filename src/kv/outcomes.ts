/**
 * An applied outcome as the caller's answer: a refused entry (a condition
 * that did not hold, the quota, a missing lease) becomes its typed error,
 * decided from the entry as it applied on this node.
 *
 * @module
 */

import { LeaseNotFoundError, PreconditionFailedError, QuotaExceededError } from "../api.ts";
import type { ApplyResult } from "./results.ts";
import { recordView } from "./views.ts";

/**
 * Turns a refused outcome into its typed error.
 *
 * @example
 * ```ts
 * import { throwIfRefused } from "./outcomes.ts";
 * throwIfRefused({ kind: "put", index: 3, changes: [], grantedLease: null });
 * try {
 *   throwIfRefused({ kind: "refused", index: 4, changes: [], refusal: { reason: "leaseNotFound", lease: 9 } });
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("9")) throw error;
 * }
 * ```
 */
export function throwIfRefused(result: ApplyResult): void {
  if (result.kind !== "refused") return;
  const refusal = result.refusal;
  if (refusal.reason === "precondition") {
    const current = refusal.current === null ? null : recordView(refusal.current);
    throw new PreconditionFailedError(refusal.key, current);
  }
  if (refusal.reason === "quota") {
    throw new QuotaExceededError(refusal.dataBytes, refusal.quotaBytes);
  }
  throw new LeaseNotFoundError(refusal.lease);
}

/** `result`, unless it was refused: then its typed error. */
export function accepted(result: ApplyResult): ApplyResult {
  throwIfRefused(result);
  return result;
}

/** The index a write applied at, or its refusal's typed error: one step where two would do. */
export function acceptedIndex(result: ApplyResult): { index: number } {
  throwIfRefused(result);
  return { index: result.index };
}
