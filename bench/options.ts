/**
 * Command-line options of `deno task bench`, parsed and checked against their bounds.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { type ClientKind, connectionsMax, PRELOAD_BATCH_MAX } from "./load.ts";
import { workersMax } from "./load_workers.ts";
import { DEFAULT_SCENARIOS, parseScenario, type Scenario } from "./scenarios.ts";
import { RAFTER_ONLY_OPERATIONS, type Target, TARGETS } from "./targets.ts";

/** Where etcd's first member answers when `--target etcd` is given without `--url`. */
export const ETCD_URL_DEFAULT = "http://127.0.0.1:23791";

/** Longest a `--serve-only` cluster stays up, in seconds. */
const serveOnlySecondsMax = 3600;
/** How often the nodes are scraped during a run with metrics on, in milliseconds. */
const SCRAPE_MS_DEFAULT = 1000;
/** Default and largest wait for memory to settle after the load, in seconds. */
const SETTLE_S_DEFAULT = 60;
const SETTLE_S_MAX = 300;
/** The longest scrape interval accepted, in milliseconds. */
const SCRAPE_MS_MAX = 60_000;
/** Most watches of each kind `watch-fanout` opens. */
const watchersMax = 10_000;
/** The largest key space a run may use. */
const KEYS_MAX = 10_000_000;
/** Key spaces above this are preloaded in batches by default (one transaction per batch). */
const PRELOAD_SINGLE_KEYS_MAX = 100_000;
/** Keys per preload request for the larger key spaces. */
const PRELOAD_BATCH_DEFAULT = 100;
/** Most leases `lease-keepalive` keeps alive, and their longest TTL in milliseconds. */
const leasesMax = 1_000_000;
const leaseTtlMsMax = 3_600_000;

/** Everything a benchmark run is told. */
export interface BenchOptions {
  scenarios: Scenario[];
  durationS: number;
  keys: number;
  valueBytes: number;
  target: Target;
  /** Server to drive; null to start a rafter cluster. */
  url: string | null;
  /** File for the JSON results; null for none. */
  jsonPath: string | null;
  timeoutMs: number;
  client: ClientKind;
  threads: number;
  preload: boolean;
  /** Keys each preload request writes (one transaction of that many puts when above 1). */
  preloadBatch: number;
  keepDir: boolean;
  /** Start the cluster and wait for Ctrl-C instead of running scenarios; 0 for a normal run. */
  serveOnlyS: number;
  /** `--metrics` of every node started: whether the nodes count (and serve `/metrics`). */
  metrics: boolean;
  /** `--election-ms` of every node started; null for the nodes' default. */
  electionMs: number | null;
  /** Scrape every rafter node's `/metrics` this often while the load runs; 0 for never. */
  scrapeMs: number;
  /** Raft and HTTP ports of the first node started; node i uses these plus i - 1. */
  raftPort: number;
  httpPort: number;
  /** Node `watch-fanout` watches (a follower); null: node 2 of the started cluster, or `url`. */
  watchUrl: string | null;
  /** `watch-fanout`: watches of one random key each, and of every key. */
  watchersPerKey: number;
  watchersWholeSpace: number;
  /** `lease-keepalive`: leases kept alive, and their TTL. */
  leases: number;
  leaseTtlMs: number;
  /** Start the cluster with HTTPS, auth, the cluster secret and peer TLS on. */
  tls: boolean;
  /** After the scenarios, restart node 3, then wipe it and time its catch-up. */
  restart: boolean;
  /** Longest wait, in seconds, for the nodes' memory to settle after the load; 0 skips it. */
  settleS: number;
  help: boolean;
}

