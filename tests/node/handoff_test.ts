// Handing leadership over, on one node over simulated ports: to the most caught-up voter, the
// wait for the new leader, writes refused (and safe to retry) meanwhile, and the bound.
import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { NotLeaderError, RejectedError, UnavailableError } from "../../src/api.ts";
import { outcome, TestNode } from "./harness.ts";

Deno.test("node: a hand-off goes to the most caught-up voter and resolves once it leads", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    const last = t.node.driver.core.log.lastIndex();
    // n3 has the whole log, n2 lags one entry behind.
    await t.receive("appResp", "n3", term, { index: last });
    await t.receive("appResp", "n2", term, { index: last - 1 });
    await t.sync();
    const sentBefore = t.sent.length;
    const moved = outcome(t.node.handOffLeadership(""));
    await t.sync();
    const timeoutNow = t.sent.slice(sentBefore).filter((m) => m.type === "timeoutNow");
    assertEquals(timeoutNow.map((m) => m.to), ["n3"]);
    // While the transfer runs a write is refused, and it certainly did not happen.
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertTrue(write.error instanceof UnavailableError, String(write.error));
    assertEquals((write.error as UnavailableError).indeterminate, false);
    assertTrue(!moved.done, "n3 has not taken over yet");
    // n3 wins its election and tells n1.
    await t.receive("app", "n3", term + 1, { index: last, logTerm: term, commit: last });
    await t.tick();
    assertEquals(moved.value, { leaderId: "n3", term: term + 1 });
    const after = outcome(t.node.put("k", "v"));
    await t.settle();
    assertTrue(after.error instanceof NotLeaderError, "writes now go to n3");
  } finally {
    await t.stop();
  }
});

Deno.test("node: a hand-off nobody takes up fails within an election timeout; this node still leads", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    const moved = outcome(t.node.handOffLeadership("n2"));
    await t.tick(9);
    assertTrue(!moved.done, "the wait lasts an election timeout (10 ticks)");
    await t.tick(2);
    assertTrue(moved.error instanceof UnavailableError, String(moved.error));
    assertEquals((moved.error as UnavailableError).indeterminate, false);
    assertMatch((moved.error as Error).message, /did not move to "n2" within 100 ms/);
    const { role, lead } = t.node.driver.core.state();
    assertEquals([role, lead, t.node.driver.core.state().term], ["leader", "n1", term]);
    // The core abandoned the transfer: writes are taken again.
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertTrue(!write.done, "the write waits for a quorum, no longer refused");
  } finally {
    await t.stop();
  }
});

Deno.test("node: a hand-off off the leader, to a stranger or to itself", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const follower = outcome(t.node.handOffLeadership(""));
    await t.settle();
    assertTrue(follower.error instanceof NotLeaderError, String(follower.error));
    const term = await t.elect(["n2", "n3"]);
    const stranger = outcome(t.node.handOffLeadership("n9"));
    await t.settle();
    assertTrue(stranger.error instanceof RejectedError, String(stranger.error));
    assertMatch(
      String(stranger.error),
      /Cannot transfer leadership to "n9": Node id "n9" is not a voter/,
    );
    const self = outcome(t.node.handOffLeadership("n1"));
    await t.settle();
    assertEquals(self.value, { leaderId: "n1", term });
  } finally {
    await t.stop();
  }
});

Deno.test("node: a lone voter has nobody to hand over to", async () => {
  const t = await TestNode.start(["n1"]);
  try {
    await t.tick(2);
    await t.sync();
    assertEquals(t.node.driver.core.state().role, "leader");
    const alone = outcome(t.node.handOffLeadership(""));
    await t.settle();
    assertTrue(alone.error instanceof RejectedError, String(alone.error));
    assertMatch(String(alone.error), /there is no other voter/);
  } finally {
    await t.stop();
  }
});
