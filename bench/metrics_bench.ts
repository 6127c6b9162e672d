/**
 * What counting costs: one increment, one observation, one labelled lookup,
 * the HTTP middleware around a request, each of the node's counting points
 * (a WAL sync, a peer write, a heartbeat round, a proposal's failure
 * counter), and one whole scrape.
 *
 *   deno task bench:metrics
 *
 * @module
 */

import { Hono } from "hono";
import type { KvApi } from "../src/api.ts";
import { meterNode } from "../src/http/metered_node.ts";
import { installFrontDoor, markRoute } from "../src/http/front_door.ts";
import { DEFAULT_LIMITS } from "../src/http/input.ts";
import { Counter } from "../src/metrics/counter.ts";
import { createMetrics } from "../src/metrics/rafter_metrics.ts";
import { NodeEvents } from "../src/metrics/node_events.ts";
import { silentLogger } from "../src/log.ts";
import { RoundTrips } from "../src/node/round_trips.ts";
import { systemClock } from "../src/node/system_clock.ts";
import { newMessage } from "../src/raft/message.ts";

const metrics = createMetrics();
const counter = new Counter();
const fsync = metrics.disk.walFsyncSeconds;
const peers = ["n2", "n3", "n4", "n5"];
let turn = 0;

Deno.bench("counter.inc()", { group: "count" }, () => {
  counter.inc();
});

Deno.bench("histogram.observe() (14 buckets)", { group: "count" }, () => {
  fsync.observe(((turn++ & 1023) + 1) / 100_000);
});

Deno.bench("family.labels(peer).inc(bytes)", { group: "count" }, () => {
  metrics.network.peerSentBytes.labels(peers[turn++ & 3]!).inc(512);
});

Deno.bench("family.labels(method, route, code).inc()", { group: "count" }, () => {
  metrics.http.requests.labels("POST", "/key", "200").inc();
});

Deno.bench("recent.record(write)", { group: "count" }, () => {
  metrics.recent.record("write", 0.002, 1_700_000_000_000 + (turn++ & 0xffff));
});

function app(withMetrics: boolean): Hono {
  const hono = new Hono();
  hono.get("/key", markRoute("/key", () => new Response("{}")));
  installFrontDoor(hono, {
    limits: DEFAULT_LIMITS,
    metrics: withMetrics ? createMetrics() : null,
    requestsInflightMax: 1024,
    retryAfterSeconds: 1,
  });
  return hono;
}
const bare = app(false);
const counted = app(true);

Deno.bench(
  "request through the front door, not counting",
  { group: "http", baseline: true },
  async () => {
    await (await bare.request("/key")).text();
  },
);

Deno.bench("request through the front door, counting", { group: "http" }, async () => {
  await (await counted.request("/key")).text();
});

const node = { get: () => Promise.resolve(null) } as unknown as KvApi;
const metered = meterNode(node, metrics.recent);

Deno.bench("node.get() direct", { group: "node", baseline: true }, async () => {
  await node.get("k", "stale");
});

Deno.bench("node.get() through the meter", { group: "node" }, async () => {
  await metered.get("k", "stale");
});

// The node's counting points, each as the node calls it.
const events = new NodeEvents({ metrics, logger: silentLogger, nodeId: "n1", slowFsyncMs: 1000 });
const quiet = new NodeEvents({ logger: silentLogger, nodeId: "n1", slowFsyncMs: 1000 });
const heartbeats = peers.map((to) => ({ ...newMessage("hb", "n1", to, 2), seq: 0 }));
const answers = peers.map((from) => ({ ...newMessage("hbResp", from, "n1", 2), seq: 0 }));
const trips = new RoundTrips(systemClock, (to, seconds) => events.heartbeatAnswered(to, seconds));

Deno.bench("WAL sync reported (histogram + bytes)", { group: "node points" }, () => {
  events.walSynced(0.0004, 4096);
});

Deno.bench("WAL sync reported, --metrics off", { group: "node points" }, () => {
  quiet.walSynced(0.0004, 4096);
});

Deno.bench("peer write counted (bytes by peer)", { group: "node points" }, () => {
  events.peerSent(peers[turn++ & 3]!, 1500);
});

Deno.bench("heartbeat round to 4 peers, sent and answered", { group: "node points" }, () => {
  const seq = ++turn;
  for (const m of heartbeats) m.seq = seq;
  trips.sent(heartbeats);
  for (const m of answers) {
    m.seq = seq;
    trips.answered(m);
  }
});

Deno.bench("proposal promise with the failure counter", { group: "node points" }, async () => {
  const proposal = Promise.resolve(1);
  proposal.catch(() => events.proposalFailed());
  await proposal;
});

Deno.bench("proposal promise alone", { group: "node points", baseline: true }, async () => {
  await Promise.resolve(1);
});

for (let i = 0; i < 40; i++) {
  metrics.http.requests.labels("GET", `/route/${i}`, "200").inc();
  metrics.http.requestSeconds.labels("GET", `/route/${i}`).observe(0.001);
}

Deno.bench("scrape: collect and render every metric", { group: "scrape" }, async () => {
  await metrics.registry.scrape();
});
