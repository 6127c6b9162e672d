/**
 * Forwarding to the leader: a request that reaches a follower is re-issued
 * to the leader (same method, path, query and body, with the caller's
 * `Authorization` or join proof) and the leader's answer relayed. The
 * dialects whose clients cannot follow redirects (proxying, set/get's
 * `/set`, put/get/delete) always forward their writes; with auth on every
 * route does, since redirects lose credentials.
 *
 * @module
 */

import { NotLeaderError, UnavailableError } from "../api.ts";
import { JOIN_PROOF_HEADER } from "../secret/mod.ts";
import type { HttpDeps } from "./deps.ts";

/** Marks a forwarded request, so that a node that is no leader either does not forward it again. */
export const FORWARDED_HEADER = "x-rafter-forwarded";

/**
 * The same path and query on the leader's HTTP address.
 *
 * @example
 * ```ts
 * import { leaderUrl } from "./forward.ts";
 * const url = leaderUrl(new Request("http://n2:8002/key?key=k"), "n1:8001", "https");
 * if (url !== "https://n1:8001/key?key=k") throw new Error(url);
 * ```
 */
export function leaderUrl(
  request: Request,
  leaderHttpAddr: string,
  scheme: "http" | "https",
): string {
  const url = new URL(request.url);
  return `${scheme}://${leaderHttpAddr}${url.pathname}${url.search}`;
}

/**
 * Runs `write`; when this node is not the leader and knows who is, forwards
 * the request to the leader (see {@link forwardToLeader}).
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
    return await forwardToLeader(request, body, error.leaderHttpAddr, deps);
  }
}

/**
 * Sends `request` (with `body`) to the leader at `leaderHttpAddr` and relays
 * its answer. A request that was already forwarded is never forwarded again:
 * it fails with `UnavailableError` (leadership moved while it travelled), as
 * does a leader that cannot be reached in time.
 */
export async function forwardToLeader(
  request: Request,
  body: Uint8Array<ArrayBuffer>,
  leaderHttpAddr: string,
  deps: HttpDeps,
): Promise<Response> {
  if (request.headers.has(FORWARDED_HEADER)) {
    throw new UnavailableError(
      `Cannot serve a forwarded request: leadership moved to "${leaderHttpAddr}"`,
    );
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.forwardTimeoutMs);
  try {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await deps.fetch(leaderUrl(request, leaderHttpAddr, deps.scheme), {
      method: request.method,
      headers: forwardedHeaders(request),
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
    // Only a refused connection certainly carried nothing to the leader, and
    // only when requests go out on fresh connections (see `peerFetch`); fetch
    // names the reason in the error's cause.
    const refused = !controller.signal.aborted && /refused/i.test(causes(error));
    throw new UnavailableError(
      `Cannot forward to the leader at "${leaderHttpAddr}": ${reason}`,
      !refused,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** An error's message and those of its causes, on one line. */
function causes(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(": ");
}

function forwardedHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": request.headers.get("content-type") ?? "application/json",
    [FORWARDED_HEADER]: "1",
  };
  for (const name of ["authorization", JOIN_PROOF_HEADER]) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

function relayedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": response.headers.get("content-type") ?? "application/json",
  };
  for (const name of ["location", "retry-after", "www-authenticate", "allow"]) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}
