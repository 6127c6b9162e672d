/**
 * `/readyz` on real processes: a follower cut off from its leader (the
 * leader and the other follower frozen) goes unready, while `?noleader`
 * keeps answering 200 because it has applied everything it knows
 * committed; once the others run again it is ready again. How long the
 * follower took to notice is printed, not asserted: the machine may be busy.
 */

import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { request, waitFor, withCluster } from "./harness.ts";

const ELECTION_MS = 300;

Deno.test({
  name: "readyz: a follower cut off from its leader goes unready, and ready again when it returns",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCluster({ heartbeatMs: 30, electionMs: ELECTION_MS }, async (cluster) => {
      const leader = await cluster.form(3);
      const [follower, other] = cluster.nodes.filter((n) => n !== leader);
      const readyz = (query = "") => request(`http://${follower!.httpAddr}/readyz${query}`);
      await waitFor(async () => (await readyz()).status === 200, "the follower ready");
      const ready = (await readyz()).json() as Record<string, unknown>;
      assertEquals(ready.ready, true);
      assertEquals(ready.leaderId, leader.id);

      cluster.pause(leader);
      cluster.pause(other!);
      const cutAt = performance.now();
      const unready = await waitFor(async () => {
        const answer = await readyz();
        return answer.status === 503 ? answer : null;
      }, "the follower unready");
      const noticedMs = performance.now() - cutAt;
      console.log(
        `follower unready ${noticedMs.toFixed(0)} ms after its leader went silent ` +
          `(election timeout ${ELECTION_MS} ms)`,
      );
      const body = unready.json() as Record<string, unknown>;
      assertEquals(body.ready, false);
      assertMatch(
        String(body.error),
        /not heard from within the election timeout of 300 ms|No leader is known/,
      );
      const noLeader = await readyz("?noleader");
      assertEquals(noLeader.status, 200, noLeader.text);
      const status = await cluster.status(follower!);
      const contactMs = status?.leaderContactMs;
      assertTrue(
        contactMs === -1 || (contactMs !== undefined && contactMs > ELECTION_MS),
        `leader contact ${contactMs} ms ago`,
      );

      cluster.resume(leader);
      cluster.resume(other!);
      await cluster.leader();
      await waitFor(async () => (await readyz()).status === 200, "the follower ready again");
    });
  },
});
