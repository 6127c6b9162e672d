import { assertEquals, assertTrue } from "../assert.ts";
import { NotLeaderError, UnavailableError } from "../../src/api.ts";
import { TAG } from "../../src/kv/command_types.ts";
import { outcome, TestNode } from "./harness.ts";

/** The shortest TTL the test node accepts: three election timeouts of 100 ms. */
const TTL_MS = 300;

/** n2 acknowledges whatever n1 sent it last, until `done` holds. */
async function acknowledge(t: TestNode, term: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < 8 && !done(); i++) {
    await t.sync();
    const app = t.sent.filter((m) => m.type === "app" && m.to === "n2").at(-1);
    if (app !== undefined) {
      await t.receive("appResp", "n2", term, { index: app.index + app.entries.length });
    }
  }
  await t.sync();
}

/** n2 answers the last heartbeat round n1 sent it. */
async function answerHeartbeat(t: TestNode, term: number): Promise<void> {
  const hb = t.sent.filter((m) => m.type === "hb" && m.to === "n2").at(-1)!;
  await t.receive("hbResp", "n2", term, { seq: hb.seq });
  await t.sync();
}

/** n1 leads a cluster of three with a committed lease; answers the term and the lease id. */
async function leaderWithLease(t: TestNode): Promise<{ term: number; id: number }> {
  const term = await t.elect(["n2", "n3"]);
  const grant = outcome(t.node.leaseGrant(TTL_MS));
  await acknowledge(t, term, () => grant.done);
  assertTrue(grant.value !== undefined, String(grant.error));
  return { term, id: grant.value.id };
}

Deno.test("node: a keep-alive waits until a quorum confirms the leader once its lease lapsed", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const { term, id } = await leaderWithLease(t);
    // Eight ticks without an answer: the leader lease (8 of the 10 ticks of an
    // election timeout) has lapsed, though CheckQuorum has not deposed n1 yet.
    await t.tick(1);
    await answerHeartbeat(t, term);
    await t.tick(9);
    assertEquals(t.node.driver.core.state().role, "leader");
    assertTrue(t.node.driver.leaseRead() < 0, "the lease lapsed");
    const kept = outcome(t.node.leaseKeepAlive(id));
    await t.sync();
    assertTrue(!kept.done, "a leader that may be deposed does not promise a TTL");
    await t.tick(1);
    await answerHeartbeat(t, term);
    assertEquals(kept.value, { id, ttlMs: TTL_MS });
  } finally {
    await t.stop();
  }
});

Deno.test("node: a keep-alive on a leader that learns it was deposed is refused", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const { term, id } = await leaderWithLease(t);
    await t.tick(9);
    const kept = outcome(t.node.leaseKeepAlive(id));
    await t.sync();
    assertTrue(!kept.done, "the keep-alive waits for a heartbeat round");
    await t.receive("hb", "n2", term + 1, { commit: 0 });
    await t.sync();
    assertTrue(kept.done, "answered once n1 learned of the new term");
    const refused = kept.error instanceof NotLeaderError || kept.error instanceof UnavailableError;
    assertTrue(refused, String(kept.error ?? "acknowledged"));
  } finally {
    await t.stop();
  }
});

Deno.test("node: a lease the old term found expired gets its full TTL from the leader of the next", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const { term } = await leaderWithLease(t);
    const grantedAt = t.clock.nowMs;
    // n1 keeps its followers until shortly before the lease's deadline, then hears
    // nothing more: CheckQuorum deposes it in its core on a tick past the deadline,
    // and expiry runs on that tick, before the turn ends and the driver notes it.
    while (t.clock.nowMs < grantedAt + TTL_MS - 150) {
      await t.tick(1);
      await answerHeartbeat(t, term);
    }
    while (t.node.driver.core.state().role === "leader") await t.tick(1);
    const core = () => t.node.driver.core.state();
    while (core().role === "follower" && t.clock.nowMs < grantedAt + TTL_MS + 20) await t.tick(1);
    assertEquals(core().role, "follower", "the deadline passed before n1 campaigned");
    const next = await t.elect(["n2", "n3"]);
    assertEquals([core().role, core().term], ["leader", next]);
    const log = t.node.driver.core.log;
    const revocations = [];
    for (let index = log.offset + 1; index <= log.lastIndex(); index++) {
      const entry = log.entry(index);
      if (entry.term === next && entry.data[0] === TAG.leaseRevoke) revocations.push(index);
    }
    assertEquals(revocations, [], "the new term gives the lease a full TTL");
  } finally {
    await t.stop();
  }
});
