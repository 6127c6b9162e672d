import { assertEquals, assertTrue } from "../assert.ts";
import {
  expectConsistent,
  forEachBounded,
  getKey,
  putRetrying,
  waitFor,
  withCluster,
} from "./harness.ts";

/** Concurrent writers, each with its own keys. */
const WRITERS = 3;
/** Writes per writer at most, so the test stays bounded whatever happens. */
const WRITES_PER_WRITER_MAX = 150;
/** Acknowledged writes wanted before the kill, and again after the new leader is known. */
const WRITES_PER_PHASE = 30;

Deno.test("kill -9 of the leader under writes: new leader, no acknowledged write lost, catch-up", async () => {
  await withCluster({}, async (cluster) => {
    const first = await cluster.form(3);
    const addrs = cluster.nodes.map((n) => n.httpAddr);
    const acked = new Map<string, string>();
    let writing = true;
    const writer = async (w: number) => {
      for (let i = 0; i < WRITES_PER_WRITER_MAX && writing; i++) {
        const key = `w${w}-${i}`;
        const value = `value ${w}/${i}`;
        if (await putRetrying(addrs, key, value)) acked.set(key, value);
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    try {
      await waitFor(() => acked.size >= WRITES_PER_PHASE, "writes before the kill");
      const killed = await cluster.kill9(first);
      assertEquals(killed.signal, "SIGKILL");
      const ackedAtKill = acked.size;

      const survivors = cluster.running();
      assertEquals(survivors.length, 2);
      const next = await cluster.leader({ among: survivors });
      assertTrue(next !== first, "the killed node cannot be leader");

      await waitFor(
        () => acked.size >= ackedAtKill + WRITES_PER_PHASE,
        "writes acknowledged after the failover",
      );
    } finally {
      writing = false;
      await Promise.all(writers);
    }

    await expectConsistent(cluster.running(), acked);

    cluster.restart(first);
    const leader = await cluster.leader({ voters: 3 });
    const commit = (await cluster.status(leader))!.commitIndex;
    // Everything acknowledged was committed at or below `commit`.
    await waitFor(
      async () => ((await cluster.status(first))?.appliedIndex ?? 0) >= commit,
      `${first.id} to apply up to ${commit}`,
    );
    const lost: string[] = [];
    await forEachBounded([...acked], 8, async ([key, value]) => {
      const answer = await getKey(first.httpAddr, key, "stale");
      if (answer.status !== 200 || (answer.json() as { value: string }).value !== value) {
        lost.push(`${key}: ${answer.status} ${answer.text}`);
      }
    });
    assertEquals(lost, [], "the restarted node misses acknowledged writes");
    assertTrue(
      first.lines.some((line) => line.includes(" info serving ")),
      "the restarted node serves again",
    );
  });
});
