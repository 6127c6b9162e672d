import { assertEquals, assertTrue } from "../assert.ts";
import { createMetrics } from "../../src/metrics/rafter_metrics.ts";
import type { NodeStatus } from "../../src/api.ts";
import { member } from "../http/fake_node.ts";
import { findTool, skipWithout } from "../tools.ts";
import { promtoolCheck } from "./scrape.ts";

const PROMTOOL = findTool("promtool");

function leaderStatus(): NodeStatus {
  return {
    id: "n1",
    clusterId: "c",
    role: "leader",
    term: 3,
    leaderId: "n1",
    leaderHttpAddr: "127.0.0.1:8001",
    commitIndex: 40,
    appliedIndex: 40,
    lastLogIndex: 41,
    snapshotIndex: 20,
    droppedPeerMessages: 4,
    members: ["n1", "n2", "n3"].map((id) => ({ ...member(id, "a:1", "b:2"), matchIndex: 40 })),
  };
}

Deno.test({
  name: "promtool check metrics accepts every metric a node exports, labelled and not",
  ignore: skipWithout("promtool", PROMTOOL),
  async fn() {
    const metrics = createMetrics();
    metrics.observeStatus(leaderStatus(), 1_000);
    metrics.disk.walFsyncSeconds.observe(0.003);
    metrics.disk.walWriteBytes.inc(4096);
    metrics.snapshot.saveSeconds.observe(0.4);
    for (const peer of ["n2", "n3"]) {
      metrics.network.peerSentBytes.labels(peer).inc(100);
      metrics.network.peerReceivedBytes.labels(peer).inc(90);
      metrics.network.peerSentFailures.labels(peer).inc();
      metrics.network.peerRoundTripSeconds.labels(peer).observe(0.0007);
    }
    metrics.http.requests.labels("POST", "/key", "200").inc();
    metrics.http.requests.labels("GET", 'odd "route"\\', "404").inc();
    metrics.http.requestSeconds.labels("POST", "/key").observe(0.002);
    const text = await metrics.registry.scrape();
    assertTrue(text.includes('rafter_raft_follower_match_index{peer="n2"} 40'), text);
    assertTrue(text.includes("process_cpu_seconds_total "), text);
    assertTrue(text.includes("rafter_network_peer_dropped_messages_total 4\n"), text);
    const { code, output } = await promtoolCheck(PROMTOOL, text);
    assertEquals({ code, output }, { code: 0, output: "" });
  },
});

Deno.test({
  name: "promtool check metrics catches a malformed exposition (the check has teeth)",
  ignore: skipWithout("promtool", PROMTOOL),
  async fn() {
    const broken = "# TYPE demo_total counter\ndemo_total{le=1} 3\n";
    assertTrue((await promtoolCheck(PROMTOOL, broken)).code !== 0);
    const unlinted =
      "# HELP demo_requests Requests.\n# TYPE demo_requests counter\ndemo_requests 1\n";
    const { output } = await promtoolCheck(PROMTOOL, unlinted);
    assertTrue(output.includes("_total"), output);
  },
});
