/**
 * Starts and stops a local rafter cluster for the benchmark: one `deno run main.ts serve`
 * process per node on loopback, default settings, data and logs in one temporary folder.
 * Node 1 bootstraps; once it leads, the others join through it. The cluster is ready when
 * node 1 reports itself leader with every node a voter. With `secure`, every node serves
 * HTTPS with auth on and links to its peers over TLS with a cluster secret (`secure.ts`).
 *
 * @module
 */

import { makeSecureSetup, type SecureSetup } from "./secure.ts";
import { nodeRunOptions } from "../src/node_flags.ts";

/** Where and how to start the cluster. */
export interface ClusterOptions {
  /** Number of nodes (default 3). */
  size?: number;
  /** Raft port of node 1; node i uses `raftPortFirst + i - 1` (default 17001). */
  raftPortFirst?: number;
  /** HTTP port of node 1; node i uses `httpPortFirst + i - 1` (default 18001). */
  httpPortFirst?: number;
  /** How long to wait for a leader with every node voting (default 30 000). */
  readyTimeoutMs?: number;
  /** Keep the data and log folder after `stop()` (default false). */
  keepDir?: boolean;
  /** The program each node runs with `deno run` (default: the repository's `main.ts`). */
  mainPath?: string;
  /** Flags added to every node's command line (default none). */
  nodeArgs?: string[];
  /** HTTPS, auth, the cluster secret and peer TLS (default false: plain HTTP and TCP). */
  tls?: boolean;
}

type ResolvedOptions = Required<Omit<ClusterOptions, "tls">> & { secure: SecureSetup | null };

/** Largest cluster the benchmark starts. */
const sizeMax = 9;
/** How long a node gets to exit after SIGTERM before SIGKILL, in milliseconds. */
const stopGraceMs = 5_000;
/** How often readiness is polled, in milliseconds. */
const pollIntervalMs = 200;
/** Timeout of one `/status` poll, in milliseconds. */
const pollTimeoutMs = 1_000;
/** Log lines shown per node when the cluster fails to start. */
const logTailLines = 15;

const mainPathDefault = new URL("../main.ts", import.meta.url).pathname;
const repoDir = new URL("..", import.meta.url).pathname;

interface NodeProcess {
  id: string;
  httpUrl: string;
  child: Deno.ChildProcess;
  exited: boolean;
  exitCode: number;
  /** Resolves when stdout and stderr have been copied to their log files. */
  logsDone: Promise<unknown>;
  stderrPath: string;
}

/** The part of `/status` the benchmark reads. */
interface StatusView {
  role?: unknown;
  members?: { voter?: unknown }[];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function assertPortFree(port: number): void {
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    throw new Error(`Cannot start the cluster: port "127.0.0.1:${port}" is already in use`);
  }
}

/**
 * Copies a child's output to the end of a file as it arrives (so a failure can show its
 * tail, and a restarted node's lines follow its earlier ones).
 */
async function copyToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  using file = await Deno.open(path, { append: true, create: true });
  // Not pipeTo: its file sink held lines back until the process ended.
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) written += await file.write(chunk.subarray(written));
  }
}

/** A `fetch` that trusts the secure cluster's CA and sends the user's token (or the admin's). */
export function clusterFetch(secure: SecureSetup | null, admin = false): typeof fetch {
  if (secure === null) return (input, init) => fetch(input, init);
  const client = Deno.createHttpClient({ caCerts: [secure.caCert] });
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", admin ? secure.adminAuthorization : secure.authorization);
    return fetch(input, { ...init, headers, client });
  };
}

