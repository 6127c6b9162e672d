/**
 * The faults the lab can inflict, one function each: cut links between hosts
 * (`iptables` in the runner's FORWARD chain, through which all node-to-node
 * traffic is routed), fill a host's tmpfs disk, and make a process' syncs
 * fail with `EIO` (`strace` fault injection on `fdatasync` and `fsync`, the
 * syscalls `syncData()` and `sync()` make). Every fault has its heal.
 *
 * @module
 */

import { DISK_BYTES, HTTP_PORT, type LabHost, RAFT_PORT, sh } from "./lab.ts";

/** A cut between two hosts; `oneWay` cuts only what `from` sends to `to`. */
export interface Cut {
  from: LabHost;
  to: LabHost;
  oneWay: boolean;
}

/** Bytes written per step while filling a disk. */
const FILL_CHUNK_BYTES = 1024 * 1024;
/** The file that fills a disk, beside the node's data directory. */
const FILLER = "filler";

/**
 * Installs `cuts`. A two-way cut drops every packet between the hosts. A
 * one-way cut from A to B drops the connections A opens to B's raft and
 * HTTP ports (both directions of them, since TCP needs its acknowledgements),
 * so A's messages never reach B while B's reach A: peer links are one
 * outbound connection per direction.
 */
export async function cutLinks(cuts: readonly Cut[]): Promise<void> {
  for (const { from, to, oneWay } of cuts) {
    if (!oneWay) {
      await drop(["-s", from.ip, "-d", to.ip]);
      await drop(["-s", to.ip, "-d", from.ip]);
      continue;
    }
    for (const port of [RAFT_PORT, HTTP_PORT]) {
      await drop(["-s", from.ip, "-d", to.ip, "-p", "tcp", "--dport", String(port)]);
      await drop(["-s", to.ip, "-d", from.ip, "-p", "tcp", "--sport", String(port)]);
    }
  }
}

function drop(match: string[]): Promise<unknown> {
  return sh(["iptables", "-A", "FORWARD", ...match, "-j", "DROP"]);
}

/** Removes every cut. */
export async function healLinks(): Promise<void> {
  await sh(["iptables", "-F", "FORWARD"]);
}

/** The rules in force, one per line, for reports. */
export async function linkRules(): Promise<string> {
  return (await sh(["iptables", "-S", "FORWARD"])).stdout.trim();
}

/**
 * Fills `host`'s disk with a file until the file system refuses a write
 * (`ENOSPC`); answers the bytes written. Bounded by the disk's size.
 */
export async function fillDisk(host: LabHost): Promise<number> {
  const file = await Deno.open(`${host.disk}/${FILLER}`, { write: true, create: true });
  const chunk = new Uint8Array(FILL_CHUNK_BYTES).fill(0x5a);
  let written = 0;
  try {
    while (written < DISK_BYTES) {
      const count = await file.write(chunk);
      if (count === 0) break;
      written += count;
    }
  } catch (error) {
    if (!String(error).includes("No space left")) throw error;
  } finally {
    file.close();
  }
  return written;
}

/** Removes what {@link fillDisk} wrote. */
export async function freeDisk(host: LabHost): Promise<void> {
  await Deno.remove(`${host.disk}/${FILLER}`).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** A running sync fault; `stop()` detaches it (a no-op once the process is gone). */
export interface SyncFault {
  stop(): Promise<void>;
}

/**
 * From now on every `fdatasync` and `fsync` of process `pid` (all its
 * threads) fails with `EIO`, as a dying disk's would, until `stop()`.
 */
export function failSyncs(pid: number): SyncFault {
  const tracer = new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-p",
      String(pid),
      "-o",
      "/dev/null",
      "-e",
      "trace=fdatasync,fsync",
      "-e",
      "inject=fdatasync:error=EIO",
      "-e",
      "inject=fsync:error=EIO",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async stop() {
      try {
        tracer.kill("SIGTERM");
      } catch {
        // The traced process is gone and strace with it.
      }
      await tracer.status;
    },
  };
}
