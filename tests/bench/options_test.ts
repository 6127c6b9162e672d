import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { parseBenchOptions } from "../../bench/options.ts";
import { formatTable, parseScenario, reportOf } from "../../bench/scenarios.ts";
import { LatencyHistogram, type LoadResult } from "../../bench/load.ts";

Deno.test("defaults run the five scenarios against a new rafter cluster", () => {
  const options = parseBenchOptions([]);
  assertEquals(options.scenarios.map((scenario) => scenario.name), [
    "write-c1",
    "write-c16",
    "write-c64",
    "read-consistent-c64",
    "read-stale-c64",
  ]);
  assertEquals(
    [options.durationS, options.keys, options.valueBytes, options.target, options.url],
    [10, 10_000, 100, "rafter", null],
  );
  assertEquals([options.timeoutMs, options.client, options.threads], [2_000, "raw", 1]);
  assertEquals([options.preload, options.serveOnlyS], [true, 0]);
});

Deno.test("etcd defaults to its first member and --url overrides it", () => {
  assertEquals(parseBenchOptions(["--target", "etcd"]).url, "http://127.0.0.1:23791");
  const options = parseBenchOptions(["--target=etcd", "--url", "http://127.0.0.1:2379"]);
  assertEquals(options.url, "http://127.0.0.1:2379");
});

Deno.test("bad options are refused with the value quoted", () => {
  const bad: [string[], RegExp][] = [
    [["--duration", "0"], /--duration must be an integer in 1\.\.600, got "0"/],
    [["--duration", "1.5"], /got "1\.5"/],
    [["--keys", "-3"], /--keys/],
    [["--target", "redis"], /--target must be one of rafter, etcd, got "redis"/],
    [["--url", "ftp://x"], /--url must use http, got "ftp:\/\/x"/],
    [["--scenarios", "write-c0"], /Unknown scenario "write-c0"/],
    [["--scenarios", ","], /names none/],
    [["--serve-only", "--target", "etcd"], /--serve-only starts a rafter cluster/],
    [["--frobnicate"], /frobnicate/],
  ];
  for (const [args, pattern] of bad) assertThrows(() => parseBenchOptions(args), pattern);
});

Deno.test("ten million keys are preloaded in batches, and --restart needs a started cluster", () => {
  const large = parseBenchOptions(["--keys", "10000000", "--restart"]);
  assertEquals([large.keys, large.preloadBatch, large.restart], [10_000_000, 100, true]);
  assertEquals(large.electionMs, null);
  assertEquals(parseBenchOptions(["--election-ms", "3000"]).electionMs, 3000);
  assertEquals(parseBenchOptions(["--keys", "100000"]).preloadBatch, 1);
  assertEquals(parseBenchOptions(["--keys", "200000", "--preload-batch", "1"]).preloadBatch, 1);
  assertEquals(parseBenchOptions(["--target", "etcd", "--keys", "1000000"]).preloadBatch, 1);
  const bad: [string[], RegExp][] = [
    [["--keys", "10000001"], /--keys must be an integer in 1\.\.10000000, got "10000001"/],
    [["--preload-batch", "129"], /--preload-batch must be an integer in 1\.\.128, got "129"/],
    [["--target", "etcd", "--preload-batch", "5"], /preloads rafter only, got "5"/],
    [["--restart", "--url", "http://127.0.0.1:1"], /--restart restarts a node/],
    [["--election-ms", "99"], /--election-ms must be an integer in 100\.\.60000, got "99"/],
    [["--election-ms", "3000", "--url", "http://127.0.0.1:1"], /--election-ms applies to/],
  ];
  for (const [args, pattern] of bad) assertThrows(() => parseBenchOptions(args), pattern);
});

Deno.test("mixed-cN and write-cN-Sk name a mixed load and a value size", () => {
  assertEquals(parseScenario("mixed-c64"), {
    name: "mixed-c64",
    op: "mixed",
    connections: 64,
    kind: "load",
  });
  assertEquals(parseScenario("write-c16-64k").valueBytes, 64 * 1024);
  assertEquals(parseScenario("write-c16-64k").op, "write");
  assertThrows(() => parseScenario("read-stale-c16-64k"), /Unknown scenario "read-stale-c16-64k"/);
  assertThrows(() => parseScenario("write-c1-2048k"), /values above 1024k/);
});

Deno.test("scenario names carry the operation and the connection count", () => {
  assertEquals(parseScenario("write-c16"), {
    name: "write-c16",
    op: "write",
    connections: 16,
    kind: "load",
  });
  assertEquals(parseScenario("read-consistent-c3").op, "read-consistent");
  assertThrows(() => parseScenario("read-c64"), /Unknown scenario "read-c64"/);
  assertThrows(() => parseScenario("write-c2000", 1024), /more than 1024 connections/);
});

Deno.test("the table shows percentiles and explains errors", () => {
  const histogram = new LatencyHistogram();
  for (let ms = 1; ms <= 100; ms++) histogram.record(ms);
  const result: LoadResult = {
    requests: 100,
    ok: 97,
    non2xx: 2,
    misses: 1,
    socketErrors: 0,
    timeouts: 0,
    statusCounts: { "503": 2 },
    complete: true,
    elapsedMs: 2_000,
    histogram: histogram.toData(),
    firstError: "HTTP status 503",
  };
  const report = reportOf("write-c4", 4, result);
  assertEquals([report.requestsPerSecond, report.errors, report.maxMs], [50, 3, 100]);
  const lines = formatTable([report]).split("\n");
  assertEquals(lines.length, 2);
  assertTrue(lines[0]!.startsWith("scenario "), lines[0]);
  assertTrue(
    /^write-c4 +4 +100 +50\.0 +(49\.9|50\.0)\d+ +(89|90)\.\d+ +(98|99)\.\d+ +100\.000 +3 /.test(
      lines[1]!,
    ),
    lines[1],
  );
  assertTrue(lines[1]!.endsWith("non-2xx=2 (503:2) misses=1; first: HTTP status 503"), lines[1]);
});

Deno.test("--metrics and --scrape-ms: on with a scrape a second by default, off scrapes nothing", () => {
  const defaults = parseBenchOptions([]);
  assertEquals([defaults.metrics, defaults.scrapeMs], [true, 1000]);
  const off = parseBenchOptions(["--metrics", "off"]);
  assertEquals([off.metrics, off.scrapeMs], [false, 0]);
  assertEquals(parseBenchOptions(["--scrape-ms", "0"]).scrapeMs, 0);
  assertEquals(parseBenchOptions(["--target", "etcd"]).scrapeMs, 0);
  const bad: [string[], RegExp][] = [
    [["--metrics", "maybe"], /--metrics must be one of on, off, got "maybe"/],
    [["--metrics", "off", "--scrape-ms", "500"], /--scrape-ms needs --metrics on, got "500"/],
    [["--scrape-ms", "70000"], /--scrape-ms must be an integer in 0\.\.60000, got "70000"/],
    [["--url", "http://127.0.0.1:8001", "--metrics", "off"], /apply to the rafter cluster/],
  ];
  for (const [args, pattern] of bad) assertThrows(() => parseBenchOptions(args), pattern);
});