async function readStatus(url: string, get: typeof fetch): Promise<StatusView | null> {
  try {
    const response = await get(`${url}/status`, { signal: AbortSignal.timeout(pollTimeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return await response.json() as StatusView;
  } catch {
    return null;
  }
}

function voterCount(status: StatusView): number {
  return (status.members ?? []).filter((member) => member.voter === true).length;
}

/** A running cluster; `stop()` it, always. */
export class RafterCluster {
  /** Temporary folder with `nI/` data folders and `nI.stderr.log` / `nI.stdout.log`. */
  readonly dir: string;
  readonly #nodes: NodeProcess[] = [];
  readonly #options: ResolvedOptions;
  readonly #fetch: typeof fetch;
  #stopping: Promise<void> | null = null;

  private constructor(dir: string, options: ResolvedOptions) {
    this.dir = dir;
    this.#options = options;
    this.#fetch = clusterFetch(options.secure, true);
  }

  /** The secure setup the nodes run with, or null for plain HTTP and TCP. */
  get secure(): SecureSetup | null {
    return this.#options.secure;
  }

  /** Process ids of the running nodes. */
  get pids(): number[] {
    return this.#nodes.filter((node) => !node.exited).map((node) => node.child.pid);
  }

  /** The stderr log of every node, node 1 first. */
  get logPaths(): string[] {
    return this.#nodes.map((node) => node.stderrPath);
  }

  /** Base URL of every node, node 1 first. */
  get nodeUrls(): string[] {
    return this.#nodes.map((node) => node.httpUrl);
  }

  /** Each node's id, process id, HTTP base URL, data directory and stderr log, in order. */
  nodes(): {
    id: string;
    pid: number;
    httpUrl: string;
    dataDir: string;
    stderrPath: string;
    exited: boolean;
    exitCode: number;
  }[] {
    return this.#nodes.map((node) => ({
      id: node.id,
      pid: node.child.pid,
      httpUrl: node.httpUrl,
      dataDir: `${this.dir}/${node.id}`,
      stderrPath: node.stderrPath,
      exited: node.exited,
      exitCode: node.exitCode,
    }));
  }

  /** The HTTP base URL of the node every node that answers names as leader, or null. */
  async currentLeaderUrl(): Promise<string | null> {
    const statuses = await Promise.all(
      this.#nodes.map((node) => readStatus(node.httpUrl, this.#fetch)),
    );
    const ids = statuses.map((s) => (s as { leaderId?: unknown } | null)?.leaderId);
    const lead = this.#nodes.find((node) => ids.includes(node.id));
    return lead?.httpUrl ?? null;
  }

  /** Base URL of node 1, the leader the load goes to. */
  get leaderUrl(): string {
    const scheme = this.#options.secure === null ? "http" : "https";
    return `${scheme}://127.0.0.1:${this.#options.httpPortFirst}`;
  }

  /** Base URL of node `index` (1-based). */
  nodeUrl(index: number): string {
    const scheme = this.#options.secure === null ? "http" : "https";
    return `${scheme}://127.0.0.1:${this.#options.httpPortFirst + index - 1}`;
  }

  /** Base URL of node 2, a follower (node 1 when the cluster has one node). */
  get followerUrl(): string {
    const port = this.#options.httpPortFirst + (this.#options.size > 1 ? 1 : 0);
    return `http://127.0.0.1:${port}`;
  }

  /**
   * Checks the ports and makes the temporary folder; `start()` then starts the nodes. Two
   * steps, so the caller holds the cluster (to stop it on a signal) while it starts.
   */
  static async create(options: ClusterOptions = {}): Promise<RafterCluster> {
    const full: Required<Omit<ClusterOptions, "tls">> = {
      size: options.size ?? 3,
      raftPortFirst: options.raftPortFirst ?? 17001,
      httpPortFirst: options.httpPortFirst ?? 18001,
      readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      keepDir: options.keepDir ?? false,
      mainPath: options.mainPath ?? mainPathDefault,
      nodeArgs: options.nodeArgs ?? [],
    };
    if (!Number.isInteger(full.size) || full.size < 1 || full.size > sizeMax) {
      throw new RangeError(`Cluster size must be an integer in 1..${sizeMax}, got "${full.size}"`);
    }
    for (let i = 0; i < full.size; i++) {
      assertPortFree(full.raftPortFirst + i);
      assertPortFree(full.httpPortFirst + i);
    }
    const dir = await Deno.makeTempDir({ prefix: "rafter-bench-" });
    const secure = options.tls === true ? await makeSecureSetup(dir) : null;
    return new RafterCluster(dir, { ...full, secure });
  }

  /** Starts the nodes and waits until the cluster is ready; the caller stops it, always. */
  async start(): Promise<void> {
    if (this.#nodes.length > 0 || this.#stopping !== null) {
      throw new Error(`Cluster in "${this.dir}" was already started`);
    }
    await this.#startAll();
  }

  async #startAll(): Promise<void> {
    const deadlineMs = Date.now() + this.#options.readyTimeoutMs;
    this.#spawn(1);
    await this.#waitFor(deadlineMs, (status) => status.role === "leader", "a leader");
    for (let i = 2; i <= this.#options.size; i++) this.#spawn(i);
    const want = this.#options.size;
    await this.#waitFor(
      deadlineMs,
      (status) => status.role === "leader" && voterCount(status) >= want,
      `node n1 to lead ${want} voters`,
    );
  }

  #spawn(index: number): void {
    const id = `n${index}`;
    const httpAddr = `127.0.0.1:${this.#options.httpPortFirst + index - 1}`;
    const args = [
      "run",
      ...nodeRunOptions(),
      this.#options.mainPath,
      "serve",
      "--id",
      id,
      "--raft-addr",
      `127.0.0.1:${this.#options.raftPortFirst + index - 1}`,
      "--http-addr",
      httpAddr,
      "--data-dir",
      `${this.dir}/${id}`,
      ...(index === 1 ? ["--bootstrap"] : ["--join", this.leaderUrl]),
      ...this.#options.nodeArgs,
      ...(this.#options.secure?.nodeArgs ?? []),
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: repoDir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderrPath = `${this.dir}/${id}.stderr.log`;
    const node: NodeProcess = {
      id,
      httpUrl: `${this.#options.secure === null ? "http" : "https"}://${httpAddr}`,
      child,
      exited: false,
      exitCode: -1,
      logsDone: Promise.allSettled([
        copyToFile(child.stdout, `${this.dir}/${id}.stdout.log`),
        copyToFile(child.stderr, stderrPath),
      ]),
      stderrPath,
    };
    child.status.then((status) => {
      node.exited = true;
      node.exitCode = status.code;
    });
    this.#nodes[index - 1] = node;
  }

  /**
   * Restarts node `index` (1-based): stops it (SIGTERM, then SIGKILL after a grace period)
   * and starts it again on its data directory, or, with `wipe`, on an empty one that joins
   * through node 1 (the caller removes it from the cluster first). Resolves with the new
   * process's id and the time it was started (`performance.now()`).
   */
  async restartNode(index: number, wipe = false): Promise<{ pid: number; startedMs: number }> {
    const node = this.#nodes[index - 1];
    if (node === undefined || index === 1) {
      throw new RangeError(`Cannot restart node "${index}": only a started follower restarts`);
    }
    await stopNode(node);
    if (wipe) await Deno.remove(`${this.dir}/${node.id}`, { recursive: true });
    const startedMs = performance.now();
    this.#spawn(index);
    return { pid: this.#nodes[index - 1]!.child.pid, startedMs };
  }

  async #waitFor(
    deadlineMs: number,
    ready: (status: StatusView) => boolean,
    what: string,
  ): Promise<void> {
    let last: StatusView | null = null;
    while (Date.now() < deadlineMs) {
      const dead = this.#nodes.find((node) => node.exited);
      if (dead !== undefined) {
        throw new Error(
          `Node "${dead.id}" exited with code ${dead.exitCode} while the cluster started\n` +
            await this.logTails(),
        );
      }
      last = await readStatus(this.leaderUrl, this.#fetch);
      if (last !== null && ready(last)) return;
      await delay(pollIntervalMs);
    }
    const seen = last === null ? "no answer from /status" : `last status ${JSON.stringify(last)}`;
    throw new Error(
      `Cluster not ready after ${this.#options.readyTimeoutMs} ms waiting for ${what} ` +
        `(${seen})\n${await this.logTails()}`,
    );
  }

  /** The last stderr lines of every node, for error messages. */
  async logTails(): Promise<string> {
    const parts: string[] = [];
    for (const node of this.#nodes) {
      let text = "";
      try {
        text = await Deno.readTextFile(node.stderrPath);
      } catch {
        text = "(no log)";
      }
      const lines = text.trimEnd().split("\n").slice(-logTailLines);
      parts.push(`--- ${node.id} stderr (last ${lines.length} lines):\n${lines.join("\n")}`);
    }
    return parts.join("\n");
  }

  /**
   * Stops every node (SIGTERM, then SIGKILL after a grace period) and removes the folder.
   * Every call returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => stopNode(node)));
    if (!this.#options.keepDir) await Deno.remove(this.dir, { recursive: true });
  }
}

function signal(node: NodeProcess, name: Deno.Signal): void {
  if (node.exited) return;
  try {
    node.child.kill(name);
  } catch {
    // The process exited between the check and the signal.
  }
}

async function stopNode(node: NodeProcess): Promise<void> {
  signal(node, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), stopGraceMs);
  });
  const outcome = await Promise.race([node.child.status, graceOver]);
  clearTimeout(timer);
  if (outcome === "late") {
    signal(node, "SIGKILL");
    await node.child.status;
  }
  await node.logsDone;
}
