/**
 * What the machine itself allows, measured beside the cluster: the disk's
 * sequential write rate (what `write-c16-64k`'s MB/s is read against), one
 * small append plus `fdatasync` (a WAL sync), and one loopback round trip.
 * One write of a single client waits for at least the local sync in parallel
 * with a round trip plus the follower's sync: that floor is what `write-c1`'s
 * latency is compared with.
 *
 * @module
 */

const MIB = 1024 * 1024;
/** Bytes the sequential write probe writes, then syncs once. */
const SEQUENTIAL_BYTES = 256 * MIB;
/** Bytes of each write of that probe. */
const SEQUENTIAL_PIECE_BYTES = MIB;
/** Appends (plus a sync each) of the sync probe. */
const SYNCS = 200;
/** Bytes of each of those appends: a one-entry WAL batch. */
const SYNC_APPEND_BYTES = 200;
/** Round trips of the loopback probe. */
const ROUND_TRIPS = 500;
/** Bytes each way of a round trip: a small Raft message. */
const ROUND_TRIP_BYTES = 64;

/** Latency percentiles of a probe, in milliseconds. */
export interface ProbeLatency {
  p50Ms: number;
  p99Ms: number;
}

/** What the machine allows. */
export interface MachineFloor {
  /** Sequential write rate of the disk under the cluster's folder, in MB/s (10^6 bytes). */
  sequentialMBps: number;
  /** One small append plus `fdatasync`. */
  sync: ProbeLatency;
  /** One small message to a loopback TCP peer and back. */
  roundTrip: ProbeLatency;
  /** A single client's write at least: a sync in parallel with a round trip plus a sync. */
  writeFloorP50Ms: number;
}

function latencyOf(samples: number[]): ProbeLatency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function writeAll(
  to: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await to.write(bytes.subarray(written));
  }
}

/** Writes {@link SEQUENTIAL_BYTES} into a new file under `dir` and syncs it: MB/s. */
async function sequentialMBps(dir: string): Promise<number> {
  const path = `${dir}/disk-probe.tmp`;
  const piece = new Uint8Array(SEQUENTIAL_PIECE_BYTES).fill(0x5a);
  try {
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    const startedMs = performance.now();
    for (let bytes = 0; bytes < SEQUENTIAL_BYTES; bytes += piece.length) {
      await writeAll(file, piece);
    }
    await file.syncData();
    return SEQUENTIAL_BYTES / 1e6 / ((performance.now() - startedMs) / 1000);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** Appends {@link SYNC_APPEND_BYTES} and syncs, {@link SYNCS} times: each one timed. */
async function syncLatency(dir: string): Promise<ProbeLatency> {
  const path = `${dir}/sync-probe.tmp`;
  const record = new Uint8Array(SYNC_APPEND_BYTES).fill(0x33);
  const samples: number[] = [];
  try {
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    for (let i = 0; i < SYNCS; i++) {
      const startedMs = performance.now();
      await writeAll(file, record);
      await file.syncData();
      samples.push(performance.now() - startedMs);
    }
  } finally {
    await Deno.remove(path).catch(() => {});
  }
  return latencyOf(samples);
}

async function readExactly(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let read = 0; read < bytes.length;) {
    const n = await conn.read(bytes.subarray(read));
    if (n === null) throw new Error("Loopback probe peer closed the connection");
    read += n;
  }
}

/** Sends a small message to an echoing loopback peer and waits for it, {@link ROUND_TRIPS} times. */
async function roundTripLatency(): Promise<ProbeLatency> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echo = (async () => {
    using conn = await listener.accept();
    conn.setNoDelay(true);
    const buffer = new Uint8Array(ROUND_TRIP_BYTES);
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await readExactly(conn, buffer);
      await writeAll(conn, buffer);
    }
  })();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  conn.setNoDelay(true);
  const message = new Uint8Array(ROUND_TRIP_BYTES).fill(7);
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const startedMs = performance.now();
    await writeAll(conn, message);
    await readExactly(conn, message);
    samples.push(performance.now() - startedMs);
  }
  await echo;
  return latencyOf(samples);
}

/**
 * Measures the disk under `dir` and the loopback network; takes a few
 * seconds and writes a few hundred megabytes (deleted again).
 *
 * @example
 * ```ts ignore
 * import { measureFloor } from "./disk_probe.ts";
 * const floor = await measureFloor(await Deno.makeTempDir());
 * console.log(floor.sequentialMBps, floor.writeFloorP50Ms);
 * ```
 */
export async function measureFloor(dir: string): Promise<MachineFloor> {
  const sequential = await sequentialMBps(dir);
  const sync = await syncLatency(dir);
  const roundTrip = await roundTripLatency();
  return {
    sequentialMBps: sequential,
    sync,
    roundTrip,
    writeFloorP50Ms: Math.max(sync.p50Ms, roundTrip.p50Ms + sync.p50Ms),
  };
}
