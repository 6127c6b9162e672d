/**
 * Real rafter processes on 127.0.0.1 for the cluster tests: free ports chosen
 * at run time, one temp dir per cluster, logs captured per node (never
 * inherited), bounded waits, and HTTP helpers that always consume the body.
 *
 * Use {@link withCluster}: it always cleans up, and prints the tail of every
 * node's log when the test fails.
 *
 * @module
 */

import type { NodeStatus } from "../../src/api.ts";
import { nodeRunOptions } from "../../src/node_flags.ts";

/** The repository root: nodes run `main.ts` from here so `deno.json` applies. */
const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** Longest any single wait may take; every test stays well under a minute. */
export const WAIT_MS_MAX = 20_000;
/** Log lines kept per node; older ones are dropped. */
const LOG_LINES_MAX = 20_000;
/** Log lines printed per node when a test fails. */
const LOG_TAIL_LINES = 60;
/** Time one HTTP request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Time a stopped or killed node may take to exit. */
const EXIT_TIMEOUT_MS = 10_000;

/** Timing and snapshot flags passed to every node, and where nodes run. */
export interface ClusterOptions {
  heartbeatMs?: number;
  electionMs?: number;
  snapshotEntries?: number;
  /** `--request-timeout-ms` (default 2000, below the harness's own request timeout). */
  requestTimeoutMs?: number;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** The script nodes run (default: the repository's `main.ts`; a bundle works too). */
  entry?: string;
  /** Flags every node gets after the harness's own (TLS, auth, a test-only switch). */
  extraArgs?: string[];
  /** How the harness's own status calls reach nodes that serve HTTPS or want credentials. */
  access?: ClusterAccess;
  /** Where node `id` runs; by default on 127.0.0.1, free ports, `DIR/id`, no wrapper. */
  placement?: (id: string, dir: string) => NodePlacement;
}

/** The scheme, CA and credentials of the harness's own calls. */
export interface ClusterAccess {
  scheme: "http" | "https";
  /** PEM of the CA that signed the nodes' certificates. */
  caCert?: string;
  /** `Authorization` header value of an admin, so `/status` shows everything. */
  authorization?: string;
}

/** Addresses, data directory and command wrapper of one node. */
export interface NodePlacement {
  raftAddr: string;
  httpAddr: string;
  dataDir: string;
  /** A command that runs the node inside it (`["nsenter", "-t", "42", "-n"]`), or `[]`. */
  wrapper: string[];
}

/** How one run of a node's process ended. */
export interface NodeExit {
  pid: number;
  code: number;
  signal: Deno.Signal | null;
  /** The harness sent the signal that ended it (kill, stop, cleanup). */
  byHarness: boolean;
}

/** How a node starts on a fresh data directory. */
export type StartMode = { bootstrap: true } | { join: string } | Record<string, never>;

/** One node: its addresses, data directory, current process and every log line. */
export interface NodeProcess {
  readonly id: string;
  /** `127.0.0.1:port` of the Raft listener. */
  readonly raftAddr: string;
  /** `127.0.0.1:port` of the HTTP API. */
  readonly httpAddr: string;
  readonly dataDir: string;
  /** Arguments after `main.ts`, the same on every restart. */
  readonly args: string[];
  /** Stdout and stderr lines of every run, oldest first (bounded). */
  readonly lines: string[];
  /** The command wrapper of every run (see {@link NodePlacement}). */
  readonly wrapper: string[];
  /** How every earlier run ended, oldest first. */
  readonly exits: NodeExit[];
  child: Deno.ChildProcess | null;
  /** Resolves when the current process has exited and its output is drained. */
  exited: Promise<Deno.CommandStatus> | null;
}

/** An answered HTTP request whose body has been read. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws when it is not). */
  json(): unknown;
}

/**
 * Resolves with the first truthy value of `probe()`, polling every
 * `intervalMs`; throws naming `what` after `timeoutMs`. A probe that throws
 * counts as "not yet".
 */
