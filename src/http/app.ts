/**
 * The HTTP app: `createApp(node)` builds a Hono app whose routes validate
 * input, call the node and map the outcome; errors are thrown and become
 * status codes in one `onError`. Beside rafter's own API it serves health,
 * metrics and the dashboard, and the compatibility dialects described in
 * `docs/COMPATIBILITY.md`. Every request is counted by route pattern. Every
 * route is mounted with its access rule (`routes.ts`), enforced when auth is
 * on, and requests past the in-flight bound answer 503.
 *
 * @module
 */

import { Hono } from "hono";
import type { KvApi } from "../api.ts";
import type { AuthStore } from "../auth/mod.ts";
import { HTTP_REQUESTS_INFLIGHT_MAX_DEFAULT } from "../config.ts";
import { type Logger, silentLogger } from "../log.ts";
import { createMetrics, type RafterMetrics } from "../metrics/rafter_metrics.ts";
import type { ClusterSecret } from "../secret/mod.ts";
import type { HttpDeps } from "./deps.ts";
import { mountProxyDialect } from "./dialect_proxy.ts";
import { mountPutGetDialect } from "./dialect_putget.ts";
import { mountSetGetDialect } from "./dialect_setget.ts";
import { mountStoreDialect } from "./dialect_store.ts";
import { installFrontDoor } from "./front_door.ts";
import { answerError } from "./errors.ts";
import { DEFAULT_LIMITS } from "./input.ts";
import { meterNode } from "./metered_node.ts";
import { json } from "./respond.ts";
import { mountAdminRoutes } from "./routes_admin.ts";
import { mountClusterRoutes } from "./routes_cluster.ts";
import { mountHealthRoutes } from "./routes_health.ts";
import { mountKeyRoutes } from "./routes_key.ts";
import { mountKeysRoutes } from "./routes_keys.ts";
import { mountKvRoutes } from "./routes_kv.ts";
import { mountLeaseRoutes } from "./routes_lease.ts";
import { mountMetricsOff, mountMetricsRoute } from "./routes_metrics.ts";
import { mountTxnRoutes } from "./routes_txn.ts";
import { mountUiRoutes } from "./routes_ui.ts";
import { mountWatchRoutes } from "./routes_watch.ts";
import { declareRoutes, requireDeclaredRoutes } from "./routes.ts";

/** Settings of {@link createApp}; every field has a default. */
export interface AppOptions {
  /** Longest key in UTF-8 bytes (4096). */
  keyBytesMax?: number;
  /** Longest value in UTF-8 bytes (1 MiB). */
  valueBytesMax?: number;
  /** Longest request body in bytes (1.5 MiB). */
  bodyBytesMax?: number;
  /** Longest time a request body may take to arrive, in milliseconds (10000; then 408). */
  bodyReadTimeoutMs?: number;
  /** `Retry-After` on a 503, in seconds (1). */
  retryAfterSeconds?: number;
  /** Time a request forwarded to the leader may take, in milliseconds (5000). */
  forwardTimeoutMs?: number;
  /** Longest time between two progress events of a watch, in milliseconds (10000). */
  watchProgressMs?: number;
  /** How forwarded requests are sent (the global `fetch`). */
  fetch?: typeof fetch;
  /** Where unexpected errors are logged (nowhere). */
  logger?: Logger;
  /** The node's metrics (a fresh set). */
  metrics?: RafterMetrics;
  /**
   * Count every request and serve `/metrics` (true); false (`--metrics off`)
   * counts nothing per request and answers `/metrics` with 404.
   */
  counting?: boolean;
  /** The election timeout `/readyz` judges leader contact by, in milliseconds (500). */
  electionTimeoutMs?: number;
  /** Milliseconds between two events of the status feed `/status/events` (1000). */
  statusIntervalMs?: number;
  /** The scheme this node and its peers serve on (`http`); redirects and forwarding use it. */
  scheme?: "http" | "https";
  /** The auth rules every route is checked against (none: auth off). */
  auth?: AuthStore | null;
  /** The cluster secret: with auth on, `/join` accepts a proof of it instead of an admin token. */
  clusterSecret?: ClusterSecret | null;
  /** Requests handled at once before new ones get 503 (4096). */
  requestsInflightMax?: number;
}

/** The election timeout `/readyz` assumes unless told (the node's default). */
const ELECTION_TIMEOUT_MS_DEFAULT = 500;
/** Milliseconds between status feed events unless told. */
const STATUS_INTERVAL_MS_DEFAULT = 1000;
/** A watch hears at least this often that it is alive and caught up. */
const WATCH_PROGRESS_MS_DEFAULT = 10_000;

function resolveDeps(node: KvApi, options: AppOptions): HttpDeps {
  const metrics = options.metrics ?? createMetrics();
  return {
    node: options.counting === false ? node : meterNode(node, metrics.recent),
    limits: {
      keyBytesMax: options.keyBytesMax ?? DEFAULT_LIMITS.keyBytesMax,
      valueBytesMax: options.valueBytesMax ?? DEFAULT_LIMITS.valueBytesMax,
      bodyBytesMax: options.bodyBytesMax ?? DEFAULT_LIMITS.bodyBytesMax,
      bodyReadTimeoutMs: options.bodyReadTimeoutMs ?? DEFAULT_LIMITS.bodyReadTimeoutMs,
    },
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    forwardTimeoutMs: options.forwardTimeoutMs ?? 5000,
    watchProgressMs: options.watchProgressMs ?? WATCH_PROGRESS_MS_DEFAULT,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    logger: options.logger ?? silentLogger,
    metrics,
    electionTimeoutMs: options.electionTimeoutMs ?? ELECTION_TIMEOUT_MS_DEFAULT,
    statusIntervalMs: options.statusIntervalMs ?? STATUS_INTERVAL_MS_DEFAULT,
    scheme: options.scheme ?? "http",
    auth: options.auth ?? null,
    clusterSecret: options.clusterSecret ?? null,
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
  app.onError((error, c) => answerError(error, c, deps));
  app.notFound((c) => json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  deps.metrics.registry.onScrape(() => deps.metrics.observeStatus(node.status(), Date.now()));
  const routes = declareRoutes(app, deps);
  mountKeyRoutes(routes, deps);
  mountKeysRoutes(routes, deps);
  mountTxnRoutes(routes, deps);
  mountLeaseRoutes(routes, deps);
  mountWatchRoutes(routes, deps);
  mountKvRoutes(routes, deps);
  mountClusterRoutes(routes, deps);
  mountAdminRoutes(routes, deps);
  mountHealthRoutes(routes, deps);
  if (options.counting !== false) mountMetricsRoute(routes, deps);
  else mountMetricsOff(routes);
  mountUiRoutes(routes, deps);
  // The compatibility dialects (docs/COMPATIBILITY.md); shared paths are served once.
  mountSetGetDialect(routes, deps);
  mountStoreDialect(routes, deps);
  mountPutGetDialect(routes, deps);
  mountProxyDialect(routes, deps);
  requireDeclaredRoutes(app);
  installFrontDoor(app, {
    limits: deps.limits,
    metrics: options.counting === false ? null : deps.metrics,
    requestsInflightMax: options.requestsInflightMax ?? HTTP_REQUESTS_INFLIGHT_MAX_DEFAULT,
    retryAfterSeconds: deps.retryAfterSeconds,
  });
  return app;
}
