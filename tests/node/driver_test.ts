import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { NotLeaderError, UnavailableError } from "../../src/api.ts";
import { encodePut } from "../../src/kv/command.ts";
import { newMessage } from "../../src/raft/message.ts";
import { outcome, TestNode } from "./harness.ts";

Deno.test("node: a write on a leader deposed before it commits fails, saying it may still apply", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    assertEquals(t.node.driver.core.state().role, "leader");
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertTrue(!write.done, "no follower acknowledged: the write waits");
    await t.receive("hb", "n2", term + 1, { commit: 0 });
    await t.sync();
    assertTrue(write.done, "the write is answered at once");
    assertTrue(write.error instanceof UnavailableError, String(write.error));
    assertMatch((write.error as Error).message, /Leadership changed before the write committed/);
    assertEquals((write.error as UnavailableError).indeterminate, true);
  } finally {
    await t.stop();
  }
});

Deno.test("node: past the in-flight bound a write is refused at once and may be retried", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"], { proposalsInflightMax: 2 });
  try {
    await t.elect(["n2", "n3"]);
    const first = outcome(t.node.put("a", "1"));
    const second = outcome(t.node.put("b", "2"));
    const third = outcome(t.node.put("c", "3"));
    await t.sync();
    assertTrue(!first.done && !second.done, "two writes wait for a quorum");
    assertTrue(third.error instanceof UnavailableError, String(third.error));
    assertMatch((third.error as Error).message, /Too many writes in flight/);
    assertEquals((third.error as UnavailableError).indeterminate, false);
  } finally {
    await t.stop();
  }
});

Deno.test("node: writes commit while a large snapshot is still being encoded", async () => {
  // 100,000 keys in the log: applying them starts a snapshot, encoded in
  // pieces with pauses between them that only the clock ends.
  const prelude = Array.from({ length: 100_000 }, (_, i) => ({
    index: i + 1,
    term: 1,
    type: "normal" as const,
    data: encodePut(`k${i}`, "v"),
  }));
  const t = await TestNode.start(
    ["n1"],
    { snapshotEntries: 4, snapshotCatchUpEntries: 2 },
    { prelude },
  );
  try {
    await t.sync();
    assertEquals(t.node.driver.machine.size, 100_000);
    assertEquals(t.node.driver.core.snapshot(), null, "the snapshot is being encoded");
    await t.tick(2);
    await t.sync();
    assertEquals(t.node.driver.core.state().role, "leader");
    for (let i = 0; i < 20; i++) {
      const write = outcome(t.node.put(`w${i}`, "x"));
      await t.sync();
      assertTrue(write.done && write.error === undefined, `write ${i}: ${write.error}`);
    }
    assertEquals(t.node.driver.core.snapshot(), null, "writes did not wait for the snapshot");
    for (let i = 0; i < 40 && t.node.driver.core.snapshot() === null; i++) {
      await t.tick();
      await t.sync();
    }
    assertTrue((t.node.driver.core.snapshot()?.index ?? 0) >= 100_000, "the snapshot was taken");
  } finally {
    await t.stop();
  }
});

Deno.test("node: stop waits for the sync in progress, and what it wrote is durable", async () => {
  const t = await TestNode.start(["n1"]);
  try {
    await t.tick(2);
    await t.sync();
    assertEquals(t.node.driver.core.state().role, "leader");
    const write = outcome(t.node.put("k", "v"));
    await t.settle();
    assertEquals(t.storage.pendingCount, 1, "the write's sync is in progress");
    const stopped = outcome(t.node.stop());
    await t.settle();
    assertTrue(!stopped.done, "stop waits for the sync");
    t.storage.completeNext();
    await t.settle();
    await t.sync();
    assertTrue(stopped.done, "stop finished once the sync did");
    assertTrue(write.done, "the write was answered");
    const saved = t.storage.recovered().entries.at(-1)!;
    assertEquals(new TextDecoder().decode(saved.data).includes("k"), true);
  } finally {
    await t.stop();
  }
});

