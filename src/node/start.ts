/**
 * Starting a real node from its data directory: flat-file storage, TCP
 * peers, the system clock; a fresh directory bootstraps a one-member
 * cluster unless the node is to join one. A directory whose log holds an
 * absurd term refuses to start.
 *
 * @module
 */

import { advertised, type NodeConfig } from "../config.ts";
import { createLogger, type Logger } from "../log.ts";
import { COMMAND_VERSION } from "../kv/command_types.ts";
import { TERM_MAX } from "../raft/limits.ts";
import { bootstrapState } from "../raft/raft.ts";
import { NodeEvents } from "../metrics/node_events.ts";
import type { RafterMetrics } from "../metrics/rafter_metrics.ts";
import { type ClusterSecret, joinProof } from "../secret/mod.ts";
import { StorageError } from "../storage/errors.ts";
import { FileStorage } from "../storage/file_storage.ts";
import type { RecoveredState } from "../storage/types.ts";
import { TcpTransport } from "../transport/tcp_transport.ts";
import type { PeerMeter, PeerTls } from "../transport/types.ts";
import type { DriverBreaks } from "./driver_options.ts";
import { RaftKvNode } from "./kv_node.ts";
import type { TransportFactory } from "./ports.ts";
import { RoundTrips, timeRoundTrips } from "./round_trips.ts";
import { systemClock } from "./system_clock.ts";

/** The Raft port's security: the cluster secret and peer TLS, each null when off. */
export interface PeerSecurity {
  secret: ClusterSecret | null;
  tls: PeerTls | null;
}

/** Options beyond the config. */
export interface NodeOptions {
  logger?: Logger;
  /** Called on a storage failure; the default exits the process with status 1. */
  onFatal?: (error: Error) => void;
  /** Where the node counts (none: it only logs, as with `--metrics off`). */
  metrics?: RafterMetrics;
  /** The Raft port's cluster secret and TLS; absent or null: unauthenticated TCP. */
  peer?: PeerSecurity;
  /** How the `--join` loop calls a member (`peerFetch`, trusting `--peer-ca`; default `fetch`). */
  fetch?: typeof fetch;
}

/**
 * Opens the data directory, recovers, bootstraps when fresh, and starts the
 * node: its transport listens, its clock ticks, a fresh `--join` node asks
 * to be added.
 *
 * @example
 * ```ts ignore
 * import { startNode } from "./start.ts";
 * const node = await startNode(validateNodeConfig(defaultNodeConfig()));
 * await node.stop();
 * ```
 */
