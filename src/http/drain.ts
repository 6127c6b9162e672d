/**
 * Request bodies left unread are read (within the body limits) before the
 * answer goes out. Over HTTP/2, Deno resets a stream whose request body is
 * still unread when the response is sent, and clients such as curl then
 * report a stream error instead of the 401, 403 or 503 they were sent.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import type { Limits } from "./input.ts";
import { readBody } from "./input.ts";

/**
 * Middleware that reads what is left of the request body once the handler
 * has answered: at most `bodyBytesMax` bytes for at most `bodyReadTimeoutMs`
 * (a larger or slower body is abandoned, and that stream is reset).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { drainUnreadBody } from "./drain.ts";
 * import { DEFAULT_LIMITS } from "./input.ts";
 * const app = new Hono();
 * app.use(drainUnreadBody(DEFAULT_LIMITS));
 * app.post("/", (c) => c.text("refused", 401));
 * const request = new Request("http://h/", { method: "POST", body: "unread" });
 * if ((await app.request(request)).status !== 401 || !request.bodyUsed) throw new Error();
 * ```
 */
export function drainUnreadBody(
  limits: Pick<Limits, "bodyBytesMax" | "bodyReadTimeoutMs">,
): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    await next();
    // bodyUsed first: asking a read request for its body builds a stream.
    if (request.bodyUsed || request.body === null) return;
    await readBody(request, limits.bodyBytesMax, limits.bodyReadTimeoutMs).catch(() => {});
  };
}
