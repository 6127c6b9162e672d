import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { Registry } from "../../src/metrics/registry.ts";

Deno.test("the registry renders help, type and samples in the text format", async () => {
  const registry = new Registry();
  registry.counter("demo_requests_total", "Requests\nserved, \\ counted.").inc(3);
  registry.gauge("demo_pending", "Pending work.").set(-1.5);
  const sent = registry.counterFamily("demo_sent_bytes_total", "Bytes sent.", ["to"]);
  sent.labels('odd"peer\\\n').inc(7);
  const histogram = registry.histogram("demo_seconds", "Latency.", [0.1, 1]);
  histogram.observe(0.05);
  histogram.observe(5);
  assertEquals(
    await registry.scrape(),
    [
      "# HELP demo_requests_total Requests\\nserved, \\\\ counted.",
      "# TYPE demo_requests_total counter",
      "demo_requests_total 3",
      "# HELP demo_pending Pending work.",
      "# TYPE demo_pending gauge",
      "demo_pending -1.5",
      "# HELP demo_sent_bytes_total Bytes sent.",
      "# TYPE demo_sent_bytes_total counter",
      'demo_sent_bytes_total{to="odd\\"peer\\\\\\n"} 7',
      "# HELP demo_seconds Latency.",
      "# TYPE demo_seconds histogram",
      'demo_seconds_bucket{le="0.1"} 1',
      'demo_seconds_bucket{le="1"} 1',
      'demo_seconds_bucket{le="+Inf"} 2',
      "demo_seconds_sum 5.05",
      "demo_seconds_count 2",
      "",
    ].join("\n"),
  );
});

Deno.test("families without children and sampled values that are unknown are left out", () => {
  const registry = new Registry();
  registry.counterFamily("demo_empty_total", "Nothing yet.", ["to"]);
  registry.sampled("demo_unknown", "Not readable here.", "gauge", () => undefined);
  registry.sampled("demo_known", "Readable.", "gauge", () => Infinity);
  assertEquals(
    registry.render(),
    "# HELP demo_known Readable.\n# TYPE demo_known gauge\ndemo_known +Inf\n",
  );
});

Deno.test("scrape hooks run before rendering, in order", async () => {
  const registry = new Registry();
  const gauge = registry.gauge("demo_value", "A value set at scrape.");
  const order: string[] = [];
  registry.onScrape(() => {
    order.push("sync");
    gauge.set(1);
  });
  registry.onScrape(async () => {
    await Promise.resolve();
    order.push("async");
    gauge.inc();
  });
  assertTrue((await registry.scrape()).includes("demo_value 2\n"));
  assertEquals(order, ["sync", "async"]);
});

Deno.test("the registry refuses bad and duplicate metric names", () => {
  const registry = new Registry();
  registry.counter("demo_total", "One.");
  assertThrows(
    () => registry.counter("demo_total", "Two."),
    /Metric "demo_total" is already registered/,
  );
  assertThrows(() => registry.gauge("1bad", "Bad."), /Invalid metric name "1bad"/);
  assertThrows(() => registry.gauge("bad-name", "Bad."), /Invalid metric name "bad-name"/);
});
