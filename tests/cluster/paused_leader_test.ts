/**
 * A leader frozen with SIGSTOP while clients write to it: once it runs
 * again it learns it was replaced and answers every waiting write at once
 * (a redirect to the new leader, or a 503 that says the write may have
 * taken effect), never by letting the write run out its request timeout,
 * and never with "no leader" while a new one is about to be heard of.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { getKey, waitFor, withCluster } from "./harness.ts";

/** Far longer than the pause, so an answer by timeout cannot be mistaken for a step-down. */
const REQUEST_TIMEOUT_MS = 60_000;
const WRITES = 3;

interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

/** A write sent straight to `httpAddr`, redirects not followed, with a generous client limit. */
async function write(httpAddr: string, key: string): Promise<Outcome> {
  const response = await fetch(`http://${httpAddr}/key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key, value: "from a client of the paused leader" }),
    redirect: "manual",
    signal: AbortSignal.timeout(2 * REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

Deno.test({
  name: "a leader paused with SIGSTOP answers its waiting writes as soon as it resumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCluster({ requestTimeoutMs: REQUEST_TIMEOUT_MS }, async (cluster) => {
      const paused = await cluster.form(3);
      const others = cluster.nodes.filter((n) => n !== paused);
      cluster.pause(paused);
      // Sent while it is frozen: they wait in its socket until it runs again.
      const writes = Array.from(
        { length: WRITES },
        (_, i) => write(paused.httpAddr, `paused/${i}`).catch((e: Error) => e),
      );
      const next = await cluster.leader({ among: others });
      cluster.resume(paused);
      for (const outcome of await Promise.all(writes)) {
        if (outcome instanceof Error) throw outcome;
        const { status, body } = outcome;
        const what = JSON.stringify(outcome);
        if (status === 307) {
          assertTrue(body.indeterminate !== true, `a redirect is never indeterminate: ${what}`);
          continue;
        }
        // Proposed while it still believed it led, then lost with its leadership.
        assertEquals([status, body.indeterminate], [503, true], what);
        assertTrue(!/timed out/i.test(String(body.error)), `answered by its timeout: ${what}`);
      }
      // The node follows the new leader, and none of its frozen writes committed.
      await waitFor(async () => {
        const status = await cluster.status(paused);
        return status !== null && status.leaderId === next.id;
      }, "the resumed node following the new leader");
      for (let i = 0; i < WRITES; i++) {
        const answer = await getKey(next.httpAddr, `paused/${i}`, "consistent");
        assertEquals(answer.status, 404, answer.text);
      }
    });
  },
});
