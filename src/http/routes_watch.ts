/**
 * `GET /watch?key=K` or `?prefix=P`, with `fromIndex` (inclusive),
 * `prevValue` and `level`, answered as `text/event-stream` (`sse.ts`). A
 * reconnect with `Last-Event-ID: N` is `fromIndex=N+1`, so a browser's
 * `EventSource` resumes by itself. A start the history no longer holds is
 * answered 410 before any streaming. It needs read on the key or on the
 * whole prefix; browsers' `EventSource` sends no headers, so the token may
 * come as `?access_token=` (never logged).
 *
 * @module
 */

import type { WatchRequest } from "../api.ts";
import { needs } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import {
  badRequest,
  checkKey,
  checkLevel,
  checkPrefix,
  INDEX_RANGE,
  type Limits,
  POSITIVE_RANGE,
  queryBoolean,
  queryInteger,
} from "./input.ts";
import type { Routes } from "./routes.ts";
import { watchResponse } from "./sse.ts";

/**
 * Reads a watch request from the query and the `Last-Event-ID` header.
 *
 * @example
 * ```ts
 * import { watchRequest } from "./routes_watch.ts";
 * import { DEFAULT_LIMITS } from "./input.ts";
 * const request = new Request("http://n/watch?key=k&fromIndex=1", { headers: { "last-event-id": "9" } });
 * if (watchRequest(request, DEFAULT_LIMITS).fromIndex !== 10) throw new Error();
 * ```
 */
export function watchRequest(request: Request, limits: Limits): WatchRequest {
  const query = new URL(request.url).searchParams;
  const key = query.get("key") ?? undefined;
  const prefix = query.get("prefix") ?? undefined;
  if (key !== undefined && prefix !== undefined) {
    throw badRequest('Give "key" or "prefix", not both');
  }
  if (key === undefined && prefix === undefined) {
    throw badRequest('Missing field "key" or "prefix"');
  }
  const lastEventId = request.headers.get("last-event-id") ?? undefined;
  const resumeAfter = queryInteger(lastEventId, "Last-Event-ID", INDEX_RANGE);
  const fromIndex = resumeAfter === undefined
    ? queryInteger(query.get("fromIndex") ?? undefined, "fromIndex", POSITIVE_RANGE)
    : resumeAfter + 1;
  return {
    ...(key === undefined
      ? { prefix: checkPrefix(prefix, limits) }
      : { key: checkKey(key, limits) }),
    ...(fromIndex === undefined ? {} : { fromIndex }),
    level: checkLevel(query.get("level") ?? undefined, "stale"),
  };
}

/** Mounts `/watch`. */
export function mountWatchRoutes(routes: Routes, deps: HttpDeps): void {
  const access = needs((input) => {
    const watch = watchRequest(input.request, deps.limits);
    return watch.key === undefined
      ? { readPrefixes: [watch.prefix ?? ""] }
      : { readKeys: [watch.key] };
  }, { changes: false, queryToken: true });
  routes.get("/watch", access, async (c) => {
    const request = watchRequest(c.req.raw, deps.limits);
    const prevValue = queryBoolean(c.req.query("prevValue"), "prevValue");
    const watch = await dataOp(deps.node, "watch")(request);
    return watchResponse(watch, { prevValue, progressMs: deps.watchProgressMs });
  });
}