export async function startNode(
  configured: NodeConfig,
  options: NodeOptions = {},
): Promise<RaftKvNode> {
  const logger = options.logger ??
    createLogger(configured.logLevel, { prefix: configured.id, format: configured.logFormat });
  const config = { ...configured, quotaBytes: quotaFor(configured, logger) };
  const events = new NodeEvents({
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    logger,
    nodeId: config.id,
    slowFsyncMs: config.slowFsyncMs,
  });
  const storage = await FileStorage.open(config.dataDir, {
    nodeId: config.id,
    segmentBytesMax: config.segmentBytesMax,
    logger,
    onSynced: (seconds, bytes) => events.walSynced(seconds, bytes),
  });
  let fresh: boolean;
  try {
    fresh = await prepare(storage, config, logger);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const onFatal = options.onFatal ?? ((error: Error) => {
    if (error instanceof StorageError) events.storageFailed(error.message);
    else {
      logger.error("node stopped on an error it cannot recover from; exiting", {
        error: error.message,
      });
    }
    Deno.exit(1);
  });
  const secret = options.peer?.secret ?? null;
  let node: RaftKvNode;
  try {
    node = await RaftKvNode.create(config, {
      storage,
      transport: tcpTransport(config, { logger, events, peer: options.peer }),
      events,
      clock: systemClock,
      seed: crypto.getRandomValues(new Uint32Array(1))[0]!,
      logger,
      onFatal,
      breaks: testBreaks(),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(secret === null ? {} : { joinProof: (body) => joinProof(secret, body, Date.now()) }),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  if (fresh && config.join !== "") node.joinLoop(config.join);
  return node;
}

/**
 * Peer links over TCP; when the node counts, with bytes and drops per peer
 * and heartbeat round trips reported to `events`.
 */
function tcpTransport(
  config: NodeConfig,
  { logger, events, peer }: { logger: Logger; events: NodeEvents; peer?: PeerSecurity | undefined },
): TransportFactory {
  const meter: PeerMeter = {
    sent: (to, bytes) => events.peerSent(to, bytes),
    received: (from, bytes) => events.peerReceived(from, bytes),
    sendFailed: (to, messages) => events.peerSendFailed(to, messages),
  };
  const tcp: TransportFactory = (handlers, clusterId) =>
    new TcpTransport({
      nodeId: config.id,
      raftAddr: config.raftAddr,
      httpAddr: config.advertiseHttpAddr,
      clusterId,
      commandVersion: COMMAND_VERSION,
      logger,
      secret: peer?.secret ?? null,
      tls: peer?.tls ?? null,
      ...(events.counting ? { meter } : {}),
    }, handlers);
  if (!events.counting) return tcp;
  const trips = new RoundTrips(systemClock, (to, seconds) => events.heartbeatAnswered(to, seconds));
  return timeRoundTrips(tcp, trips);
}

/** Refuses absurd state; bootstraps a fresh directory. Answers whether it was fresh. */
async function prepare(storage: FileStorage, config: NodeConfig, logger: Logger): Promise<boolean> {
  const state = storage.recovered();
  const absurd = absurdState(state, config.dataDir);
  if (absurd !== null) throw new Error(absurd);
  const fresh = state.hardState.term === 0 && state.entries.length === 0 &&
    state.snapshot === null;
  if (fresh && config.join === "") {
    const boot = bootstrapState({
      id: config.id,
      raftAddr: advertised(config.raftAddr, "Raft address"),
      httpAddr: config.advertiseHttpAddr,
    });
    await storage.setClusterId(crypto.randomUUID());
    await storage.save(boot);
    logger.info("bootstrapped a new cluster", { cluster: storage.identity().clusterId });
  }
  return fresh;
}

/**
 * Why recovered state cannot be served, or null: a term at or beyond
 * `TERM_MAX` was never reached by a working cluster, only forced in by a
 * bad peer, and a node holding it would stop every election.
 */
function absurdState(state: RecoveredState, dataDir: string): string | null {
  const last = state.entries[state.entries.length - 1];
  const term = Math.max(state.hardState.term, last?.term ?? 0, state.snapshot?.meta.term ?? 0);
  if (term < TERM_MAX) return null;
  return `Cannot start: the log in "${dataDir}/wal" holds term ${term}, at or above the ` +
    `largest a cluster may reach (${TERM_MAX}); restore this member from a backup or ` +
    `remove it and join a fresh data directory`;
}

/**
 * Deliberate bugs a test suite of real processes switches on to show it
 * catches them (`RAFTER_TEST_BREAK=local-consistent-reads`); never set it
 * anywhere else.
 */
function testBreaks(): DriverBreaks {
  const value = Deno.env.get("RAFTER_TEST_BREAK") ?? "";
  return value === "local-consistent-reads" ? { localConsistentReads: true } : {};
}

/** The default quota is this share of the machine's memory. */
const QUOTA_MEMORY_SHARE = 8;
/** The quota when the machine's memory cannot be read. */
const QUOTA_BYTES_FALLBACK = 1024 * 1024 * 1024;

/**
 * The quota in bytes: the configured one, or one eighth of the machine's
 * memory; 1 GiB, with a warning, where the memory cannot be read.
 */
function quotaFor(config: NodeConfig, logger: Logger): number {
  if (config.quotaBytes > 0) return config.quotaBytes;
  const total = machineMemoryBytes();
  if (total !== null) return Math.floor(total / QUOTA_MEMORY_SHARE);
  logger.warn(
    "cannot read the machine's memory (grant --allow-sys=systemMemoryInfo): the quota is 1 GiB; " +
      "set --quota-bytes to choose it",
    { quotaBytes: QUOTA_BYTES_FALLBACK },
  );
  return QUOTA_BYTES_FALLBACK;
}

/**
 * The machine's memory in bytes, or null. `Deno.systemMemoryInfo` needs
 * `--allow-sys=systemMemoryInfo`, which the node's command lines grant;
 * `/proc/meminfo` is readable only with every permission.
 */
function machineMemoryBytes(): number | null {
  try {
    // Asked only when granted: calling it otherwise would prompt on a terminal.
    const granted = Deno.permissions.querySync({ name: "sys", kind: "systemMemoryInfo" });
    const total = granted.state === "granted" ? Deno.systemMemoryInfo().total : 0;
    if (Number.isSafeInteger(total) && total > 0) return total;
  } catch {
    // Not available: try /proc below.
  }
  try {
    const text = Deno.readTextFileSync("/proc/meminfo");
    const kib = Number(/^MemTotal:\s+(\d+) kB/m.exec(text)?.[1]);
    if (Number.isSafeInteger(kib) && kib > 0) return kib * 1024;
  } catch {
    // Not Linux, or not readable.
  }
  return null;
}