Deno.test("node: a lone voter leads at once, with no heartbeat to wait for", async () => {
  const t = await TestNode.start(["n1"]);
  try {
    await t.sync();
    assertEquals(t.node.driver.core.state().role, "leader");
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertTrue(write.done && write.error === undefined, String(write.error));
  } finally {
    await t.stop();
  }
});

Deno.test("node: a write that finds no leader waits for one, then goes ahead", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const early = outcome(t.node.put("k", "v"));
    // A second command encoded while the first waits: each keeps its own bytes.
    const second = outcome(t.node.put("k2", "other value"));
    const read = outcome(t.node.get("k", "consistent"));
    await t.sync();
    assertTrue(!early.done && !read.done, "both wait for a leader instead of failing");
    const term = await t.elect(["n2", "n3"]);
    // n2 acknowledges whatever it is sent: the no-op first, then the write.
    for (let i = 0; i < 4 && !(early.done && second.done); i++) {
      await t.sync();
      const app = t.sent.filter((m) => m.type === "app" && m.to === "n2").at(-1)!;
      await t.receive("appResp", "n2", term, { index: app.index + app.entries.length });
    }
    await t.sync();
    assertTrue(early.done && early.error === undefined, String(early.error));
    assertTrue(second.done && second.error === undefined, String(second.error));
    assertEquals(t.node.driver.machine.get("k")?.value, "v");
    assertEquals(t.node.driver.machine.get("k2")?.value, "other value");
  } finally {
    await t.stop();
  }
});

Deno.test("node: with no leader within the request timeout, a write fails and may be retried", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"], { requestTimeoutMs: 50 });
  try {
    const write = outcome(t.node.put("k", "v"));
    await t.tick(8);
    assertTrue(write.error instanceof NotLeaderError, String(write.error));
    assertMatch((write.error as Error).message, /No leader is known/);
  } finally {
    await t.stop();
  }
});

Deno.test("node: a leader resumed after a long pause steps down at once and answers its writes", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    await t.receive("hbResp", "n2", term, { seq: 1 });
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertTrue(!write.done, "the write waits for a follower");
    // SIGSTOP for two seconds (twenty election timeouts), then SIGCONT: time jumped.
    t.clock.advanceTo(t.clock.nowMs + 2000);
    await t.sync();
    assertTrue(t.node.driver.core.state().role !== "leader", "CheckQuorum on resume");
    assertTrue(write.error instanceof UnavailableError, String(write.error));
    assertEquals((write.error as UnavailableError).indeterminate, true);
  } finally {
    await t.stop();
  }
});

Deno.test("node: a write that meets a leader just deposed waits for the next leader, then is redirected", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    await t.sync();
    // In one turn: a reply of a newer term deposes n1 (no leader known yet), then the write.
    t.transport.handlers.onMessage({
      ...newMessage("appResp", "n2", "n1", term + 1),
      reject: true,
    });
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    assertEquals(t.node.driver.core.state().lead, "", "deposed, with no leader known");
    assertTrue(!write.done, `the write waits for a leader instead of failing: ${write.error}`);
    await t.receive("hb", "n2", term + 1, { commit: 0 });
    await t.sync();
    assertTrue(write.error instanceof NotLeaderError, String(write.error));
    assertEquals((write.error as NotLeaderError).leaderHttpAddr, "sim-n2:8001");
  } finally {
    await t.stop();
  }
});

Deno.test("node: a leader that loses its quorum steps down on that tick and answers its writes", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    await t.receive("hbResp", "n2", term, { seq: 1 });
    const write = outcome(t.node.put("k", "v"));
    await t.sync();
    // No follower answers any more: CheckQuorum fails within two election timeouts.
    for (let i = 0; i < 25 && t.node.driver.core.state().role === "leader"; i++) await t.tick();
    assertEquals(t.node.driver.core.state().role, "follower", "stepped down, not campaigning yet");
    assertTrue(write.error instanceof UnavailableError, String(write.error));
    assertEquals((write.error as UnavailableError).indeterminate, true);
  } finally {
    await t.stop();
  }
});

