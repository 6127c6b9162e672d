/**
 * Command line: flags to a validated {@link NodeConfig}, and the help text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CLIENT_COMMANDS_HELP } from "./cli/mod.ts";
import { defaultNodeConfig, type NodeConfig, validateNodeConfig } from "./config.ts";
import type { LogFormat, LogLevel } from "./log.ts";

/** The help text printed by `--help`. */
export const HELP = `rafter: a distributed key-value store on Raft

Usage:
  rafter [serve] [flags]      run a node
  rafter COMMAND [args]       talk to a cluster; "rafter COMMAND --help" for each
  rafter hash-token           read a token on standard input, print its SHA-256 for --auth-file

Client commands:
${CLIENT_COMMANDS_HELP}

Flags of serve:
  --id, --node-id ID      node id, unique in the cluster (default n1)
  --raft-addr HOST:PORT   Raft listener, also what peers dial (default 127.0.0.1:7001)
  --http-addr HOST:PORT   HTTP API; ":8001" listens on every interface (default 127.0.0.1:8001)
  --advertise-http HOST:PORT
                          HTTP address other nodes and redirects use (default: --http-addr)
  --data-dir DIR          log, snapshots and node.json (default data/<id>)
  --bootstrap             start a new one-member cluster when the data directory is fresh
  --join URL|HOST:PORT    ask this member's HTTP API to add us when the data directory is fresh;
                          retried with backoff, ignored once the directory holds state
  --heartbeat-ms N        leader heartbeat interval, also the tick (default 50)
  --election-ms N         election timeout, at least 3 heartbeats (default 500)
  --snapshot-entries N    applied entries between snapshots (default 10000; with more than
                          4N keys, a quarter of the key count); a snapshot also starts
                          once the applied entries reach 16 MiB (or half the keys' and
                          values' bytes, if more)
  --request-timeout-ms N  longest a request waits (for a leader, a commit, a read index)
                          before 503 (default 5000)
  --quota-bytes N         cap on keys plus values; writes past it answer 507 (default: one
                          eighth of the machine's memory, read with
                          --allow-sys=systemMemoryInfo; 1 GiB without it)
  --watch-history-entries N
                          applied entries with changes kept for watches (default 10000)
  --watch-history-bytes N bytes of changes kept for watches (default 67108864)
  --log-level LEVEL       debug, info, warn or error (default info)
  --log-format FORMAT     text, or json for one JSON object per line (default text)
  --slow-fsync-ms N       log a warning for a WAL sync slower than this (default 1000)
  --tls-cert FILE         PEM certificate: serve HTTPS on --http-addr (with --tls-key)
  --tls-key FILE          PEM private key of --tls-cert
  --peer-ca FILE          PEM CA the other members' certificates are checked against when
                          this node calls them: forwarding to the leader, the --join call,
                          peer TLS (default: the system's roots)
  --cluster-secret-file FILE
                          one secret of at least 32 bytes (or two, current then next, one
                          per line) that members prove to each other on the Raft port and
                          that /join accepts instead of an admin token; without it peer
                          traffic is unauthenticated
  --peer-tls-cert FILE    PEM certificate of the Raft listener: peer links over TLS (with
                          --peer-tls-key and --cluster-secret-file)
  --peer-tls-key FILE     PEM private key of --peer-tls-cert
  --auth-file FILE        JSON users with token hashes and permissions; every route then
                          needs credentials (Bearer token or Basic name:token); SIGHUP reloads
  --http-requests-inflight-max N
                          HTTP requests handled at once; past it 503 with Retry-After
                          (default 4096)
  --metrics on|off        count what the node does and serve GET /metrics (default on);
                          off also leaves request rates out of the dashboard
  -h, --help              this text

A fresh data directory with neither --bootstrap nor --join bootstraps a one-node cluster.
SIGINT or SIGTERM stops the node; a leader first hands leadership to the most caught-up voter
(within an election timeout), so a rolling restart never waits for an election.
Client commands find the cluster through --endpoints or RAFTER_ENDPOINTS (default
http://127.0.0.1:8001).

Observing a node (HTTP API address):
  GET /metrics            Prometheus metrics (text format 0.0.4)
  GET /livez              200 while the process serves
  GET /readyz[?noleader]  200 when a leader is known and this node has applied what it knows committed
  GET /ui                 live dashboard of the cluster; GET /status/events is its event stream

Operating a cluster:
  GET /snapshot           a backup of this node's state at its applied index (rafter snapshot save)
  POST /transfer-leader?to=ID
                          leadership to voter ID, or the most caught-up (rafter transfer-leader)
`;

