import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import {
  errorCount,
  HttpProtocolError,
  indexOfBytes,
  LatencyHistogram,
  type LoadResult,
  mergeResults,
  parseHttpResponse,
  runLoad,
} from "../../bench/load.ts";
import { runLoadInWorkers } from "../../bench/load_workers.ts";
import { benchValue, buildRequestSet, encodeRequest } from "../../bench/targets.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function assertWithin(actual: number, expected: number, relative: number, what: string): void {
  assertTrue(
    Math.abs(actual - expected) <= expected * relative,
    `${what}: got ${actual}, expected ${expected} within ${relative * 100}%`,
  );
}

Deno.test("histogram is exact below 256 microseconds", () => {
  const histogram = new LatencyHistogram();
  for (const ms of [0.001, 0.002, 0.003, 0.1, 0.255]) histogram.record(ms);
  assertEquals(histogram.count, 5);
  assertEquals(histogram.percentile(20), 0.001);
  assertEquals(histogram.percentile(60), 0.003);
  assertEquals(histogram.percentile(100), 0.255);
  assertEquals(histogram.maxMs, 0.255);
});

Deno.test("histogram percentiles stay within 1% over six decades", () => {
  const histogram = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) values.push(0.3 * 1.0007 ** i);
  for (const ms of values) histogram.record(ms);
  values.sort((a, b) => a - b);
  for (const percent of [1, 10, 50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((percent / 100) * values.length) - 1]!;
    assertWithin(histogram.percentile(percent), exact, 0.01, `p${percent}`);
  }
  assertWithin(histogram.maxMs, values[values.length - 1]!, 0.000_01, "max");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assertWithin(histogram.meanMs, mean, 0.001, "mean");
});

Deno.test("histogram percentile ranks follow the nearest-rank definition", () => {
  const histogram = new LatencyHistogram();
  for (let ms = 1; ms <= 100; ms++) histogram.record(ms);
  assertWithin(histogram.percentile(50), 50, 0.004, "p50");
  assertWithin(histogram.percentile(90), 90, 0.004, "p90");
  assertWithin(histogram.percentile(99), 99, 0.004, "p99");
  assertEquals(histogram.percentile(100), 100);
  assertWithin(histogram.percentile(0), 1, 0.004, "p0");
});

Deno.test("histogram handles empty, negative and huge values", () => {
  const histogram = new LatencyHistogram();
  assertEquals(histogram.summary(), {
    count: 0,
    p50Ms: 0,
    p90Ms: 0,
    p99Ms: 0,
    maxMs: 0,
    meanMs: 0,
  });
  histogram.record(-5);
  histogram.record(1e12);
  assertEquals(histogram.percentile(50), 0);
  assertTrue(histogram.maxMs > 4_000_000, "huge values are clamped, not dropped");
  assertThrows(() => histogram.percentile(101), /Percentile must be within 0 and 100, got "101"/);
  assertThrows(() => histogram.percentile(NaN), /got "NaN"/);
});

Deno.test("histograms merge and survive a round trip through plain data", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 1; i <= 50; i++) a.record(i);
  for (let i = 51; i <= 100; i++) b.record(i);
  a.merge(LatencyHistogram.fromData(b.toData()));
  assertEquals(a.count, 100);
  assertEquals(a.maxMs, 100);
  assertWithin(a.percentile(50), 50, 0.004, "p50");
  assertWithin(a.meanMs, 50.5, 0.000_1, "mean");
  assertThrows(
    () => LatencyHistogram.fromData({ counts: new Uint32Array(3), maxMicros: 0, sumMicros: 0 }),
    /Histogram needs \d+ buckets, got "3"/,
  );
});

function spanResult(ok: number, elapsedMs: number): LoadResult {
  const histogram = new LatencyHistogram();
  for (let i = 0; i < ok; i++) histogram.record(1);
  return {
    requests: ok,
    ok,
    non2xx: 0,
    misses: 0,
    socketErrors: 0,
    timeouts: 0,
    statusCounts: { "200": ok },
    complete: true,
    elapsedMs,
    histogram: histogram.toData(),
    firstError: "",
  };
}

