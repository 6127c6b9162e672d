/**
 * The production node's reports, through `NodeEvents`, in process: log
 * lines with the reasons of elections and step-downs, and counts made when
 * things happen (never by a scrape: no test here scrapes).
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { createLogger } from "../../src/log.ts";
import { NodeEvents } from "../../src/metrics/node_events.ts";
import { createMetrics, type RafterMetrics } from "../../src/metrics/rafter_metrics.ts";
import { TestNode } from "./harness.ts";
import type { NodeConfig } from "../../src/config.ts";

interface Watched {
  t: TestNode;
  metrics: RafterMetrics;
  /** `msg key=value ...` of every line since the last call, in order. */
  lines(): string[];
}

async function watched(voters: string[], config: Partial<NodeConfig> = {}): Promise<Watched> {
  const all: Record<string, unknown>[] = [];
  const logger = createLogger("info", {
    sink: (line) => all.push(JSON.parse(line)),
    format: "json",
  });
  const metrics = createMetrics();
  const events = new NodeEvents({ metrics, logger, nodeId: "n1", slowFsyncMs: 1000 });
  const t = await TestNode.start(voters, config, { events });
  let read = 0;
  const lines = () => {
    const fresh = all.slice(read).map(({ ts: _, level: __, msg, ...fields }) =>
      [msg, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)].join(" ")
    );
    read = all.length;
    return fresh;
  };
  return { t, metrics, lines };
}

Deno.test("node events: an election, a lost leadership and a new leader, counted as they happen", async () => {
  const { t, metrics, lines } = await watched(["n1", "n2", "n3"]);
  try {
    lines();
    const term = await t.elect(["n2", "n3"]);
    assertEquals(metrics.server.leaderChangesSeen.value, 1, "counted without a scrape");
    assertEquals(lines(), [
      `election started term=${term} reason=election timeout`,
      `became leader term=${term}`,
    ]);
    await t.receive("hb", "n2", term + 1, { commit: 0 });
    await t.sync();
    assertEquals(metrics.server.leaderChangesSeen.value, 2);
    assertEquals(lines(), [
      `stepped down term=${term + 1} reason=higher term`,
      `leader is known leader=n2 term=${term + 1}`,
    ]);
    assertEquals(metrics.leaders.since(0).map((s) => `${s.term}:${s.leaderId}`), [
      `${term}:n1`,
      `${term + 1}:n2`,
    ]);
  } finally {
    await t.stop();
  }
});

Deno.test("node events: a transfer's campaign says so; a leader without a quorum steps down saying so", async () => {
  const { t, metrics, lines } = await watched(["n1", "n2", "n3"]);
  try {
    await t.receive("hb", "n2", 2, { commit: 0 });
    await t.sync();
    lines();
    await t.receive("timeoutNow", "n2", 2);
    await t.sync();
    assertEquals(lines(), [
      "leader lost term=3",
      "election started term=3 reason=leadership transfer",
    ]);
    for (const peer of ["n2", "n3"]) await t.receive("voteResp", peer, 3);
    await t.sync();
    assertEquals(lines(), ["became leader term=3"]);
    // Nobody answers: CheckQuorum (§6.2) ends the leadership within an election timeout,
    // reported on that tick (the step-down itself makes no output), and a campaign follows
    // an election timeout later.
    const seenBy = async (count: number) => {
      const seen: string[] = [];
      for (let i = 0; i < 60 && seen.length < count; i++) {
        await t.tick();
        await t.sync();
        seen.push(...lines());
      }
      return seen;
    };
    assertEquals(await seenBy(2), ["stepped down term=3 reason=lost quorum", "leader lost term=3"]);
    assertEquals(await seenBy(1), ["election started term=4 reason=election timeout"]);
    assertEquals(metrics.server.leaderChangesSeen.value, 2, "n2, then n1");
  } finally {
    await t.stop();
  }
});

Deno.test("node events: writes lost to a change of leader are counted as failed proposals", async () => {
  const { t, metrics } = await watched(["n1", "n2", "n3"]);
  try {
    const term = await t.elect(["n2", "n3"]);
    const writes = [t.node.put("a", "1"), t.node.put("b", "2"), t.node.put("c", "3")];
    const settled = Promise.allSettled(writes);
    await t.sync();
    assertEquals(metrics.server.proposalsFailed.value, 0, "the writes wait for a quorum");
    await t.receive("hb", "n2", term + 1, { commit: 0 });
    await t.sync();
    const outcomes = await settled;
    assertTrue(outcomes.every((o) => o.status === "rejected"));
    assertEquals(metrics.server.proposalsFailed.value, 3);
  } finally {
    await t.stop();
  }
});

Deno.test("node events: a snapshot is logged when it starts and when it is saved, and timed", async () => {
  const { t, metrics, lines } = await watched(["n1"], {
    snapshotEntries: 4,
    snapshotCatchUpEntries: 2,
  });
  try {
    await t.tick(2);
    await t.sync();
    assertEquals(t.node.driver.core.state().role, "leader");
    for (let i = 0; i < 8; i++) {
      const write = t.node.put(`k${i}`, "v");
      await t.sync();
      await write;
    }
    for (let i = 0; i < 20 && metrics.snapshot.saveSeconds.count === 0; i++) {
      await t.tick();
      await t.sync();
    }
    assertEquals(metrics.snapshot.saveSeconds.count, 1);
    const snapshotLines = lines().filter((line) => line.startsWith("snapshot"));
    const index = t.node.driver.core.snapshot()?.index;
    assertEquals(snapshotLines.map((line) => line.split(" ").slice(0, 3).join(" ")), [
      `snapshot started index=${index}`,
      `snapshot taken index=${index}`,
    ]);
  } finally {
    await t.stop();
  }
});
