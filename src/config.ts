/**
 * A node's settings: defaults, and validation of every field and of the
 * fields against each other. Units are in the names.
 *
 * @module
 */

import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log.ts";
import {
  defaultConfig as defaultRaftConfig,
  type RaftConfig,
  requirePositiveInteger,
  validateConfig,
} from "./raft/config.ts";

/** HTTP requests handled at once, by default, before new ones get 503. */
export const HTTP_REQUESTS_INFLIGHT_MAX_DEFAULT = 4096;

/** Everything a node needs to run. */
export interface NodeConfig {
  /** This node's id, unique in the cluster. */
  id: string;
  /** `host:port` the Raft transport listens on and peers dial. */
  raftAddr: string;
  /** `host:port` of the HTTP API (`:8001` or `0.0.0.0:8001` listens on every interface). */
  httpAddr: string;
  /** HTTP address other nodes and redirects use; defaults to `httpAddr` (loopback for `:port`). */
  advertiseHttpAddr: string;
  /** Where the log, snapshots and `node.json` live. */
  dataDir: string;
  /** Start a new one-member cluster when the data directory is fresh. */
  bootstrap: boolean;
  /** HTTP URL of a member to join through when the data directory is fresh; `""` for none. */
  join: string;
  /** Milliseconds between leader heartbeats; also the tick. */
  heartbeatMs: number;
  /** Milliseconds without a leader before a follower campaigns (at least). */
  electionMs: number;
  /** Applied entries between automatic snapshots. */
  snapshotEntries: number;
  /**
   * Entries kept in the log behind a snapshot, so slow followers can catch up
   * without one; at most `snapshotEntries`.
   */
  snapshotCatchUpEntries: number;
  /** Writes waiting to commit before new ones get `503`. */
  proposalsInflightMax: number;
  /** Milliseconds a write or read may wait before `503`. */
  requestTimeoutMs: number;
  /** Most bytes of a WAL segment before the next one starts. */
  segmentBytesMax: number;
  logLevel: LogLevel;
  /** `text` lines or JSON lines. */
  logFormat: LogFormat;
  /** A WAL sync slower than this many milliseconds is logged as a warning. */
  slowFsyncMs: number;
  /** Count what the node does and serve `GET /metrics` (`--metrics on`, the default). */
  metrics: boolean;
  /**
   * Cap on the bytes of keys plus values; a write past it answers 507. 0
   * means one eighth of the machine's memory, found at start.
   */
  quotaBytes: number;
  /** Most applied entries with changes the watch history keeps. */
  watchHistoryEntries: number;
  /** Most bytes of changes the watch history keeps. */
  watchHistoryBytes: number;
  /** PEM certificate (chain) for HTTPS on `httpAddr`; `""` serves plain HTTP. */
  tlsCertFile: string;
  /** PEM private key of `tlsCertFile`; given with it or not at all. */
  tlsKeyFile: string;
  /** PEM CA that signs the other members' certificates; `""` trusts the system's roots. */
  peerCaFile: string;
  /**
   * One or two secrets (current, next), one per line, that members prove to
   * each other in the Raft handshake and that `/join` accepts; `""` leaves
   * peer traffic unauthenticated.
   */
  clusterSecretFile: string;
  /** PEM certificate (chain) of the Raft listener: peer links over TLS; needs the secret. */
  peerTlsCertFile: string;
  /** PEM private key of `peerTlsCertFile`; given with it or not at all. */
  peerTlsKeyFile: string;
  /** JSON users, token hashes and permissions; `""` leaves every route open. */
  authFile: string;
  /** HTTP requests handled at once before new ones get 503. */
  httpRequestsInflightMax: number;
}

/**
 * The defaults: `n1` on `127.0.0.1:7001` (Raft) and `127.0.0.1:8001` (HTTP).
 *
 * @example
 * ```ts
 * import { defaultNodeConfig, validateNodeConfig } from "./config.ts";
 * validateNodeConfig(defaultNodeConfig());
 * ```
 */
export function defaultNodeConfig(): NodeConfig {
  return {
    id: "n1",
    raftAddr: "127.0.0.1:7001",
    httpAddr: "127.0.0.1:8001",
    advertiseHttpAddr: "",
    dataDir: "data/n1",
    bootstrap: false,
    join: "",
    heartbeatMs: 50,
    electionMs: 500,
    snapshotEntries: 10_000,
    snapshotCatchUpEntries: 5_000,
    proposalsInflightMax: 16_384,
    requestTimeoutMs: 5_000,
    segmentBytesMax: 64 * 1024 * 1024,
    logLevel: "info",
    logFormat: "text",
    slowFsyncMs: 1000,
    metrics: true,
    quotaBytes: 0,
    watchHistoryEntries: 10_000,
    watchHistoryBytes: 64 * 1024 * 1024,
    tlsCertFile: "",
    tlsKeyFile: "",
    peerCaFile: "",
    clusterSecretFile: "",
    peerTlsCertFile: "",
    peerTlsKeyFile: "",
    authFile: "",
    httpRequestsInflightMax: HTTP_REQUESTS_INFLIGHT_MAX_DEFAULT,
  };
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Splits `host:port`; a bare `:port` means every interface. Throws a `RangeError` when malformed. */
export function parseHostPort(addr: string, what: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(":");
  if (colon < 0) throw new RangeError(`${what} must be host:port, got "${addr}"`);
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new RangeError(`${what} has a bad port, got "${addr}"`);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "") host = "0.0.0.0";
  if (/\s/.test(host)) throw new RangeError(`${what} has a bad host, got "${addr}"`);
  return { host, port };
}

