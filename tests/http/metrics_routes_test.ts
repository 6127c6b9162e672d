import { assertEquals, assertTrue } from "../assert.ts";
import { type KvApi, UnavailableError } from "../../src/api.ts";
import { meterNode } from "../../src/http/metered_node.ts";
import { RecentOps } from "../../src/metrics/recent_ops.ts";
import { createMetrics } from "../../src/metrics/rafter_metrics.ts";
import { fakeApp } from "./fake_node.ts";
import { post, send } from "./send.ts";

async function scrape(app: ReturnType<typeof fakeApp>["app"]): Promise<string> {
  const response = await app.request("/metrics");
  assertEquals(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return await response.text();
}

function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

Deno.test("GET /metrics renders the node's status as gauges", async () => {
  const { node, app } = fakeApp();
  await node.put("a", "1");
  const text = await scrape(app);
  assertEquals(value(text, "rafter_server_is_leader"), 1);
  assertEquals(value(text, "rafter_server_has_leader"), 1);
  assertEquals(value(text, "rafter_raft_term"), 2);
  assertEquals(value(text, "rafter_raft_commit_index"), 2);
  assertEquals(value(text, "rafter_server_proposals_applied_total"), 2);
  assertEquals(value(text, "rafter_server_leader_changes_seen_total"), 1);
  node.leaderHttpAddr = "";
  const after = await scrape(app);
  assertEquals(value(after, "rafter_server_has_leader"), 0);
  assertEquals(value(after, "rafter_server_is_leader"), 0);
});

Deno.test("N writes move the request counter and the duration histogram by exactly N", async () => {
  const metrics = createMetrics();
  const { app } = fakeApp({ metrics });
  const series = 'rafter_http_requests_total{method="POST",route="/key",code="200"}';
  const histogram = 'rafter_http_request_duration_seconds_count{method="POST",route="/key"}';
  const before = await scrape(app);
  const writes = 37;
  for (let i = 0; i < writes; i++) {
    assertEquals((await post(app, "/key", { key: `k${i}`, value: "v" })).status, 200);
  }
  const after = await scrape(app);
  assertEquals(value(after, series) - value(before, series), writes);
  assertEquals(value(after, histogram) - value(before, histogram), writes);
  assertEquals(metrics.recent.series(Date.now() + 1000, 3).writes.reduce((a, b) => a + b), writes);
});

Deno.test("requests are labelled by route pattern, never by raw path", async () => {
  const metrics = createMetrics();
  const { node, app } = fakeApp({ metrics });
  await node.put("alpha", "1");
  await send(app, "GET", "/store/alpha");
  await send(app, "GET", "/store/beta");
  await send(app, "POST", "/set/k1/v1");
  await send(app, "POST", "/set/k2/v2");
  await send(app, "GET", "/no/such/route/12345");
  await send(app, "GET", "/another-missing-path");
  const text = await scrape(app);
  assertEquals(
    value(text, 'rafter_http_requests_total{method="GET",route="/store/:key",code="200"}'),
    1,
  );
  assertEquals(
    value(text, 'rafter_http_requests_total{method="GET",route="/store/:key",code="404"}'),
    1,
  );
  assertEquals(
    value(text, 'rafter_http_requests_total{method="POST",route="/set/:key/:value",code="200"}'),
    2,
  );
  assertEquals(
    value(text, 'rafter_http_requests_total{method="GET",route="unmatched",code="404"}'),
    2,
  );
  assertTrue(!text.includes("alpha") && !text.includes("12345") && !text.includes("k1"), text);
});

Deno.test("failed requests are counted with the status they answered", async () => {
  const { node, app } = fakeApp();
  await post(app, "/key", "{not json");
  node.error = new UnavailableError("No quorum");
  await post(app, "/key", { key: "k", value: "v" });
  node.error = null;
  node.leaderHttpAddr = "127.0.0.1:8009";
  await post(app, "/key", { key: "k", value: "v" });
  const text = await scrape(app);
  for (const code of ["400", "503", "307"]) {
    const series = `rafter_http_requests_total{method="POST",route="/key",code="${code}"}`;
    assertEquals(value(text, series), 1, series);
  }
});

Deno.test("reads and writes through any route are recorded for the dashboard, failures not", async () => {
  const metrics = createMetrics();
  const { node, app } = fakeApp({ metrics });
  await post(app, "/key", { key: "a", value: "1" });
  await send(app, "DELETE", "/key?key=a");
  await send(app, "GET", "/key?key=a");
  await send(app, "GET", "/get?key=a");
  node.error = new UnavailableError("No quorum");
  await post(app, "/key", { key: "a", value: "1" });
  const series = metrics.recent.series(Date.now() + 1000, 3);
  assertEquals(series.writes.reduce((a, b) => a + b), 2);
  assertEquals(series.reads.reduce((a, b) => a + b), 2);
  assertEquals(node.calls.map((c) => c.op), ["put", "delete", "get", "get", "put"]);
});

Deno.test("with counting off, requests are not counted and /metrics answers 404", async () => {
  const metrics = createMetrics();
  const { app } = fakeApp({ metrics, counting: false });
  for (let i = 0; i < 3; i++) {
    assertEquals((await post(app, "/key", { key: `k${i}`, value: "v" })).status, 200);
  }
  const response = await app.request("/metrics");
  assertEquals(response.status, 404);
  assertEquals(await response.json(), { error: "Metrics are off on this node (--metrics off)" });
  assertEquals([...metrics.http.requests.entries()].length, 0);
  assertEquals(metrics.recent.series(Date.now() + 1000, 3).writes.reduce((a, b) => a + b), 0);
  assertEquals((await send(app, "GET", "/status")).status, 200, "the rest is served as before");
});

Deno.test("the metered node keeps the node's methods, its classes' too, and none it shadows", async () => {
  class Base {
    status() {
      return "base";
    }
    get(_key: string) {
      return Promise.resolve({ value: "v", createIndex: 1, modIndex: 1 });
    }
    scan() {
      return Promise.resolve({ items: [], more: false, next: "", index: 1 });
    }
  }
  const node = Object.assign(new Base(), { scan: undefined }) as unknown as KvApi;
  const recent = new RecentOps();
  const metered = meterNode(node, recent, () => 10_500);
  assertEquals(metered.status() as unknown, "base");
  assertEquals((await metered.get("k", "stale"))?.value, "v");
  assertEquals(metered.scan, undefined, "a method the node shadows with undefined stays absent");
  assertEquals(recent.series(11_000, 1).reads, [1]);
});
