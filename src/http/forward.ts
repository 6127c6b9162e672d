/**
 * Forwarding for the proxying dialect: a write that reaches a follower is
 * re-issued to the leader and the leader's answer is relayed, so clients
 * that cannot follow redirects still land their writes.
 *
 * @module
 */

import { NotLeaderError, UnavailableError } from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { leaderUrl } from "./errors.ts";

/** Marks a forwarded request, so that a node that is no leader either does not forward it again. */
export const FORWARDED_HEADER = "x-rafter-forwarded";

/**
 * Runs `write`; when this node is not the leader and knows who is, sends the
 * same request (method, path, query, `body`) to the leader and relays its
 * answer. A request that was already forwarded is never forwarded again: it
 * fails with `UnavailableError` (leadership moved while it travelled).
 */
export async function writeOrForward(
  request: Request,
  body: Uint8Array<ArrayBuffer>,
  deps: HttpDeps,
  write: () => Promise<Response>,
): Promise<Response> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof NotLeaderError) || error.leaderHttpAddr === "") throw error;
    if (request.headers.has(FORWARDED_HEADER)) {
      throw new UnavailableError(
        `Cannot serve a forwarded request: leadership moved to "${error.leaderHttpAddr}"`,
      );
    }
    return await forward(request, body, error.leaderHttpAddr, deps);
  }
}

async function forward(
  request: Request,
  body: Uint8Array<ArrayBuffer>,
  leaderHttpAddr: string,
  deps: HttpDeps,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.forwardTimeoutMs);
  try {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await deps.fetch(leaderUrl(request, leaderHttpAddr), {
      method: request.method,
      headers: {
        "content-type": request.headers.get("content-type") ?? "application/json",
        [FORWARDED_HEADER]: "1",
      },
      ...(hasBody ? { body } : {}),
      redirect: "manual",
      signal: controller.signal,
    });
    const answer = await response.arrayBuffer();
    return new Response(answer, { status: response.status, headers: relayedHeaders(response) });
  } catch (error) {
    const reason = controller.signal.aborted
      ? `no answer within ${deps.forwardTimeoutMs} ms`
      : (error as Error).message;
    // Only a refused connection certainly carried nothing to the leader.
    const refused = !controller.signal.aborted && /refused/i.test(reason);
    throw new UnavailableError(
      `Cannot forward to the leader at "${leaderHttpAddr}": ${reason}`,
      !refused,
    );
  } finally {
    clearTimeout(timer);
  }
}

function relayedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": response.headers.get("content-type") ?? "application/json",
  };
  for (const name of ["location", "retry-after"]) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}
