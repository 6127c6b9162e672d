// The lock recipe on real processes: two `rafter lock` processes compete for one lock
// (create-only compare-and-swap on a lease); the holder is killed with SIGKILL, and the other
// takes the lock once the dead holder's lease expires, within its TTL and an election timeout.
import { assertEquals, assertTrue } from "../assert.ts";
import { endpointsOf, RafterProcess } from "./data_model.ts";
import { getConsistent, waitFor, withCluster } from "./harness.ts";

/** Slow elections, so the bound below leaves the machine a second of slack. */
const HEARTBEAT_MS = 100;
const ELECTION_MS = 1_000;
/** The lock's lease TTL: the floor, three election timeouts. */
const TTL_MS = 3 * ELECTION_MS;
const LOCK = "locks/nightly";

/** What a holder's command writes once it runs: the fencing index and its own pid. */
interface Holding {
  index: number;
  pid: number;
}

async function holding(path: string): Promise<Holding | null> {
  try {
    const [index, pid] = (await Deno.readTextFile(path)).trim().split(" ").map(Number);
    return { index: index!, pid: pid! };
  } catch {
    return null;
  }
}

function killPid(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

Deno.test("lock: two processes compete; the holder is killed with SIGKILL; the other takes over within TTL + an election timeout", async () => {
  await withCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS }, async (cluster) => {
    await cluster.form(3);
    const env = { RAFTER_ENDPOINTS: endpointsOf(cluster.running()) };
    const files = ["a", "b"].map((name) => `${cluster.dir}/holder-${name}`);
    // The command under the lock records who holds it, atomically, then becomes `sleep`.
    const lockers = files.map((file) =>
      new RafterProcess([
        "lock",
        LOCK,
        "--ttl-ms",
        String(TTL_MS),
        "--",
        "sh",
        "-c",
        `echo "$RAFTER_LOCK_INDEX $$" > ${file}.tmp && mv ${file}.tmp ${file} && exec sleep 60`,
      ], env)
    );
    const commandPids: number[] = [];
    try {
      const first = await waitFor(async () => {
        const seen = await Promise.all(files.map(holding));
        return seen.some((h) => h !== null) ? seen : null;
      }, "one of the lockers to take the lock");
      assertEquals(first.filter((h) => h !== null).length, 1, "exactly one holder at a time");
      const holderAt = first.findIndex((h) => h !== null);
      const held = first[holderAt]!;
      commandPids.push(held.pid);
      const record = await getConsistent(cluster.running()[0]!.httpAddr, LOCK);
      assertEquals((record.json() as { modIndex: number }).modIndex, held.index);

      const killedAtMs = performance.now();
      lockers[holderAt]!.child.kill("SIGKILL");
      killPid(held.pid);
      assertEquals((await lockers[holderAt]!.stop("SIGKILL")).status.signal, "SIGKILL");

      const other = files[1 - holderAt]!;
      const next = await waitFor(() => holding(other), "the other locker to take the lock");
      const tookMs = performance.now() - killedAtMs;
      commandPids.push(next.pid);
      assertTrue(next.index > held.index, "the fencing index grows with each holder");
      assertTrue(
        tookMs <= TTL_MS + ELECTION_MS,
        `taken over after ${
          tookMs.toFixed(0)
        } ms, more than TTL ${TTL_MS} + election ${ELECTION_MS}`,
      );

      // A holder stopped with SIGTERM stops its command and releases the lock at once.
      const done = await lockers[1 - holderAt]!.stop("SIGTERM");
      assertEquals(done.status.code, 130, done.stderr);
      const gone = await getConsistent(cluster.running()[0]!.httpAddr, LOCK);
      assertEquals(gone.status, 404, "released");
    } finally {
      for (const locker of lockers) await locker.stop("SIGKILL");
      for (const pid of commandPids) killPid(pid);
    }
  });
});