/** A bad command line: exit status 2 with the usage text. */
export class UsageError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The help text. */
export const USAGE = `Usage: deno task bench [options]

Starts a 3-node rafter cluster on loopback (or drives a running server), preloads every key,
runs the scenarios and prints req/s and latency percentiles; for a cluster it started, also
each node's resident memory and the snapshots taken during each scenario. Exits non-zero on
any error.

Options:
  --scenarios a,b,c    scenarios to run [${DEFAULT_SCENARIOS.join(",")}]
                       names: write-cN, read-consistent-cN, read-stale-cN, cas-cN, txn-cN,
                       scan-cN (N connections), mixed-cN (90% consistent reads, 10%
                       writes), write-cN-Sk (values of S KiB, with the disk's sequential
                       write rate beside), watch-fanout, lease-keepalive; see
                       docs/PERFORMANCE.md
  --duration SECONDS   run time of each scenario, 1..600 [10]
  --keys N             keyspace size, keys k0..k<N-1>, at most ${KEYS_MAX} [10000]
  --value-bytes N      value size [100]
  --target T           rafter | etcd [rafter]
  --url URL            drive a running server instead of starting a cluster
                       (etcd default: ${ETCD_URL_DEFAULT}; load goes to this node)
  --json FILE          also write the results as JSON to FILE
  --timeout SECONDS    request timeout, counted as an error [2]
  --client C           raw | fetch: the HTTP client of the load generator [raw]
  --threads N          Workers that share the connections, 1..${workersMax} [1]
  --no-preload         skip writing every key before the scenarios
  --preload-batch N    keys per preload request, 1..${PRELOAD_BATCH_MAX}: above 1 each request
                       is a transaction of N puts (rafter only)
                       [1 up to ${PRELOAD_SINGLE_KEYS_MAX} keys, else ${PRELOAD_BATCH_DEFAULT} for rafter]
  --keep-dir           keep the cluster's data and logs after the run
  --metrics on|off     start the nodes with --metrics on or off [on]
  --raft-port N        Raft port of the first node started; the others follow [17001]
  --http-port N        HTTP port of the first node started; the others follow [18001]
  --scrape-ms N        scrape every node's /metrics every N ms while the load runs,
                       0..60000; 0 for never [1000 with --metrics on, else 0]
  --serve-only         start the cluster and keep it up until Ctrl-C (at most 1 hour),
                       e.g. to drive it with the shared wrk scripts
  --watchers N         watch-fanout: watches of one random key each [1000]
  --prefix-watchers N  watch-fanout: watches of every key [10]
  --watch-url URL      watch-fanout: the follower the watches go to
                       [node 2 of the started cluster, else --url]
  --leases N           lease-keepalive: leases kept alive, one key on each [10000]
  --lease-ttl-ms N     lease-keepalive: their TTL; a keep-alive every third of it [10000]
  --tls                start the cluster with everything on: HTTPS, auth (every request
                       carries a token), the cluster secret and peer TLS; the certificates
                       are made with openssl at run time
  --election-ms N      start the nodes with --election-ms N (their election timeout), e.g.
                       for states large enough that a full garbage collection outlasts
                       the default
  --restart            after the scenarios, restart node 3 and time its first consistent
                       read; then remove it, wipe its data and time its catch-up by
                       InstallSnapshot, with its peak memory
  --settle-s N         after the scenarios, read each node's memory once a second until
                       none fell by more than 1% over 16 s (V8 gives back the heap a load
                       grew some seconds after it stops), waiting at most N s, 0..300;
                       reported beside the reading taken as the load ended; 0 skips it [60]
  --help               show this text

etcd is not needed for rafter runs. For --target etcd, start one first with the shared
scripts: ../shared/bench/etcd-cluster.sh start DIR (and stop DIR afterwards).`;

/**
 * Parses `args` against `options` strictly (no positionals, no unknown
 * flags); a bad command line throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./options.ts";
 * const flags = parseFlags(["--runs", "3"], { runs: { type: "string", default: "1" } });
 * if (flags.runs !== "3") throw new Error();
 * ```
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Parses option `--name`'s `text` as an integer in `min..max`.
 *
 * @example
 * ```ts
 * import { integer } from "./options.ts";
 * if (integer("runs", "12", 1, 100) !== 12) throw new Error();
 * ```
 */
