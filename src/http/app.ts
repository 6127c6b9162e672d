/**
 * The HTTP app: `createApp(node)` builds a Hono app whose routes validate
 * input, call the node and map the outcome; errors are thrown and become
 * status codes in one `onError`. Beside rafter's own API it serves the
 * compatibility dialects described in `docs/COMPATIBILITY.md`.
 *
 * @module
 */

import { Hono } from "hono";
import type { KvApi } from "../api.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { HttpDeps } from "./deps.ts";
import { mountProxyDialect } from "./dialect_proxy.ts";
import { mountPutGetDialect } from "./dialect_putget.ts";
import { mountSetGetDialect } from "./dialect_setget.ts";
import { mountStoreDialect } from "./dialect_store.ts";
import { errorResponse } from "./errors.ts";
import { DEFAULT_LIMITS } from "./input.ts";
import { json } from "./respond.ts";
import { mountClusterRoutes } from "./routes_cluster.ts";
import { mountKeyRoutes } from "./routes_key.ts";

/** Settings of {@link createApp}; every field has a default. */
export interface AppOptions {
  /** Longest key in UTF-8 bytes (4096). */
  keyBytesMax?: number;
  /** Longest value in UTF-8 bytes (1 MiB). */
  valueBytesMax?: number;
  /** Longest request body in bytes (1.5 MiB). */
  bodyBytesMax?: number;
  /** `Retry-After` on a 503, in seconds (1). */
  retryAfterSeconds?: number;
  /** Time a request forwarded to the leader may take, in milliseconds (5000). */
  forwardTimeoutMs?: number;
  /** How forwarded requests are sent (the global `fetch`). */
  fetch?: typeof fetch;
  /** Where unexpected errors are logged (nowhere). */
  logger?: Logger;
}

function resolveDeps(node: KvApi, options: AppOptions): HttpDeps {
  return {
    node,
    limits: {
      keyBytesMax: options.keyBytesMax ?? DEFAULT_LIMITS.keyBytesMax,
      valueBytesMax: options.valueBytesMax ?? DEFAULT_LIMITS.valueBytesMax,
      bodyBytesMax: options.bodyBytesMax ?? DEFAULT_LIMITS.bodyBytesMax,
    },
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    forwardTimeoutMs: options.forwardTimeoutMs ?? 5000,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    logger: options.logger ?? silentLogger,
  };
}

/**
 * Builds the HTTP app for `node`. Serve it with `Deno.serve(app.fetch)`.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import type { KvApi } from "../api.ts";
 * const node = { status: () => ({ id: "n1", leaderId: "", members: [] }) } as unknown as KvApi;
 * const response = await createApp(node).request("/status");
 * if ((await response.json()).id !== "n1") throw new Error();
 * ```
 */
export function createApp(node: KvApi, options: AppOptions = {}): Hono {
  const deps = resolveDeps(node, options);
  const app = new Hono({ strict: false });
  app.onError((error, c) => errorResponse(error, c.req.raw, deps));
  app.notFound((c) => json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  mountKeyRoutes(app, deps);
  mountClusterRoutes(app, deps);
  // The compatibility dialects (docs/COMPATIBILITY.md); shared paths are served once.
  mountSetGetDialect(app, deps);
  mountStoreDialect(app, deps);
  mountPutGetDialect(app, deps);
  mountProxyDialect(app, deps);
  return app;
}