Deno.test("results of parallel workers span the longer time, of sequential spans the sum", () => {
  const parallel = mergeResults(spanResult(10, 60_000), spanResult(20, 59_000));
  assertEquals([parallel.ok, parallel.elapsedMs, parallel.statusCounts["200"]], [30, 60_000, 30]);
  const sequential = mergeResults(spanResult(10, 60_000), spanResult(20, 59_000), "sequential");
  assertEquals([sequential.ok, sequential.elapsedMs], [30, 119_000]);
});

const okResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

Deno.test("parser reads a Content-Length response and waits for every missing byte", () => {
  const buf = bytes(okResponse);
  for (let end = 0; end < buf.length; end++) {
    assertEquals(parseHttpResponse(buf, 0, end), null, `complete after ${end} bytes`);
  }
  const info = parseHttpResponse(buf, 0, buf.length)!;
  assertEquals(info.status, 200);
  assertEquals(info.keepAlive, true);
  assertEquals(info.messageEnd, buf.length);
  assertEquals(decoder.decode(buf.subarray(info.bodyStart, info.bodyEnd)), "hello");
});

Deno.test("parser stops at the end of one message when more bytes follow", () => {
  const buf = bytes(okResponse + okResponse);
  const info = parseHttpResponse(buf, 0, buf.length)!;
  assertEquals(info.messageEnd, okResponse.length);
  const second = parseHttpResponse(buf, info.messageEnd, buf.length)!;
  assertEquals(second.messageEnd, buf.length);
});

Deno.test("parser decodes a chunked body in place, with extensions and trailers", () => {
  const text = "HTTP/1.1 404 Not Found\r\ntransfer-encoding: gzip, Chunked\r\n\r\n" +
    '4;ext=1\r\n{"va\r\na\r\nlue":"abc"\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n';
  const buf = bytes(text);
  for (let end = 0; end < buf.length; end++) {
    assertEquals(parseHttpResponse(buf, 0, end), null, `complete after ${end} bytes`);
  }
  const info = parseHttpResponse(buf, 0, buf.length)!;
  assertEquals(info.status, 404);
  assertEquals(info.messageEnd, buf.length);
  assertEquals(decoder.decode(buf.subarray(info.bodyStart, info.bodyEnd)), '{"value":"abc"}');
});

Deno.test("parser follows keep-alive rules of HTTP/1.0 and 1.1", () => {
  const cases: [string, boolean][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true],
    ["HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true],
  ];
  for (const [text, keepAlive] of cases) {
    assertEquals(parseHttpResponse(bytes(text), 0, text.length)?.keepAlive, keepAlive, text);
  }
});

Deno.test("parser handles bodiless statuses and bodies that end with the connection", () => {
  const noContent = bytes("HTTP/1.1 204 No Content\r\n\r\n");
  const info = parseHttpResponse(noContent, 0, noContent.length)!;
  assertEquals([info.status, info.bodyStart, info.bodyEnd], [
    204,
    noContent.length,
    noContent.length,
  ]);
  const untilClose = bytes("HTTP/1.1 200 OK\r\n\r\nrest of it");
  assertEquals(parseHttpResponse(untilClose, 0, untilClose.length), null);
  const closed = parseHttpResponse(untilClose, 0, untilClose.length, true)!;
  assertEquals(decoder.decode(untilClose.subarray(closed.bodyStart, closed.bodyEnd)), "rest of it");
  assertEquals(closed.keepAlive, false);
});

