/**
 * The chaos lab: a private Linux sandbox where real rafter processes run as
 * if on separate hosts, and where the network and the disks can fail.
 *
 * The runner re-executes itself under `unshare --pid --fork --mount-proc
 * --net --mount`: it becomes the first process of new PID, mount and
 * network namespaces. Nothing it does touches the host's network or mounts,
 * and when it exits, however it exits, the kernel kills every process left
 * in its PID namespace and drops its namespaces and mounts.
 *
 * Inside, each node gets a network namespace of its own (held open by a
 * `sleep` process), joined to the runner's namespace by a veth pair: node k
 * is `10.77.k.2`, the runner's end `10.77.k.1`, and the runner routes
 * between nodes. Partitions are `iptables` rules in the runner's FORWARD
 * chain (see `faults.ts`); each node's data directory is a small tmpfs
 * mount, so a disk can really fill up.
 *
 * @module
 */

import type { NodePlacement } from "../cluster/harness.ts";
import { findTool, UNDER_CI } from "../tools.ts";

/** Set in the environment of a runner that already runs inside its lab. */
export const LAB_ENV = "RAFTER_CHAOS_LAB";
/** The raft port every node listens on, on its own address. */
export const RAFT_PORT = 7000;
/** The HTTP port every node listens on, on its own address. */
export const HTTP_PORT = 8000;
/** Size of each node's tmpfs data disk. */
export const DISK_BYTES = 128 * 1024 * 1024;
/** Most hosts a lab holds (one /24 subnet each). */
const HOSTS_MAX = 16;
/** How long a namespace holder process lives at most (the lab ends long before). */
const HOLDER_SECONDS = 86_400;
/** Polls while a new namespace appears. */
const NAMESPACE_POLLS_MAX = 200;
const NAMESPACE_POLL_MS = 10;
/** Tools the lab runs, each named by the Debian package that provides it. */
const TOOLS: Record<string, string> = {
  unshare: "util-linux",
  nsenter: "util-linux",
  ip: "iproute2",
  iptables: "iptables",
  strace: "strace",
};