/** n1 follows n2 in term 2; a consistent read is asked of n2. Answers the read and its id. */
async function readThroughLeader(t: TestNode) {
  await t.receive("hb", "n2", 2, { commit: 0 });
  await t.sync();
  const read = outcome(t.node.get("k", "consistent"));
  await t.sync();
  const asked = t.sent.filter((m) => m.type === "readIndex").at(-1);
  assertTrue(asked !== undefined && asked.to === "n2", "the read was asked of the leader");
  return { read, id: asked.ctx };
}

Deno.test("node: a read index answered to an earlier start of the node does not release a read", async () => {
  const before = await TestNode.start(["n1", "n2", "n3"], {}, { seed: 1 });
  const { id: earlier } = await readThroughLeader(before);
  await before.stop();
  // Restarted, the node asks again; the leader's answer to the read it asked before arrives first.
  const t = await TestNode.start(["n1", "n2", "n3"], {}, { seed: 2 });
  try {
    const { read, id } = await readThroughLeader(t);
    const applied = t.node.driver.machine.appliedIndex;
    await t.receive("readIndexResp", "n2", 2, { ctx: earlier, index: applied });
    await t.sync();
    assertTrue(!read.done, "an answer to another start's read must not release this one");
    await t.receive("readIndexResp", "n2", 2, { ctx: id, index: applied });
    await t.sync();
    assertEquals(read.value, null);
  } finally {
    await t.stop();
  }
});

/** Elects n1 and lets both followers acknowledge its no-op, so it replicates at once. */
async function replicatingLeader(t: TestNode): Promise<number> {
  const term = await t.elect(["n2", "n3"]);
  const noOp = t.sent.findLast((m) => m.type === "app" && m.to === "n2")!.entries.at(-1)!.index;
  await t.receive("appResp", "n2", term, { index: noOp });
  await t.receive("appResp", "n3", term, { index: noOp });
  await t.sync();
  assertEquals(t.node.driver.machine.appliedIndex, noOp);
  return term;
}

Deno.test("node: §10.2.1 two followers' acknowledgements commit a write while the leader's own sync runs", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await replicatingLeader(t);
    const write = outcome(t.node.put("k", "v"));
    await t.settle();
    const append = t.sent.findLast((m) => m.type === "app" && m.to === "n2")!;
    const index = append.entries.at(-1)!.index;
    assertEquals(t.storage.pendingCount, 1, "the leader's save of the write is running");
    await t.receive("appResp", "n2", term, { index });
    assertTrue(!write.done, "one follower and a leader not yet synced are no quorum");
    await t.receive("appResp", "n3", term, { index });
    assertTrue(write.done && write.error === undefined, `the write commits: ${write.error}`);
    assertEquals(t.storage.pendingCount, 1, "before the leader's own sync finished");
    assertEquals(t.node.driver.machine.appliedIndex, index);
    assertEquals(t.node.driver.core.snapshot(), null);
    await t.sync();
    assertEquals(t.node.driver.core.log.stableIndex, index);
  } finally {
    await t.stop();
  }
});

Deno.test("node: §10.2.1 the leader counts itself for a quorum only once its sync is done", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await replicatingLeader(t);
    const write = outcome(t.node.put("k", "v"));
    await t.settle();
    const index = t.sent.findLast((m) => m.type === "app" && m.to === "n2")!.entries.at(-1)!.index;
    await t.receive("appResp", "n2", term, { index });
    assertTrue(!write.done, "the leader's entry is not durable yet");
    await t.sync();
    assertTrue(write.done && write.error === undefined, `n2 and the synced leader: ${write.error}`);
  } finally {
    await t.stop();
  }
});

Deno.test("node: §10.2.1 during the leader's sync only acknowledgements of its term are stepped", async () => {
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    const term = await replicatingLeader(t);
    outcome(t.node.put("k", "v"));
    await t.settle();
    assertEquals(t.storage.pendingCount, 1, "the leader's save of the write is running");
    await t.receive("hb", "n3", term + 1, { commit: 0 });
    assertEquals(t.node.driver.core.state().term, term, "a higher term waits for the next turn");
    assertEquals(t.node.driver.core.state().role, "leader");
    await t.sync();
    assertEquals(t.node.driver.core.state().term, term + 1, "then it is stepped");
    assertEquals(t.node.driver.core.state().lead, "n3");
  } finally {
    await t.stop();
  }
});
