/**
 * What every route module receives from `createApp`: the node, the input
 * limits, the settings for errors and forwarding, the metrics, the auth rules
 * and the cluster secret.
 *
 * @module
 */

import type { KvApi } from "../api.ts";
import type { AuthStore } from "../auth/mod.ts";
import type { Logger } from "../log.ts";
import type { RafterMetrics } from "../metrics/rafter_metrics.ts";
import type { ClusterSecret } from "../secret/mod.ts";
import type { Limits } from "./input.ts";

/** The shared dependencies of the route modules. */
export interface HttpDeps {
  node: KvApi;
  limits: Limits;
  /** The `Retry-After` of a 503, in seconds. */
  retryAfterSeconds: number;
  /** How long a request forwarded to the leader may take, in milliseconds. */
  forwardTimeoutMs: number;
  /** Longest time between two progress events of a watch, in milliseconds. */
  watchProgressMs: number;
  /** How forwarded requests are sent (the global `fetch` outside tests). */
  fetch: typeof fetch;
  logger: Logger;
  /** The node's metrics: `/metrics` renders them, the status feed reads them. */
  metrics: RafterMetrics;
  /** The node's election timeout: `/readyz` wants the leader heard from within it. */
  electionTimeoutMs: number;
  /** Milliseconds between two events of the status feed. */
  statusIntervalMs: number;
  /** The scheme this node and its peers serve on: redirects and forwarding use it. */
  scheme: "http" | "https";
  /** The auth rules every route is checked against; null when auth is off. */
  auth: AuthStore | null;
  /** The cluster secret a join proof is checked against; null when the node has none. */
  clusterSecret: ClusterSecret | null;
}
