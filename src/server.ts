/**
 * A whole server: a node plus its HTTP API, with graceful shutdown.
 *
 * @module
 */

import { parseHostPort } from "./config.ts";
import type { NodeConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createLogger, type Logger } from "./log.ts";
import { sampleDataDir } from "./metrics/data_dir_sizes.ts";
import { createMetrics, type RafterMetrics } from "./metrics/rafter_metrics.ts";
import type { RaftKvNode } from "./node/kv_node.ts";
import { type NodeOptions, startNode } from "./node/start.ts";

/** A running server. */
export interface Server {
  node: RaftKvNode;
  /** The bound HTTP address. */
  httpAddr: string;
  /** What `/metrics` exports. */
  metrics: RafterMetrics;
  /** Stops accepting requests, finishes the sync in progress, closes files and links. */
  stop(): Promise<void>;
}

/**
 * Starts a node and serves its HTTP API.
 *
 * @example
 * ```ts ignore
 * import { startServer } from "./server.ts";
 * import { defaultNodeConfig, validateNodeConfig } from "./config.ts";
 * const server = await startServer(validateNodeConfig(defaultNodeConfig()));
 * await server.stop();
 * ```
 */
export async function startServer(
  config: NodeConfig,
  options: NodeOptions & { logger?: Logger } = {},
): Promise<Server> {
  const logger = options.logger ??
    createLogger(config.logLevel, { prefix: config.id, format: config.logFormat });
  const metrics = createMetrics();
  metrics.registry.onScrape(() => sampleDataDir(metrics, config.dataDir));
  const node = await startNode(config, { ...options, logger });
  const { host, port } = parseHostPort(config.httpAddr, "HTTP address");
  const app = createApp(node, { logger, metrics, electionTimeoutMs: config.electionMs });
  let http: Deno.HttpServer<Deno.NetAddr>;
  try {
    http = Deno.serve({ hostname: host, port, onListen: () => {} }, app.fetch);
  } catch (error) {
    await node.stop();
    throw new Error(`Cannot listen on HTTP address "${config.httpAddr}": ${error}`);
  }
  const bound = `${http.addr.hostname}:${http.addr.port}`;
  logger.info("serving", { http: bound, raft: config.raftAddr, data: config.dataDir });
  let stopping: Promise<void> | null = null;
  return {
    node,
    httpAddr: bound,
    metrics,
    stop() {
      stopping ??= (async () => {
        await http.shutdown();
        await node.stop();
        logger.info("stopped");
      })();
      return stopping;
    },
  };
}