Deno.test("parser rejects broken responses", () => {
  const broken: [string, RegExp][] = [
    ["HTTX/1.1 200 OK\r\n\r\n", /does not start with "HTTP\/1\."/],
    ["HTTP/1.1 2x0 OK\r\n\r\n", /malformed status line/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", /malformed Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /conflicting/],
    ["HTTP/1.1 200 OK\r\nBadHeader\r\n\r\n", /header line without a colon/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /malformed chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", /closing CRLF/],
    ["HTTP/1.1 100 Continue\r\n\r\n", /unsupported interim status "100"/],
  ];
  for (const [text, pattern] of broken) {
    assertThrows(() => parseHttpResponse(bytes(text), 0, text.length), pattern);
  }
  const cut = bytes("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
  assertThrows(() => parseHttpResponse(cut, 0, cut.length, true), /before the response body/);
  assertThrows(() => parseHttpResponse(cut, 0, 10, true), /before the response headers/);
  try {
    parseHttpResponse(bytes("nonsense\r\n"), 0, 10);
  } catch (error) {
    assertTrue(error instanceof HttpProtocolError);
  }
});

Deno.test("indexOfBytes finds a needle only inside the given range", () => {
  const hay = bytes("xxabcabd");
  assertEquals(indexOfBytes(hay, bytes("abd"), 0, hay.length), 5);
  assertEquals(indexOfBytes(hay, bytes("abc"), 3, hay.length), -1);
  assertEquals(indexOfBytes(hay, bytes("abd"), 0, hay.length - 1), -1);
  assertEquals(indexOfBytes(hay, bytes(""), 2, 4), 2);
});

Deno.test("request sets match the kv API and the etcd JSON gateway", () => {
  const value = benchValue(100);
  assertEquals(value.length, 100);
  assertEquals(value.slice(0, 8), "hovCJQX4");
  const rafter = buildRequestSet("rafter", "write", { keys: 2, valueBytes: 100, prefix: "/api/" });
  assertEquals(rafter.spec(1), {
    method: "POST",
    path: "/api/key",
    body: JSON.stringify({ key: "k1", value }),
  });
  const stale = buildRequestSet("rafter", "read-stale", { keys: 1, valueBytes: 100 });
  assertEquals(stale.spec(0).path, "/key?key=k0&level=stale");
  assertEquals(stale.expected, value);
  const etcd = buildRequestSet("etcd", "read-consistent", { keys: 1, valueBytes: 100 });
  assertEquals(etcd.spec(0), { method: "POST", path: "/v3/kv/range", body: '{"key":"azA="}' });
  assertEquals(etcd.expected, btoa(value));
  const wire = decoder.decode(encodeRequest(etcd.spec(0), "127.0.0.1:23791"));
  assertEquals(
    wire,
    "POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1:23791\r\n" +
      'Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{"key":"azA="}',
  );
});

/** A tiny in-memory kv server on a random loopback port; `hang` keys never get an answer. */
function startKvServer(options: { chunked?: boolean; hang?: string } = {}) {
  const store = new Map<string, string>();
  const writes: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/txn") {
      const { success } = await req.json() as {
        success: { put: { key: string; value: string } }[];
      };
      for (const { put } of success) {
        store.set(put.key, put.value);
        writes.push(put.key);
      }
      return Response.json({ succeeded: true });
    }
    if (req.method === "POST") {
      const { key, value } = await req.json();
      store.set(key, value);
      writes.push(key);
      return new Response(null, { status: 204 });
    }
    const key = url.searchParams.get("key") ?? "";
    if (key === options.hang) await new Promise((resolve) => setTimeout(resolve, 400));
    const value = store.get(key);
    if (value === undefined) return Response.json({ error: "not found" }, { status: 404 });
    const body = JSON.stringify({ key, value });
    if (!options.chunked) return new Response(body);
    // A streamed body makes the server answer with chunked transfer encoding.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes(body.slice(0, 20)));
        controller.enqueue(bytes(body.slice(20)));
        controller.close();
      },
    });
    return new Response(stream);
  });
  return { server, store, writes, url: `http://127.0.0.1:${server.addr.port}` };
}

const baseOptions = {
  target: "rafter" as const,
  keys: 40,
  valueBytes: 100,
  timeoutMs: 2_000,
};

Deno.test("preload writes every key exactly once over all connections", async () => {
  const kv = startKvServer();
  try {
    for (const client of ["raw", "fetch"] as const) {
      kv.writes.length = 0;
      const result = await runLoad({
        ...baseOptions,
        url: kv.url,
        op: "write",
        mode: "preload",
        connections: 3,
        durationMs: 10_000,
        client,
      });
      assertEquals([result.requests, result.ok, errorCount(result)], [40, 40, 0], client);
      assertEquals(result.complete, true);
      assertEquals(new Set(kv.writes).size, 40);
      assertEquals(kv.writes.length, 40);
      assertEquals(kv.store.get("k39"), benchValue(100));
    }
  } finally {
    await kv.server.shutdown();
  }
});

