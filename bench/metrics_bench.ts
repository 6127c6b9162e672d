/**
 * What counting costs: one increment, one observation, one labelled lookup,
 * the HTTP middleware around a request, and one whole scrape.
 *
 *   deno task bench:metrics
 *
 * @module
 */

import { Hono } from "hono";
import type { KvApi } from "../src/api.ts";
import { meterNode } from "../src/http/metered_node.ts";
import { httpMetrics } from "../src/http/metrics_middleware.ts";
import { Counter } from "../src/metrics/counter.ts";
import { createMetrics } from "../src/metrics/rafter_metrics.ts";

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
  if (withMetrics) hono.use(httpMetrics(createMetrics()));
  hono.get("/key", () => new Response("{}"));
  return hono;
}
const bare = app(false);
const counted = app(true);

Deno.bench(
  "request without the metrics middleware",
  { group: "http", baseline: true },
  async () => {
    await (await bare.request("/key")).text();
  },
);

Deno.bench("request with the metrics middleware", { group: "http" }, async () => {
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

for (let i = 0; i < 40; i++) {
  metrics.http.requests.labels("GET", `/route/${i}`, "200").inc();
  metrics.http.requestSeconds.labels("GET", `/route/${i}`).observe(0.001);
}

Deno.bench("scrape: collect and render every metric", { group: "scrape" }, async () => {
  await metrics.registry.scrape();
});