/** A command line that cannot be run: print the message and exit with status 2. */
export class UsageError extends Error {
  /** @param message one line saying what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "serve"; config: NodeConfig }
  | { kind: "hash-token" };

const FLAGS = {
  id: { type: "string" },
  "node-id": { type: "string" },
  "raft-addr": { type: "string" },
  "http-addr": { type: "string" },
  "advertise-http": { type: "string" },
  "data-dir": { type: "string" },
  bootstrap: { type: "boolean" },
  join: { type: "string" },
  "heartbeat-ms": { type: "string" },
  "election-ms": { type: "string" },
  "snapshot-entries": { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "slow-fsync-ms": { type: "string" },
  metrics: { type: "string" },
  "request-timeout-ms": { type: "string" },
  "quota-bytes": { type: "string" },
  "watch-history-entries": { type: "string" },
  "watch-history-bytes": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "peer-ca": { type: "string" },
  "cluster-secret-file": { type: "string" },
  "peer-tls-cert": { type: "string" },
  "peer-tls-key": { type: "string" },
  "auth-file": { type: "string" },
  "http-requests-inflight-max": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function onOff(flag: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text !== "on" && text !== "off") {
    throw new UsageError(`--${flag} must be on or off, got "${text}"`);
  }
  return text === "on";
}

function integer(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`--${flag} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** `rafter hash-token`: the token comes on standard input, never as an argument. */
function hashTokenCommand(args: string[]): Command {
  if (args.length > 1) {
    throw new UsageError("hash-token takes no arguments: the token comes on stdin");
  }
  return { kind: "hash-token" };
}

/** The flags of HTTPS, auth, the cluster secret, peer TLS and the request bound. */
type SecurityFlags = Partial<
  Record<
    | "tls-cert"
    | "tls-key"
    | "peer-ca"
    | "cluster-secret-file"
    | "peer-tls-cert"
    | "peer-tls-key"
    | "auth-file"
    | "http-requests-inflight-max",
    string
  >
>;

function securitySettings(
  values: SecurityFlags,
  defaults: NodeConfig,
): Pick<
  NodeConfig,
  | "tlsCertFile"
  | "tlsKeyFile"
  | "peerCaFile"
  | "clusterSecretFile"
  | "peerTlsCertFile"
  | "peerTlsKeyFile"
  | "authFile"
  | "httpRequestsInflightMax"
> {
  return {
    tlsCertFile: values["tls-cert"] ?? "",
    tlsKeyFile: values["tls-key"] ?? "",
    peerCaFile: values["peer-ca"] ?? "",
    clusterSecretFile: values["cluster-secret-file"] ?? "",
    peerTlsCertFile: values["peer-tls-cert"] ?? "",
    peerTlsKeyFile: values["peer-tls-key"] ?? "",
    authFile: values["auth-file"] ?? "",
    httpRequestsInflightMax: integer(
      "http-requests-inflight-max",
      values["http-requests-inflight-max"],
      defaults.httpRequestsInflightMax,
    ),
  };
}

/**
 * Parses the arguments after the program name.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli.ts";
 * const command = parseCommand(["--node-id", "n2", "--raft-addr", ":7002"]);
 * if (command.kind !== "serve" || command.config.dataDir !== "data/n2") throw new Error();
 * ```
 */
export function parseCommand(args: string[]): Command {
  if (args[0] === "hash-token") return hashTokenCommand(args);
  const rest = args[0] === "serve" ? args.slice(1) : args;
  if (rest[0] !== undefined && !rest[0].startsWith("-")) {
    throw new UsageError(`Unknown command "${rest[0]}"; run with --help`);
  }
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
  if (values.help === true) return { kind: "help" };
  if (
    values.id !== undefined && values["node-id"] !== undefined && values.id !== values["node-id"]
  ) {
    throw new UsageError("--id and --node-id disagree");
  }
  const defaults = defaultNodeConfig();
  const id = values.id ?? values["node-id"] ?? defaults.id;
  const snapshotEntries = integer(
    "snapshot-entries",
    values["snapshot-entries"],
    defaults.snapshotEntries,
  );
  const config: NodeConfig = {
    ...defaults,
    id,
    raftAddr: values["raft-addr"] ?? defaults.raftAddr,
    httpAddr: values["http-addr"] ?? defaults.httpAddr,
    advertiseHttpAddr: values["advertise-http"] ?? "",
    dataDir: values["data-dir"] ?? `data/${id}`,
    bootstrap: values.bootstrap === true,
    join: values.join ?? "",
    heartbeatMs: integer("heartbeat-ms", values["heartbeat-ms"], defaults.heartbeatMs),
    electionMs: integer("election-ms", values["election-ms"], defaults.electionMs),
    snapshotEntries,
    snapshotCatchUpEntries: Math.min(
      defaults.snapshotCatchUpEntries,
      Math.ceil(snapshotEntries / 2),
    ),
    logLevel: (values["log-level"] ?? defaults.logLevel) as LogLevel,
    logFormat: (values["log-format"] ?? defaults.logFormat) as LogFormat,
    slowFsyncMs: integer("slow-fsync-ms", values["slow-fsync-ms"], defaults.slowFsyncMs),
    metrics: onOff("metrics", values.metrics, defaults.metrics),
    requestTimeoutMs: integer(
      "request-timeout-ms",
      values["request-timeout-ms"],
      defaults.requestTimeoutMs,
    ),
    quotaBytes: integer("quota-bytes", values["quota-bytes"], defaults.quotaBytes),
    watchHistoryEntries: integer(
      "watch-history-entries",
      values["watch-history-entries"],
      defaults.watchHistoryEntries,
    ),
    watchHistoryBytes: integer(
      "watch-history-bytes",
      values["watch-history-bytes"],
      defaults.watchHistoryBytes,
    ),
    ...securitySettings(values, defaults),
  };
  if (config.bootstrap && config.join !== "") {
    throw new UsageError("--bootstrap and --join cannot be used together");
  }
  try {
    return { kind: "serve", config: validateNodeConfig(config) };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