Deno.test("a batched preload writes every key once, a transaction of puts per request", async () => {
  const kv = startKvServer();
  try {
    for (const client of ["raw", "fetch"] as const) {
      kv.writes.length = 0;
      const result = await runLoad({
        ...baseOptions,
        url: kv.url,
        op: "write",
        mode: "preload",
        preloadBatch: 7,
        connections: 2,
        durationMs: 10_000,
        client,
      });
      assertEquals([result.requests, result.ok, errorCount(result)], [6, 6, 0], client);
      assertEquals(result.complete, true);
      assertEquals([new Set(kv.writes).size, kv.writes.length], [40, 40]);
    }
  } finally {
    await kv.server.shutdown();
  }
});

Deno.test("a mixed run sends consistent reads and about one write in ten", async () => {
  const kv = startKvServer();
  try {
    for (let i = 0; i < 40; i++) kv.store.set(`k${i}`, benchValue(100));
    const result = await runLoad({
      ...baseOptions,
      url: kv.url,
      op: "mixed",
      mode: "random",
      connections: 4,
      durationMs: 500,
      client: "raw",
    });
    assertEquals(errorCount(result), 0, result.firstError);
    const share = kv.writes.length / result.requests;
    assertTrue(
      result.requests > 100 && share > 0.03 && share < 0.2,
      `${share} of ${result.requests}`,
    );
  } finally {
    await kv.server.shutdown();
  }
});

Deno.test("reads are checked for the stored value, also in chunked bodies", async () => {
  const kv = startKvServer({ chunked: true });
  try {
    for (let i = 0; i < 40; i++) kv.store.set(`k${i}`, i === 7 ? "other" : benchValue(100));
    const result = await runLoad({
      ...baseOptions,
      url: kv.url,
      op: "read-stale",
      mode: "preload",
      connections: 2,
      durationMs: 10_000,
      client: "raw",
    });
    assertEquals([result.requests, result.ok, result.misses], [40, 39, 1]);
    assertEquals(result.firstError, 'Read of key "k7" did not return the stored value');
    kv.store.delete("k3");
    const again = await runLoad({
      ...baseOptions,
      url: kv.url,
      op: "read-consistent",
      mode: "preload",
      connections: 1,
      durationMs: 10_000,
      client: "raw",
    });
    assertEquals([again.non2xx, again.misses, again.statusCounts], [1, 1, { "404": 1 }]);
  } finally {
    await kv.server.shutdown();
  }
});

Deno.test("a request slower than the timeout counts as a timeout and the run goes on", async () => {
  const kv = startKvServer({ hang: "k1" });
  try {
    for (let i = 0; i < 40; i++) kv.store.set(`k${i}`, benchValue(100));
    const result = await runLoad({
      ...baseOptions,
      url: kv.url,
      op: "read-stale",
      mode: "preload",
      connections: 1,
      durationMs: 10_000,
      timeoutMs: 100,
      client: "raw",
    });
    assertEquals([result.timeouts, result.ok, result.socketErrors], [1, 39, 0]);
    assertEquals(result.histogram.counts.reduce((a, b) => a + b, 0), 39);
  } finally {
    await kv.server.shutdown();
  }
});

Deno.test("a refused connection counts as a socket error within the duration", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const result = await runLoad({
    ...baseOptions,
    url: `http://127.0.0.1:${port}`,
    op: "write",
    mode: "random",
    connections: 1,
    durationMs: 50,
    client: "raw",
  });
  assertEquals(result.requests, 0);
  assertTrue(result.socketErrors >= 1);
  assertTrue(/ConnectionRefused/.test(result.firstError), result.firstError);
});

Deno.test("Workers share the connections and the preload still writes each key once", async () => {
  const kv = startKvServer();
  try {
    const result = await runLoadInWorkers({
      ...baseOptions,
      url: kv.url,
      op: "write",
      mode: "preload",
      connections: 5,
      durationMs: 10_000,
      client: "raw",
    }, 2);
    assertEquals([result.requests, result.ok, errorCount(result), result.complete], [
      40,
      40,
      0,
      true,
    ]);
    assertEquals(new Set(kv.writes).size, 40);
    assertEquals(kv.writes.length, 40);
    assertEquals(LatencyHistogram.fromData(result.histogram).count, 40);
  } finally {
    await kv.server.shutdown();
  }
});