/** The address others should use for `addr`: an unspecified host becomes loopback. */
export function advertised(addr: string, what: string): string {
  const { host, port } = parseHostPort(addr, what);
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

function positive(config: NodeConfig, field: keyof NodeConfig): number {
  return requirePositiveInteger(config[field], `Setting "${field}"`);
}

/**
 * Checks every field and fills derived ones; throws a `RangeError` naming the
 * first bad setting.
 *
 * @example
 * ```ts
 * import { defaultNodeConfig, validateNodeConfig } from "./config.ts";
 * let refused = false;
 * try {
 *   validateNodeConfig({ ...defaultNodeConfig(), electionMs: 50, heartbeatMs: 50 });
 * } catch (error) {
 *   refused = error instanceof RangeError;
 * }
 * if (!refused) throw new Error("an election timeout must exceed the heartbeat");
 * ```
 */
export function validateNodeConfig(config: NodeConfig): NodeConfig {
  if (!ID_PATTERN.test(config.id)) {
    throw new RangeError(
      `Node id must be 1-64 letters, digits, ".", "_" or "-", got "${config.id}"`,
    );
  }
  parseHostPort(config.raftAddr, "Raft address");
  parseHostPort(config.httpAddr, "HTTP address");
  if (config.dataDir === "") throw new RangeError("Data directory must not be empty");
  if (config.join !== "") normalizeJoinUrl(config.join);
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new RangeError(
      `Log level must be one of ${LOG_LEVELS.join(", ")}, got "${config.logLevel}"`,
    );
  }
  if (!LOG_FORMATS.includes(config.logFormat)) {
    throw new RangeError(
      `Log format must be one of ${LOG_FORMATS.join(", ")}, got "${config.logFormat}"`,
    );
  }
  for (
    const field of [
      "heartbeatMs",
      "electionMs",
      "snapshotEntries",
      "snapshotCatchUpEntries",
      "proposalsInflightMax",
      "requestTimeoutMs",
      "segmentBytesMax",
      "slowFsyncMs",
      "watchHistoryEntries",
      "watchHistoryBytes",
      "httpRequestsInflightMax",
    ] as const
  ) positive(config, field);
  if ((config.tlsCertFile === "") !== (config.tlsKeyFile === "")) {
    throw new RangeError(
      `A TLS certificate and key go together, got certificate "${config.tlsCertFile}" and key "${config.tlsKeyFile}"`,
    );
  }
  checkPeerTls(config);
  raftConfigFor(config);
  if (!Number.isSafeInteger(config.quotaBytes) || config.quotaBytes < 0) {
    throw new RangeError(
      `Setting "quotaBytes" must be a whole number of bytes (0 for the default), got "${config.quotaBytes}"`,
    );
  }
  if (config.snapshotCatchUpEntries > config.snapshotEntries) {
    throw new RangeError(
      `Setting "snapshotCatchUpEntries" (${config.snapshotCatchUpEntries}) must not exceed "snapshotEntries" (${config.snapshotEntries})`,
    );
  }
  const advertise = config.advertiseHttpAddr === "" ? config.httpAddr : config.advertiseHttpAddr;
  return {
    ...config,
    join: config.join === "" ? "" : normalizeJoinUrl(config.join),
    advertiseHttpAddr: advertised(advertise, "HTTP address"),
  };
}

/**
 * Peer TLS takes a certificate and a key, and the cluster secret: Deno's TLS
 * server cannot ask a dialer for a certificate, so the secret is what
 * authenticates the dialing side.
 */
function checkPeerTls(config: NodeConfig): void {
  if ((config.peerTlsCertFile === "") !== (config.peerTlsKeyFile === "")) {
    throw new RangeError(
      `A peer TLS certificate and key go together, got certificate "${config.peerTlsCertFile}" and key "${config.peerTlsKeyFile}"`,
    );
  }
  if (config.peerTlsCertFile !== "" && config.clusterSecretFile === "") {
    throw new RangeError(
      `Cannot use peer TLS certificate "${config.peerTlsCertFile}" without a cluster secret: a TLS listener cannot check who dials it, the secret does`,
    );
  }
}

/** The core's settings for this node: one tick per heartbeat. */
export function raftConfigFor(config: NodeConfig): RaftConfig {
  const electionTicks = Math.round(config.electionMs / config.heartbeatMs);
  if (electionTicks < 3) {
    throw new RangeError(
      `Election timeout (${config.electionMs} ms) must be at least 3 heartbeats (${config.heartbeatMs} ms)`,
    );
  }
  const leaseTicks = Math.max(1, electionTicks - Math.max(2, Math.ceil(electionTicks / 5)));
  return validateConfig({
    ...defaultRaftConfig(),
    heartbeatTicks: 1,
    electionTicks,
    leaseTicks,
    snapshotTimeoutTicks: electionTicks * 10,
  });
}

/** Accepts `http://host:port[/...]` or a bare `host:port` and returns a base URL without a trailing slash. */
export function normalizeJoinUrl(join: string): string {
  const text = /^[a-z]+:\/\//i.test(join) ? join : `http://${join}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`Join address must be a URL or host:port, got "${join}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RangeError(`Join address must use http or https, got "${join}"`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}