/** The result of a command that ran to completion. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` and answers its output; throws with the error output when it fails. */
export async function sh(argv: string[], allowFailure = false): Promise<CommandResult> {
  const [program, ...args] = argv;
  const output = await new Deno.Command(program!, { args, stdin: "null" }).output();
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (result.code !== 0 && !allowFailure) {
    throw new Error(`Command "${argv.join(" ")}" failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result;
}

/** True in a runner that was started inside its lab. */
export function inLab(): boolean {
  return Deno.env.get(LAB_ENV) === "1";
}

/**
 * Why a lab cannot be built on this machine (not root, a tool missing,
 * namespaces refused), or null when it can.
 */
export async function labUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return `the lab needs Linux, not "${Deno.build.os}"`;
  if (Deno.uid() !== 0) return "the lab needs root (namespaces, iptables, mounts)";
  for (const [tool, pkg] of Object.entries(TOOLS)) {
    if (findTool(tool) === null) return `"${tool}" is missing (apt-get install -y ${pkg})`;
  }
  const probe = await sh(["unshare", "--pid", "--fork", "--net", "--mount", "true"], true);
  if (probe.code !== 0) return `namespaces are refused: ${probe.stderr.trim()}`;
  return null;
}

/**
 * Whether to skip a test that needs the lab, given why it cannot be built
 * (null when it can): only outside CI, and saying so. Under CI the test runs
 * and fails on what is missing.
 */
export function skipWithoutLab(unavailable: string | null): boolean {
  if (unavailable === null || UNDER_CI) return false;
  console.warn(`Skipping: the chaos lab cannot be built: ${unavailable} (CI installs the tools)`);
  return true;
}

/**
 * Runs `deno run -A script args` as the first process of a fresh lab and
 * answers its exit code. Its output goes to this process' output.
 */
export async function runInLab(script: string, args: string[]): Promise<number> {
  const command = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount-proc",
      "--net",
      "--mount",
      "--",
      Deno.execPath(),
      "run",
      "-A",
      script,
      ...args,
    ],
    env: { [LAB_ENV]: "1", NO_COLOR: "1" },
    stdin: "null",
  });
  return (await command.spawn().status).code;
}

/** One host of the lab: a network namespace, its address and its tmpfs disk. */
export interface LabHost {
  id: string;
  /** The host's address, `10.77.k.2`. */
  ip: string;
  /** Pid of the process holding the namespace open. */
  holderPid: number;
  /** Mount point of the host's disk; the node's data directory is `data` inside it. */
  disk: string;
}

/** The lab as seen from the runner inside it. */
export class Lab {
  readonly hosts = new Map<string, LabHost>();
  readonly #holders: Deno.ChildProcess[] = [];
  readonly #mounts: string[] = [];

  private constructor() {}

  /** Brings up loopback and routing in the runner's namespace; only inside a lab. */
  static async open(): Promise<Lab> {
    if (!inLab()) throw new Error(`Cannot open a lab outside one: "${LAB_ENV}" is not set`);
    await sh(["ip", "link", "set", "lo", "up"]);
    await Deno.writeTextFile("/proc/sys/net/ipv4/ip_forward", "1");
    await sh(["iptables", "-P", "FORWARD", "ACCEPT"]);
    await sh(["iptables", "-F", "FORWARD"]);
    return new Lab();
  }

  /** Adds host `id`: its namespace, veth link, address, route, and a tmpfs under `diskRoot`. */
  async addHost(id: string, diskRoot: string): Promise<LabHost> {
    if (this.hosts.has(id)) throw new Error(`Host "${id}" already exists`);
    const k = this.hosts.size + 1;
    if (k > HOSTS_MAX) throw new Error(`Cannot add host "${id}": the lab holds ${HOSTS_MAX}`);
    const holder = new Deno.Command("unshare", {
      args: ["--net", "--", "sleep", String(HOLDER_SECONDS)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#holders.push(holder);
    await waitForOwnNamespace(holder.pid);
    const pid = String(holder.pid);
    const inHost = ["nsenter", "-t", pid, "-n"];
    // A previous lab's link may outlive its namespace for a moment.
    await sh(["ip", "link", "del", `rc${k}`], true);
    await sh(["ip", "link", "add", `rc${k}`, "type", "veth", "peer", "name", "eth0", "netns", pid]);
    await sh(["ip", "addr", "add", `10.77.${k}.1/24`, "dev", `rc${k}`]);
    await sh(["ip", "link", "set", `rc${k}`, "up"]);
    await sh([...inHost, "ip", "link", "set", "lo", "up"]);
    await sh([...inHost, "ip", "addr", "add", `10.77.${k}.2/24`, "dev", "eth0"]);
    await sh([...inHost, "ip", "link", "set", "eth0", "up"]);
    await sh([...inHost, "ip", "route", "add", "default", "via", `10.77.${k}.1`]);
    const disk = `${diskRoot}/${id}`;
    await Deno.mkdir(disk, { recursive: true });
    await sh(["mount", "-t", "tmpfs", "-o", `size=${DISK_BYTES}`, "tmpfs", disk]);
    this.#mounts.push(disk);
    const host = { id, ip: `10.77.${k}.2`, holderPid: holder.pid, disk };
    this.hosts.set(id, host);
    return host;
  }

  /** The host `id`; throws when there is none. */
  host(id: string): LabHost {
    const host = this.hosts.get(id);
    if (host === undefined) throw new Error(`No lab host "${id}"`);
    return host;
  }

  /** Where the cluster harness runs node `id`: its host's address, disk and namespace. */
  placement(id: string): NodePlacement {
    const host = this.host(id);
    return {
      raftAddr: `${host.ip}:${RAFT_PORT}`,
      httpAddr: `${host.ip}:${HTTP_PORT}`,
      dataDir: `${host.disk}/data`,
      wrapper: ["nsenter", "-t", String(host.holderPid), "-n"],
    };
  }

  /** Drops every rule, link and disk and ends every holder; safe to call twice. */
  async close(): Promise<void> {
    await sh(["iptables", "-F", "FORWARD"], true);
    // Deleting this end deletes the pair at once; a namespace's end may linger.
    for (let k = 1; k <= this.hosts.size; k++) await sh(["ip", "link", "del", `rc${k}`], true);
    this.hosts.clear();
    for (const disk of this.#mounts.splice(0)) await sh(["umount", "-l", disk], true);
    for (const holder of this.#holders.splice(0)) {
      try {
        holder.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await holder.status;
    }
  }
}

/** Waits until `pid` runs in a network namespace other than this process' one. */
async function waitForOwnNamespace(pid: number): Promise<void> {
  const mine = await Deno.readLink("/proc/self/ns/net");
  for (let i = 0; i < NAMESPACE_POLLS_MAX; i++) {
    const theirs = await Deno.readLink(`/proc/${pid}/ns/net`).catch(() => mine);
    if (theirs !== mine) return;
    await new Promise((resolve) => setTimeout(resolve, NAMESPACE_POLL_MS));
  }
  throw new Error(`Process ${pid} did not enter a network namespace of its own`);
}