export function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) {
    throw new UsageError(`Option --${name} must be an integer in ${min}..${max}, got "${text}"`);
  }
  return value;
}

/**
 * Checks that option `--name`'s `text` is one of `allowed`.
 *
 * @example
 * ```ts
 * import { oneOf } from "./options.ts";
 * if (oneOf("nodes", "5", ["3", "5"]) !== "5") throw new Error();
 * ```
 */
export function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`Option --${name} must be one of ${allowed.join(", ")}, got "${text}"`);
  }
  return text as T;
}

function checkUrl(text: string, name = "url"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Option --${name} must be a URL, got "${text}"`);
  }
  if (url.protocol !== "http:") {
    throw new UsageError(`Option --${name} must use http, got "${text}"`);
  }
  return text;
}

/** Refuses the scenarios only rafter runs when the target is etcd. */
function checkTarget(scenarios: Scenario[], target: Target): Scenario[] {
  if (target === "rafter") return scenarios;
  const only = scenarios.find((s) => s.kind !== "load" || RAFTER_ONLY_OPERATIONS.includes(s.op));
  if (only !== undefined) {
    throw new UsageError(
      `Scenario "${only.name}" runs against rafter only, got --target ${target}`,
    );
  }
  return scenarios;
}

/** Keys per preload request: as given (batches for rafter only), or by the key space. */
function preloadBatchOf(text: string | undefined, keys: number, target: Target): number {
  if (text === undefined) {
    return target === "rafter" && keys > PRELOAD_SINGLE_KEYS_MAX ? PRELOAD_BATCH_DEFAULT : 1;
  }
  const batch = integer("preload-batch", text, 1, PRELOAD_BATCH_MAX);
  if (batch > 1 && target !== "rafter") {
    throw new UsageError(`Option --preload-batch above 1 preloads rafter only, got "${batch}"`);
  }
  return batch;
}

function scenariosOf(text: string): Scenario[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (names.length === 0) throw new UsageError(`Option --scenarios names none, got "${text}"`);
  try {
    return names.map((name) => parseScenario(name, connectionsMax));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Parses the command line.
 *
 * @example
 * ```ts
 * import { parseBenchOptions } from "./options.ts";
 * const options = parseBenchOptions(["--target", "etcd", "--duration", "3"]);
 * if (options.durationS !== 3 || options.url !== "http://127.0.0.1:23791") throw new Error();
 * ```
 */
export function parseBenchOptions(args: string[]): BenchOptions {
  const parsed = parseFlags(args, {
    scenarios: { type: "string", default: DEFAULT_SCENARIOS.join(",") },
    duration: { type: "string", default: "10" },
    keys: { type: "string", default: "10000" },
    "value-bytes": { type: "string", default: "100" },
    target: { type: "string", default: "rafter" },
    url: { type: "string" },
    json: { type: "string" },
    timeout: { type: "string", default: "2" },
    client: { type: "string", default: "raw" },
    threads: { type: "string", default: "1" },
    "no-preload": { type: "boolean", default: false },
    "preload-batch": { type: "string" },
    "keep-dir": { type: "boolean", default: false },
    "serve-only": { type: "boolean", default: false },
    metrics: { type: "string", default: "on" },
    "scrape-ms": { type: "string" },
    "raft-port": { type: "string", default: "17001" },
    "http-port": { type: "string", default: "18001" },
    watchers: { type: "string", default: "1000" },
    "prefix-watchers": { type: "string", default: "10" },
    "watch-url": { type: "string" },
    leases: { type: "string", default: "10000" },
    "lease-ttl-ms": { type: "string", default: "10000" },
    tls: { type: "boolean", default: false },
    restart: { type: "boolean", default: false },
    "election-ms": { type: "string" },
    "settle-s": { type: "string" },
    help: { type: "boolean", default: false },
  });
  const target = oneOf("target", parsed.target, TARGETS);
  if (parsed["serve-only"] && (target !== "rafter" || parsed.url !== undefined)) {
    throw new UsageError(
      "Option --serve-only starts a rafter cluster; it takes no --target or --url",
    );
  }
  const metrics = oneOf("metrics", parsed.metrics, ["on", "off"] as const) === "on";
  if (
    (!metrics || parsed["scrape-ms"] !== undefined) &&
    (target !== "rafter" || parsed.url !== undefined)
  ) {
    throw new UsageError(
      "Options --metrics and --scrape-ms apply to the rafter cluster bench starts",
    );
  }
  const scrapeMs = parsed["scrape-ms"] === undefined
    ? (metrics && target === "rafter" && parsed.url === undefined ? SCRAPE_MS_DEFAULT : 0)
    : integer("scrape-ms", parsed["scrape-ms"], 0, SCRAPE_MS_MAX);
  if (!metrics && scrapeMs > 0) {
    throw new UsageError(`Option --scrape-ms needs --metrics on, got "${scrapeMs}"`);
  }
  if (parsed.restart && (target !== "rafter" || parsed.url !== undefined)) {
    throw new UsageError(
      "Option --restart restarts a node of the cluster bench starts; it takes no --target or --url",
    );
  }
  if (parsed.tls && (target !== "rafter" || parsed.url !== undefined)) {
    throw new UsageError(
      "Option --tls starts a secure rafter cluster; it takes no --target or --url",
    );
  }
  for (const name of ["election-ms", "settle-s"] as const) {
    if (parsed[name] !== undefined && (target !== "rafter" || parsed.url !== undefined)) {
      throw new UsageError(`Option --${name} applies to the rafter cluster bench starts`);
    }
  }
  const url = parsed.url !== undefined
    ? checkUrl(parsed.url)
    : target === "etcd"
    ? ETCD_URL_DEFAULT
    : null;
  const keys = integer("keys", parsed.keys, 1, KEYS_MAX);
  return {
    scenarios: checkTarget(scenariosOf(parsed.scenarios), target),
    durationS: integer("duration", parsed.duration, 1, 600),
    keys,
    valueBytes: integer("value-bytes", parsed["value-bytes"], 1, 65_536),
    target,
    url,
    jsonPath: parsed.json ?? null,
    timeoutMs: integer("timeout", parsed.timeout, 1, 60) * 1000,
    client: oneOf("client", parsed.client, ["raw", "fetch"] as const),
    threads: integer("threads", parsed.threads, 1, workersMax),
    preload: !parsed["no-preload"],
    preloadBatch: preloadBatchOf(parsed["preload-batch"], keys, target),
    keepDir: parsed["keep-dir"],
    serveOnlyS: parsed["serve-only"] ? serveOnlySecondsMax : 0,
    metrics,
    electionMs: parsed["election-ms"] === undefined
      ? null
      : integer("election-ms", parsed["election-ms"], 100, 60_000),
    scrapeMs,
    raftPort: integer("raft-port", parsed["raft-port"], 1024, 65_000),
    httpPort: integer("http-port", parsed["http-port"], 1024, 65_000),
    watchUrl: parsed["watch-url"] === undefined ? null : checkUrl(parsed["watch-url"], "watch-url"),
    watchersPerKey: integer("watchers", parsed.watchers, 0, watchersMax),
    watchersWholeSpace: integer("prefix-watchers", parsed["prefix-watchers"], 0, watchersMax),
    leases: integer("leases", parsed.leases, 1, leasesMax),
    leaseTtlMs: integer("lease-ttl-ms", parsed["lease-ttl-ms"], 1, leaseTtlMsMax),
    tls: parsed.tls,
    restart: parsed.restart,
    settleS: parsed["settle-s"] === undefined
      ? SETTLE_S_DEFAULT
      : integer("settle-s", parsed["settle-s"], 0, SETTLE_S_MAX),
    help: parsed.help,
  };
}
