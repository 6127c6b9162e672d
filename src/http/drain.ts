/**
 * Request bodies left unread are read (within the body limits) before the
 * answer goes out. Over HTTP/2, Deno resets a stream whose request body is
 * still unread when the response is sent, and clients such as curl then
 * report a stream error instead of the 401, 403 or 503 they were sent.
 *
 * @module
 */

import type { Limits } from "./input.ts";
import { readBody } from "./input.ts";

/**
 * Reads what is left of `request`'s body once the handler has answered: at
 * most `bodyBytesMax` bytes for at most `bodyReadTimeoutMs` (a larger or
 * slower body is abandoned, and that stream is reset). Null when the body
 * was read already or there is none.
 *
 * @example
 * ```ts
 * import { drainUnread } from "./drain.ts";
 * import { DEFAULT_LIMITS } from "./input.ts";
 * const request = new Request("http://h/", { method: "POST", body: "unread" });
 * await drainUnread(request, DEFAULT_LIMITS);
 * if (!request.bodyUsed || drainUnread(request, DEFAULT_LIMITS) !== null) throw new Error();
 * ```
 */
export function drainUnread(
  request: Request,
  limits: Pick<Limits, "bodyBytesMax" | "bodyReadTimeoutMs">,
): Promise<void> | null {
  // bodyUsed first: asking a read request for its body builds a stream.
  if (request.bodyUsed || request.body === null) return null;
  return readBody(request, limits.bodyBytesMax, limits.bodyReadTimeoutMs).then(() => {}, () => {});
}