export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  timeoutMs = WAIT_MS_MAX,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + Math.min(timeoutMs, WAIT_MS_MAX);
  let lastError = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ""}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends one HTTP request with a time limit and reads the whole body, so no
 * response is left open. Network failures throw.
 */
export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: () => JSON.parse(text),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** `POST /key` with a JSON body, redirects not followed unless `follow`. */
export function putKey(
  httpAddr: string,
  key: string,
  value: string,
  follow = false,
): Promise<Answer> {
  return request(`http://${httpAddr}/key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key, value }),
    redirect: follow ? "follow" : "manual",
  });
}

/** `GET /key?key=K&level=L`, redirects not followed unless `follow`. */
export function getKey(
  httpAddr: string,
  key: string,
  level: "stale" | "default" | "consistent",
  follow = false,
): Promise<Answer> {
  const query = new URLSearchParams({ key, level });
  return request(`http://${httpAddr}/key?${query}`, { redirect: follow ? "follow" : "manual" });
}

/** The default placement: free ports on 127.0.0.1, data under the cluster's temp dir. */
function loopbackPlacement(id: string, dir: string): NodePlacement {
  const [raftPort, httpPort] = freePorts(2);
  return {
    raftAddr: `127.0.0.1:${raftPort}`,
    httpAddr: `127.0.0.1:${httpPort}`,
    dataDir: `${dir}/${id}`,
    wrapper: [],
  };
}

/** Ports this process has handed out: a node may not have bound its own yet. */
const portsIssued = new Set<number>();
/** Listens tried per port wanted before giving up. */
const PORT_TRIES_MAX = 64;

/**
 * Binds `count` distinct free ports on 127.0.0.1, then releases them. A port handed out
 * before in this process is never handed out again: a node started on it may not be
 * listening yet, and another node must not take it meanwhile.
 */
export function freePorts(count: number): number[] {
  const listeners: Deno.Listener[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries >= count * PORT_TRIES_MAX) {
        throw new Error(`Cannot find ${count} free ports not handed out before`);
      }
      // Held open until the end, so the next listen gets another port.
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      listeners.push(listener);
      const port = (listener.addr as Deno.NetAddr).port;
      if (!portsIssued.has(port)) ports.push(port);
    }
  } finally {
    for (const listener of listeners) listener.close();
  }
  for (const port of ports) portsIssued.add(port);
  return ports;
}

async function pump(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    if (lines.length > LOG_LINES_MAX) lines.splice(0, lines.length - LOG_LINES_MAX);
  }
  if (partial !== "") lines.push(partial);
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A set of rafter processes sharing one temp dir. */
export class Cluster {
  /** Every node ever added, in order. */
  readonly nodes: NodeProcess[] = [];
  /** The temp dir holding every data directory. */
  readonly dir: string;
  private readonly options: Required<Omit<ClusterOptions, "access" | "placement">>;
  private readonly access: {
    scheme: string;
    init: RequestInit & { client?: Deno.HttpClient };
    client: Deno.HttpClient | null;
  };
  private readonly placement: (id: string, dir: string) => NodePlacement;
  /** Pids the harness is signalling, so their exit counts as its doing. */
  private readonly signalled = new Set<number>();

  private constructor(dir: string, options: ClusterOptions) {
    this.dir = dir;
    this.options = {
      heartbeatMs: options.heartbeatMs ?? 20,
      electionMs: options.electionMs ?? 200,
      snapshotEntries: options.snapshotEntries ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
      logLevel: options.logLevel ?? "info",
      entry: options.entry ?? `${ROOT}main.ts`,
      extraArgs: options.extraArgs ?? [],
    };
    const access = options.access ?? { scheme: "http" };
    const client = access.caCert === undefined
      ? null
      : Deno.createHttpClient({ caCerts: [access.caCert] });
    const headers = access.authorization === undefined
      ? {}
      : { authorization: access.authorization };
    const init = client === null ? { headers } : { client, headers };
    this.access = { scheme: access.scheme, init, client };
    this.placement = options.placement ?? loopbackPlacement;
  }

