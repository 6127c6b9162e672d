import { assertEquals } from "../assert.ts";
import { createLogger } from "../../src/log.ts";
import { NodeEvents } from "../../src/metrics/node_events.ts";
import { createMetrics } from "../../src/metrics/rafter_metrics.ts";

function setup(slowFsyncMs = 500) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", {
    sink: (line) => lines.push(JSON.parse(line)),
    prefix: "n1",
    format: "json",
  });
  const metrics = createMetrics();
  const events = new NodeEvents({ metrics, logger, nodeId: "n1", slowFsyncMs });
  const messages = () => lines.map(({ msg, level }) => `${level} ${msg}`);
  return { lines, metrics, events, messages };
}

Deno.test("every WAL sync is counted; only those over the threshold are logged", () => {
  const { lines, metrics, events } = setup(500);
  for (let i = 0; i < 100; i++) events.walSynced(0.002, 1000);
  events.walSynced(0.75, 8192);
  assertEquals(metrics.disk.walFsyncSeconds.count, 101);
  assertEquals(metrics.disk.walWriteBytes.value, 108_192);
  assertEquals(lines.length, 1);
  const { ts: _, ...line } = lines[0]!;
  assertEquals(line, {
    level: "warn",
    node: "n1",
    msg: "slow fsync",
    durationMs: 750,
    thresholdMs: 500,
    bytes: 8192,
  });
});

Deno.test("leader reports feed the history and the change counter and say who leads", () => {
  const { metrics, events, messages } = setup();
  events.electionStarted(2, "election timeout");
  events.leaderChanged(2, "n1", 1_000);
  events.leaderChanged(3, "", 2_000);
  events.leaderChanged(3, "n2", 2_100);
  events.steppedDown(3, "higher term");
  assertEquals(metrics.server.leaderChangesSeen.value, 2);
  assertEquals(metrics.leaders.since(0).map((s) => s.leaderId), ["n1", "", "n2"]);
  assertEquals(messages(), [
    "info election started",
    "info became leader",
    "warn leader lost",
    "info leader is known",
    "info stepped down",
  ]);
});

Deno.test("snapshots, members and failures make their lines and metrics", () => {
  const { lines, metrics, events, messages } = setup();
  events.snapshotStarted(100);
  events.snapshotTaken(100, 65536, 0.25);
  events.snapshotInstalled(200, 1000);
  events.memberChanged("added", "n4", 7);
  events.proposalFailed(3);
  events.storageFailed("disk full");
  assertEquals(metrics.snapshot.saveSeconds.count, 1);
  assertEquals(metrics.snapshot.sizeBytes.value, 65536);
  assertEquals(metrics.server.proposalsFailed.value, 3);
  assertEquals(lines[1]!.durationMs, 250);
  assertEquals(messages(), [
    "info snapshot started",
    "info snapshot taken",
    "info installed snapshot",
    "info member added",
    "error storage failure; exiting",
  ]);
});
