import { assertMatch, assertTrue } from "../assert.ts";
import { runSimulation, SimFailure, type SimOptions } from "./simulation.ts";

const STEPS = 400;

/**
 * The first seed in 1..`seedsMax` whose run fails with `breaks`, or 0 when
 * none does; with `property`, the failure must name it (a break caught by
 * another check first would show nothing about the property it breaks).
 */
async function firstFailure(
  breaks: NonNullable<SimOptions["breaks"]>,
  seedsMax: number,
  property?: RegExp,
): Promise<number> {
  for (let seed = 1; seed <= seedsMax; seed++) {
    try {
      await runSimulation({ seed, steps: STEPS, breaks });
    } catch (error) {
      if (!(error instanceof SimFailure)) throw error;
      if (property !== undefined) assertMatch(error.message, property);
      return seed;
    }
  }
  return 0;
}

// Each deliberate bug must make the simulator fail within a stated number of
// seeds: a simulator that passes with these switched on checks nothing.

Deno.test("teeth: a storage that acknowledges a write before it is durable fails within 5 seeds", async () => {
  const seed = await firstFailure({ ackBeforeSync: true }, 5, /Durability: /);
  assertTrue(seed > 0, "the simulator did not notice acknowledged writes lost in crashes");
});

Deno.test("teeth: a driver that sends durable replies before its sync fails within 5 seeds", async () => {
  const seed = await firstFailure({ plan: { sendBeforeSave: true } }, 5, /Durability: /);
  assertTrue(seed > 0, "the simulator did not notice votes and acknowledgements sent early");
});

Deno.test("teeth: a snapshot labelled past the state it holds fails within 5 seeds", async () => {
  const seed = await firstFailure({ snapshotLabelAhead: true }, 5);
  assertTrue(seed > 0, "the simulator did not notice a mislabelled snapshot");
});

Deno.test("teeth: consistent reads served from local state fail within 10 seeds", async () => {
  const seed = await firstFailure({ localConsistentReads: true }, 10);
  assertTrue(seed > 0, "the simulator did not notice reads that skip ReadIndex");
});

Deno.test("teeth: a CAS decided by a read before proposing fails within 5 seeds", async () => {
  const seed = await firstFailure(
    { casBeforePropose: true },
    5,
    /CAS: the (put|delete) succeeded|the condition was not decided when an entry applied/,
  );
  assertTrue(seed > 0, "the simulator did not notice conditions decided before the entry applied");
});

Deno.test("teeth: a watch that resumes one index late fails within 5 seeds", async () => {
  const seed = await firstFailure(
    { watchSkipsIndex: true },
    5,
    /Watch: (watcher .* missing|watcher .*but the log says|it claims index \d+, beyond)/s,
  );
  assertTrue(seed > 0, "the simulator did not notice a change lost across a resume");
});

Deno.test("teeth: a new leader that expires leases at once fails within 5 seeds", async () => {
  const seed = await firstFailure(
    { leasesExpireOnElection: true },
    5,
    /Lease: lease \d+ .*revoked by expiry/,
  );
  assertTrue(seed > 0, "the simulator did not notice leases cut short by a change of leader");
});

Deno.test("teeth: votes granted to a candidate with a stale log fail within 5 seeds", async () => {
  const seed = await firstFailure(
    { core: { staleLogVotes: true } },
    5,
    /Leader completeness|State machine safety|committed entry/,
  );
  assertTrue(seed > 0, "the simulator did not notice a leader elected without committed entries");
});

Deno.test("teeth: ReadIndex served before the leader's no-op commits fails within 40 seeds", async () => {
  const seed = await firstFailure(
    { core: { readIndexBeforeNoop: true } },
    40,
    /outside its window|Linearizability on key|which the key never held/,
  );
  assertTrue(seed > 0, "the simulator did not notice reads at a commit index a new leader lacks");
});
