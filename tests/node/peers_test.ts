import { assertEquals, assertTrue } from "../assert.ts";
import { COMMAND_VERSION } from "../../src/kv/command_types.ts";
import { simAddr } from "../sim/sim_transport.ts";
import { TestNode } from "./harness.ts";

Deno.test("node: a stranger unlinked while this node followed another leader is heard when it leads", async () => {
  // n4 was added while n1 was away: n1's log names n1 to n3 only.
  const t = await TestNode.start(["n1", "n2", "n3"]);
  try {
    t.transport.handlers.onPeer?.({
      id: "n4",
      clusterId: "test",
      raftAddr: simAddr("n4"),
      httpAddr: "",
      commandVersion: COMMAND_VERSION,
    });
    await t.settle();
    // n1 follows n2, so it no longer links to the stranger.
    await t.receive("hb", "n2", 2, { commit: 0 });
    await t.sync();
    assertEquals(t.node.driver.core.state().lead, "n2");
    assertTrue(!t.transport.knows("n4"), "no link to a stranger n1 neither waits for nor follows");
    // n2 goes silent; n1 times out and follows no leader.
    for (let i = 0; i < 40 && t.node.driver.core.state().lead !== ""; i++) await t.tick();
    assertEquals(t.node.driver.core.state().lead, "");
    // n4 now leads: its connection is the one that shook hands before.
    await t.receive("hb", "n4", 5, { commit: 0 });
    await t.sync();
    assertEquals(t.node.driver.core.state().lead, "n4");
    assertTrue(t.sent.some((m) => m.type === "hbResp" && m.to === "n4"), "n1 answers its leader");
  } finally {
    await t.stop();
  }
});