  /** Makes the temp dir; no node runs yet. */
  static async create(options: ClusterOptions = {}): Promise<Cluster> {
    return new Cluster(await Deno.makeTempDir({ prefix: "rafter_cluster_" }), options);
  }

  /** The node with `id`; throws when there is none. */
  node(id: string): NodeProcess {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`No node "${id}"`);
    return node;
  }

  /** Nodes whose process is running. */
  running(): NodeProcess[] {
    return this.nodes.filter((n) => n.child !== null);
  }

  /**
   * Adds node `id` where the placement puts it (free loopback ports by
   * default) and starts it, with `extraArgs` after the cluster's own.
   */
  add(id: string, mode: StartMode = {}, extraArgs: string[] = []): NodeProcess {
    const node = this.reserve(id, mode, extraArgs);
    this.spawn(node);
    return node;
  }

  /**
   * Adds node `id` where the placement puts it without starting it, so its
   * data directory can be prepared first; {@link restart} starts it.
   */
  reserve(id: string, mode: StartMode = {}, extraArgs: string[] = []): NodeProcess {
    const { raftAddr, httpAddr, dataDir, wrapper } = this.placement(id, this.dir);
    const o = this.options;
    const args = [
      "serve",
      "--id",
      id,
      "--raft-addr",
      raftAddr,
      "--http-addr",
      httpAddr,
      "--data-dir",
      dataDir,
      "--heartbeat-ms",
      String(o.heartbeatMs),
      "--election-ms",
      String(o.electionMs),
      "--snapshot-entries",
      String(o.snapshotEntries),
      "--request-timeout-ms",
      String(o.requestTimeoutMs),
      "--log-level",
      o.logLevel,
      ...o.extraArgs,
      ...extraArgs,
    ];
    if ("bootstrap" in mode) args.push("--bootstrap");
    if ("join" in mode) args.push("--join", mode.join);
    const node: NodeProcess = {
      id,
      raftAddr,
      httpAddr,
      dataDir,
      args,
      lines: [],
      wrapper,
      exits: [],
      child: null,
      exited: null,
    };
    this.nodes.push(node);
    return node;
  }

  private spawn(node: NodeProcess): void {
    if (node.child !== null) throw new Error(`Node "${node.id}" is already running`);
    const [program, ...wrapperArgs] = [...node.wrapper, Deno.execPath()];
    const command = new Deno.Command(program!, {
      args: [
        ...wrapperArgs,
        "run",
        ...nodeRunOptions(),
        this.options.entry,
        ...node.args,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    const child = command.spawn();
    node.lines.push(`--- ${node.id} started (pid ${child.pid}) ---`);
    const drained = Promise.all([pump(child.stdout, node.lines), pump(child.stderr, node.lines)]);
    node.child = child;
    node.exited = (async () => {
      const status = await child.status;
      await drained;
      node.lines.push(`--- ${node.id} exited (code ${status.code}, signal ${status.signal}) ---`);
      const byHarness = this.signalled.delete(child.pid);
      node.exits.push({ pid: child.pid, code: status.code, signal: status.signal, byHarness });
      return status;
    })();
  }

  /** Starts `node` (again) with the same arguments, ports and data directory. */
  restart(node: NodeProcess): void {
    this.spawn(node);
  }

  /**
   * Starts a stopped `node` again on an emptied data directory, as `mode`
   * says (a node removed from the cluster coming back as a new member).
   */
  async startFresh(node: NodeProcess, mode: StartMode): Promise<void> {
    if (node.child !== null) throw new Error(`Node "${node.id}" is still running`);
    await Deno.remove(node.dataDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const args = node.args;
    const bootstrap = args.indexOf("--bootstrap");
    if (bootstrap >= 0) args.splice(bootstrap, 1);
    const join = args.indexOf("--join");
    if (join >= 0) args.splice(join, 2);
    if ("bootstrap" in mode) args.push("--bootstrap");
    if ("join" in mode) args.push("--join", mode.join);
    this.spawn(node);
  }

  /** Sends `signal` and waits for the process to exit; answers its status. */
  private async signal(node: NodeProcess, signal: Deno.Signal): Promise<Deno.CommandStatus> {
    const child = node.child;
    const exited = node.exited;
    if (child === null || exited === null) throw new Error(`Node "${node.id}" is not running`);
    this.signalled.add(child.pid);
    try {
      child.kill(signal);
      // A paused process acts on nothing but SIGKILL until it runs again.
      if (signal !== "SIGKILL") child.kill("SIGCONT");
    } catch {
      // Already exited on its own: its status tells.
    }
    const status = await within(exited, EXIT_TIMEOUT_MS, `node "${node.id}" to exit`);
    node.child = null;
    node.exited = null;
    return status;
  }

  /**
   * Forgets a process that exited on its own (a crash, or a storage failure
   * it was made to have), so the node can be restarted; answers its status.
   */
  async reap(node: NodeProcess): Promise<Deno.CommandStatus> {
    const exited = node.exited;
    if (exited === null) throw new Error(`Node "${node.id}" is not running`);
    const status = await within(exited, EXIT_TIMEOUT_MS, `node "${node.id}" to exit`);
    node.child = null;
    node.exited = null;
    return status;
  }

  /** Kills `node` with SIGKILL: no shutdown, no final sync. */
  kill9(node: NodeProcess): Promise<Deno.CommandStatus> {
    return this.signal(node, "SIGKILL");
  }

  /**
   * Freezes `node` with SIGSTOP: it keeps its sockets but answers nothing,
   * as a node cut off from the others would. {@link resume} undoes it;
   * cleanup's SIGKILL ends a frozen node too.
   */
  pause(node: NodeProcess): void {
    if (node.child === null) throw new Error(`Node "${node.id}" is not running`);
    node.child.kill("SIGSTOP");
  }

  /** Lets a node frozen by {@link pause} run again (SIGCONT). */
  resume(node: NodeProcess): void {
    if (node.child === null) throw new Error(`Node "${node.id}" is not running`);
    node.child.kill("SIGCONT");
  }

  /** Stops `node` gracefully (SIGTERM unless told) and answers its exit status. */
  stop(
    node: NodeProcess,
    signal: "SIGTERM" | "SIGINT" = "SIGTERM",
  ): Promise<Deno.CommandStatus> {
    return this.signal(node, signal);
  }

  /** `GET /status` of `node`, or null when it does not answer. */
  async status(node: NodeProcess): Promise<NodeStatus | null> {
    try {
      const answer = await request(
        `${this.access.scheme}://${node.httpAddr}/status`,
        this.access.init,
      );
      return answer.status === 200 ? answer.json() as NodeStatus : null;
    } catch {
      return null;
    }
  }

  /**
   * Waits until exactly one of `among` (default: the running nodes) reports
   * role leader, every member in its view is a voter (`voters` of them when
   * given), and every node of `among` names it as leader. Answers the leader.
   */
  leader(
    options: { among?: NodeProcess[]; voters?: number; timeoutMs?: number } = {},
  ): Promise<NodeProcess> {
    return waitFor(
      async () => {
        const among = options.among ?? this.running();
        const statuses = await Promise.all(among.map((n) => this.status(n)));
        const leaders = statuses.filter((s) => s?.role === "leader");
        if (leaders.length !== 1) return null;
        const lead = leaders[0]!;
        if (!lead.members.every((m) => m.voter)) return null;
        if (options.voters !== undefined && lead.members.length !== options.voters) return null;
        if (!statuses.every((s) => s?.leaderId === lead.id && s.term === lead.term)) return null;
        return this.node(lead.id);
      },
      "one agreed leader",
      options.timeoutMs ?? WAIT_MS_MAX,
    );
  }

  /**
   * Starts `size` nodes `n1`..: `n1` bootstraps, the others join through it;
   * answers once one leader has `size` voters. `argsOf` gives each node's
   * own extra flags.
   */
  async form(size: number, argsOf: (id: string) => string[] = () => []): Promise<NodeProcess> {
    const first = this.add("n1", { bootstrap: true }, argsOf("n1"));
    await this.leader({ voters: 1 });
    const join = `${this.access.scheme}://${first.httpAddr}`;
    for (let i = 2; i <= size; i++) this.add(`n${i}`, { join }, argsOf(`n${i}`));
    return await this.leader({ voters: size });
  }

  /** The last `count` log lines of every node, as one printable block. */
  logTails(count = LOG_TAIL_LINES): string {
    return this.nodes.map((n) =>
      `===== ${n.id} (raft ${n.raftAddr}, http ${n.httpAddr}) =====\n` +
      n.lines.slice(-count).join("\n")
    ).join("\n");
  }

  /** Kills every running node, waits for each, and removes the temp dir. */
  async cleanup(): Promise<void> {
    for (const node of this.running()) {
      try {
        await this.kill9(node);
      } catch (error) {
        console.error(`Cannot kill node "${node.id}": ${error}`);
      }
    }
    this.access.client?.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs `body` with a fresh cluster; prints every node's log tail when it
 * throws; always cleans up.
 */
export async function withCluster(
  options: ClusterOptions,
  body: (cluster: Cluster) => Promise<void>,
): Promise<void> {
  const cluster = await Cluster.create(options);
  try {
    await body(cluster);
  } catch (error) {
    console.error(`\nCluster test failed; node logs:\n${cluster.logTails()}\n`);
    throw error;
  } finally {
    await cluster.cleanup();
  }
}

/**
 * Writes `key` like a client that knows every node's address: follows a 307
 * to the named leader, moves to the next node after a 503 or a network
 * error, and gives up after `timeoutMs`. True once a node answered 200.
 */
export async function putRetrying(
  httpAddrs: string[],
  key: string,
  value: string,
  timeoutMs = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let target = httpAddrs[Math.floor(Math.random() * httpAddrs.length)]!;
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    try {
      const answer = await putKey(target, key, value);
      if (answer.status === 200) return true;
      const location = answer.headers.get("location");
      if (answer.status === 307 && location !== null) {
        target = new URL(location).host;
        continue;
      }
    } catch {
      // Refused or reset: the node is down; try another.
    }
    target = httpAddrs[(httpAddrs.indexOf(target) + 1) % httpAddrs.length]!;
    await sleep(20);
  }
  return false;
}

/**
 * Reads `key` at level consistent from `httpAddr`, retrying only on 503 and
 * network errors (leadership settling) until `timeoutMs`; answers the first
 * 200 or 404.
 */
export function getConsistent(httpAddr: string, key: string, timeoutMs = 10_000): Promise<Answer> {
  return waitFor(
    async () => {
      const answer = await getKey(httpAddr, key, "consistent");
      if (answer.status === 200 || answer.status === 404) return answer;
      return null;
    },
    `a consistent read of "${key}" on ${httpAddr}`,
    timeoutMs,
  );
}

/** Runs `fn` over `items` with at most `concurrency` calls at a time. */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/**
 * Asserts that every `key → value` of `expected` reads back at level
 * consistent, spreading the reads over `nodes`.
 */
export async function expectConsistent(
  nodes: readonly NodeProcess[],
  expected: ReadonlyMap<string, string>,
): Promise<void> {
  const missing: string[] = [];
  await forEachBounded([...expected], 8, async ([key, value], i) => {
    const node = nodes[i % nodes.length]!;
    const answer = await getConsistent(node.httpAddr, key);
    const got = answer.status === 200 ? (answer.json() as { value: string }).value : null;
    if (got !== value) {
      missing.push(`${key} on ${node.id}: expected "${value}", got ${answer.text}`);
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `${missing.length} acknowledged writes do not read back:\n${missing.join("\n")}`,
    );
  }
}
