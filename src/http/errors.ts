/**
 * The one place where errors become status codes. Handlers throw; this maps:
 * not the leader → 307 to the leader (503 when none is known; with auth on,
 * the request is forwarded instead, since a redirect loses credentials),
 * unavailable → 503, rejected → 400, a failed precondition → 412 with the
 * current record, an unknown lease → 404, a compacted watch start → 410, the
 * quota → 507, `HTTPException` → its status, anything else → 500. Every body
 * is `{"error": "..."}`, with the fields the error carries beside it; a 503
 * also says whether the request may still take effect (`"indeterminate"`):
 * false only when it was never proposed, so a client may retry it.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  CompactedError,
  LeaseNotFoundError,
  NotLeaderError,
  PreconditionFailedError,
  QuotaExceededError,
  RejectedError,
  UnavailableError,
} from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { forwardToLeader, leaderUrl } from "./forward.ts";
import { guardedBody } from "./guard.ts";
import { loggedUrl } from "./redact.ts";
import { json } from "./respond.ts";

function unavailable(message: string, indeterminate: boolean, deps: HttpDeps): Response {
  return json({ error: message, indeterminate }, 503, {
    "retry-after": String(deps.retryAfterSeconds),
  });
}

/** Maps a thrown error to its response. */
export function errorResponse(error: unknown, request: Request, deps: HttpDeps): Response {
  if (error instanceof NotLeaderError) {
    if (error.leaderHttpAddr === "") return unavailable(error.message, false, deps);
    const location = leaderUrl(request, error.leaderHttpAddr, deps.scheme);
    return json({ error: error.message }, 307, { location });
  }
  if (error instanceof UnavailableError) {
    return unavailable(error.message, error.indeterminate, deps);
  }
  if (error instanceof RejectedError) return json({ error: error.message }, 400);
  const dataModel = dataModelResponse(error);
  if (dataModel !== null) return dataModel;
  if (error instanceof HTTPException) return json({ error: error.message }, error.status);
  const message = error instanceof Error ? error.message : String(error);
  deps.logger.error("request failed", { method: request.method, url: loggedUrl(request), message });
  return json({ error: `Internal error: ${message}` }, 500);
}

/** The data model's errors, or null for any other. */
function dataModelResponse(error: unknown): Response | null {
  if (error instanceof PreconditionFailedError) {
    return json({ error: error.message, current: error.current }, 412);
  }
  if (error instanceof LeaseNotFoundError) return json({ error: error.message }, 404);
  if (error instanceof CompactedError) {
    const { compactedIndex, currentIndex } = error;
    return json({ error: error.message, compactedIndex, currentIndex }, 410);
  }
  if (error instanceof QuotaExceededError) {
    const { dataBytes, quotaBytes } = error;
    return json({ error: error.message, dataBytes, quotaBytes }, 507);
  }
  return null;
}

/**
 * The app's error handler: {@link errorResponse}, except that with auth on a
 * request that reached a follower is forwarded to the leader (the guard has
 * checked the caller and kept the body) rather than redirected.
 */
export function answerError(
  error: Error,
  c: Context,
  deps: HttpDeps,
): Response | Promise<Response> {
  const request = c.req.raw;
  if (deps.auth === null || !(error instanceof NotLeaderError) || error.leaderHttpAddr === "") {
    return errorResponse(error, request, deps);
  }
  const body = guardedBody(c) ?? new Uint8Array(0);
  return forwardToLeader(request, body, error.leaderHttpAddr, deps).catch((failure) =>
    errorResponse(failure, request, deps)
  );
}
