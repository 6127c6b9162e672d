import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { errorCount, runLoad } from "../../bench/load.ts";
import { runLoadInWorkers } from "../../bench/load_workers.ts";
import { integerAfter } from "../../bench/dynamic.ts";
import { buildRequestSet } from "../../bench/targets.ts";
import { parseBenchOptions } from "../../bench/options.ts";
import { extraText, parseScenario } from "../../bench/scenarios.ts";

const encoder = new TextEncoder();

/**
 * A tiny server with compare-and-swap on `POST /key` (412 with the current record when
 * `prevIndex` does not hold), `GET /keys` listings and plain writes that answer their index.
 */
function startCasServer(keys: number) {
  let index = 100;
  const modIndex = new Map<string, number>();
  for (let i = 0; i < keys; i++) modIndex.set(`k${i}`, ++index);
  const conflicts: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/keys") {
      const items = [...modIndex].map(([key, modIndex]) => ({ key, modIndex }));
      return Response.json({ items, more: false, next: items.at(-1)?.key ?? "", index });
    }
    const { key, prevIndex } = await req.json();
    const current = modIndex.get(key) ?? 0;
    if (prevIndex !== undefined && prevIndex !== current) {
      conflicts.push(key);
      const record = { key, value: "v", createIndex: 1, modIndex: current };
      return Response.json({ error: "Precondition failed", current: record }, { status: 412 });
    }
    modIndex.set(key, ++index);
    return Response.json({ key, index });
  });
  return { server, conflicts, url: `http://127.0.0.1:${server.addr.port}` };
}

const baseOptions = {
  target: "rafter" as const,
  keys: 40,
  valueBytes: 10,
  timeoutMs: 2_000,
  mode: "random" as const,
  durationMs: 300,
};

Deno.test("cas: each connection swaps its own keys from the index their last answer gave", async () => {
  const cas = startCasServer(40);
  try {
    for (const client of ["raw", "fetch"] as const) {
      const result = await runLoad({
        ...baseOptions,
        url: cas.url,
        op: "cas",
        connections: 4,
        client,
      });
      assertTrue(result.requests > 10, `${result.requests} requests`);
      assertEquals([errorCount(result), result.ok], [0, result.requests], result.firstError);
    }
    const spread = await runLoadInWorkers({
      ...baseOptions,
      url: cas.url,
      op: "cas",
      connections: 6,
      client: "raw",
    }, 3);
    assertEquals(errorCount(spread), 0, spread.firstError);
    assertEquals(cas.conflicts, []);
  } finally {
    await cas.server.shutdown();
  }
});

Deno.test("cas: a 412 is an error, and the next try starts from the record it carried", async () => {
  const cas = startCasServer(4);
  try {
    // Two runs at once write the same keys: some swaps lose, and each loser learns the index.
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        runLoad({ ...baseOptions, keys: 4, url: cas.url, op: "cas", connections: 2, client: "raw" })
      ),
    );
    const lost = a!.non2xx + b!.non2xx;
    assertEquals(lost, cas.conflicts.length);
    assertTrue(a!.ok + b!.ok > lost, "most swaps succeed: a loss corrects the index");
    assertThrows(
      () => parseScenario("cas-c2000", 1024),
      /more than 1024 connections/,
    );
  } finally {
    await cas.server.shutdown();
  }
});

Deno.test("writes can keep each answer's index and arrival time", async () => {
  const cas = startCasServer(0);
  try {
    const result = await runLoad({
      ...baseOptions,
      url: cas.url,
      op: "write",
      connections: 2,
      client: "raw",
      recordAcks: true,
    });
    const acks = result.acks!;
    assertEquals(acks.count, result.requests);
    const indexes = [...acks.indexes].sort((x, y) => x - y);
    assertEquals(indexes, Array.from({ length: acks.count }, (_, i) => 101 + i));
    assertTrue(acks.atMs.every((at) => at > performance.timeOrigin));
  } finally {
    await cas.server.shutdown();
  }
});

Deno.test("integerAfter reads the digits after a needle, or -1", () => {
  const body = encoder.encode('{"key":"k1","index":4217}');
  assertEquals(integerAfter(body, encoder.encode('"index":'), 0, body.length), 4217);
  assertEquals(integerAfter(body, encoder.encode('"modIndex":'), 0, body.length), -1);
  assertEquals(integerAfter(body, encoder.encode('"index":'), 0, 20), -1);
});

Deno.test("txn and scan requests: four operations; pages of 100 after a key", () => {
  const txn = buildRequestSet("rafter", "txn", { keys: 10, valueBytes: 3 });
  assertEquals(JSON.parse(txn.spec(8).body!), {
    compare: [{ key: "k8", exists: true }],
    success: [
      { put: { key: "k8", value: "hov" } },
      { put: { key: "k9", value: "hov" } },
      { get: { key: "k0" } },
      { get: { key: "k1" } },
    ],
    failure: [],
  });
  assertEquals(txn.expected, '"succeeded":true');
  const scan = buildRequestSet("rafter", "scan", { keys: 10, valueBytes: 3, prefix: "/api" });
  assertEquals(scan.spec(3), {
    method: "GET",
    path: "/api/keys?prefix=k&after=k3&limit=100",
    body: null,
  });
  assertThrows(() => buildRequestSet("etcd", "cas", { keys: 1, valueBytes: 1 }), /rafter only/);
});

Deno.test("scenarios of the data model, and the options of watch-fanout and lease-keepalive", () => {
  assertEquals(parseScenario("txn-c16"), {
    name: "txn-c16",
    op: "txn",
    connections: 16,
    kind: "load",
  });
  assertEquals(parseScenario("watch-fanout").kind, "watch-fanout");
  assertEquals(parseScenario("lease-keepalive").connections, 16);
  const options = parseBenchOptions(["--scenarios", "scan-c16,watch-fanout,lease-keepalive"]);
  assertEquals(
    [options.watchersPerKey, options.watchersWholeSpace, options.leases, options.leaseTtlMs],
    [1000, 10, 10_000, 10_000],
  );
  assertEquals(options.watchUrl, null);
  const bad: [string[], RegExp][] = [
    [["--target", "etcd", "--scenarios", "cas-c4"], /"cas-c4" runs against rafter only/],
    [["--target", "etcd", "--scenarios", "watch-fanout"], /rafter only/],
    [["--watchers", "x"], /--watchers must be an integer/],
    [["--leases", "0"], /--leases must be an integer in 1\.\./],
    [["--watch-url", "ftp://x"], /--watch-url must use http/],
  ];
  for (const [args, pattern] of bad) assertThrows(() => parseBenchOptions(args), pattern);
  assertEquals(
    extraText({ watchers: 1010, "change%": -12.3456, "alone-req/s": 6374.25 }),
    "watchers=1010 change%=-12.346 alone-req/s=6374.3",
  );
});
