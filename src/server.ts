/**
 * A whole server: a node plus its HTTP API (HTTPS with a certificate, auth
 * with an auth file reloaded on `SIGHUP`), with graceful shutdown (a leader
 * hands leadership over first).
 *
 * @module
 */

import { parseHostPort } from "./config.ts";
import type { NodeConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createLogger, type Logger } from "./log.ts";
import { sampleDataDir } from "./metrics/data_dir_sizes.ts";
import { createMetrics, type RafterMetrics } from "./metrics/rafter_metrics.ts";
import { sampleNodeGauges } from "./node/gauges.ts";
import type { RaftKvNode } from "./node/kv_node.ts";
import { startNativeTrimming } from "./node/native_memory.ts";
import { type NodeOptions, startNode } from "./node/start.ts";
import { loadSecurity, peerFetch, type Security } from "./security.ts";

/** A running server. */
export interface Server {
  node: RaftKvNode;
  /** The bound HTTP address. */
  httpAddr: string;
  /** What `/metrics` exports (counting nothing on its own with `--metrics off`). */
  metrics: RafterMetrics;
  /**
   * Hands leadership over if this node leads, stops accepting requests,
   * finishes the sync in progress, closes files and links.
   */
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

function warnIfOpen(config: NodeConfig, security: Security, logger: Logger): void {
  const { host } = parseHostPort(config.httpAddr, "HTTP address");
  if (security.auth === null && !LOOPBACK.test(host)) {
    logger.warn("HTTP API has no --auth-file: anyone who reaches it may read and write every key", {
      http: config.httpAddr,
    });
  }
  if ((security.tls !== null || security.peerTls !== null) && security.peerCa === null) {
    logger.warn("TLS without --peer-ca: calls to other members trust the system's CAs only");
  }
  if (security.secret === null) {
    logger.warn(
      "peer traffic is unauthenticated: anyone who reaches the Raft port and knows the cluster id can act as a member; set --cluster-secret-file",
      { raft: config.raftAddr },
    );
  }
}

/** The Raft port's secret and TLS, as the transport takes them. */
function peerSecurity(security: Security) {
  const tls = security.peerTls === null ? null : {
    ...security.peerTls,
    caCerts: security.peerCa === null ? [] : [security.peerCa],
  };
  return { secret: security.secret, tls };
}

/** Reloads the auth file on SIGHUP; answers how to stop listening. */
function reloadOnHangup(security: Security): () => void {
  const auth = security.auth;
  if (auth === null || Deno.build.os === "windows") return () => {};
  const onHangup = () => void auth.reload();
  Deno.addSignalListener("SIGHUP", onHangup);
  return () => Deno.removeSignalListener("SIGHUP", onHangup);
}

/**
 * A leader about to stop hands leadership to the most caught-up voter first
 * (bounded by an election timeout), so the others need not wait out an
 * election timeout before one of them leads: a rolling restart never waits
 * for an election. Requests keep being served meanwhile (writes answer 503
 * until the new leader is known, then 307 to it).
 */
async function handOffBeforeStop(node: RaftKvNode, logger: Logger): Promise<void> {
  const status = node.status();
  const others = status.members.some((m) => m.voter && m.id !== status.id);
  if (status.role !== "leader" || !others) return;
  try {
    const moved = await node.handOffLeadership("");
    logger.info("handed leadership over", { to: moved.leaderId, term: moved.term });
  } catch (error) {
    logger.warn("stopping without handing leadership over", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
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
  const security = await loadSecurity(config, logger);
  warnIfOpen(config, security, logger);
  const metrics = createMetrics();
  metrics.registry.onScrape(() => sampleDataDir(metrics, config.dataDir));
  const peer = peerFetch(security.peerCa);
  let node: RaftKvNode;
  try {
    node = await startNode(config, {
      ...options,
      logger,
      peer: peerSecurity(security),
      fetch: peer.fetch,
      ...(config.metrics ? { metrics } : {}),
    });
  } catch (error) {
    peer.close();
    throw error;
  }
  metrics.registry.onScrape(() => sampleNodeGauges(metrics, node.driver));
  const { host, port } = parseHostPort(config.httpAddr, "HTTP address");
  const app = createApp(node, {
    logger,
    metrics,
    counting: config.metrics,
    electionTimeoutMs: config.electionMs,
    fetch: peer.fetch,
    scheme: security.tls === null ? "http" : "https",
    auth: security.auth,
    clusterSecret: security.secret,
    requestsInflightMax: config.httpRequestsInflightMax,
  });
  let http: Deno.HttpServer<Deno.NetAddr>;
  try {
    const listen = { hostname: host, port, onListen: () => {}, ...security.tls ?? {} };
    http = Deno.serve(listen, app.fetch);
  } catch (error) {
    peer.close();
    await node.stop();
    throw new Error(`Cannot listen on HTTP address "${config.httpAddr}": ${error}`);
  }
  const stopReloading = reloadOnHangup(security);
  const trimming = startNativeTrimming(logger);
  const bound = `${http.addr.hostname}:${http.addr.port}`;
  logger.info("serving", {
    [security.tls === null ? "http" : "https"]: bound,
    raft: config.raftAddr,
    data: config.dataDir,
    auth: security.auth === null ? "off" : "on",
    peers: `${security.peerTls === null ? "tcp" : "tls"}, secret ${
      security.secret === null ? "off" : "on"
    }`,
  });
  let stopping: Promise<void> | null = null;
  return {
    node,
    httpAddr: bound,
    metrics,
    stop() {
      stopping ??= (async () => {
        stopReloading();
        trimming.stop();
        await handOffBeforeStop(node, logger);
        await http.shutdown();
        await node.stop();
        peer.close();
        logger.info("stopped");
      })();
      return stopping;
    },
  };
}
