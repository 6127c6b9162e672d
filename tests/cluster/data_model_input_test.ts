// Bad input to the data-model routes of a real node: every new field is checked with a clear
// 400 naming the bad value, before anything is proposed; an unknown lease is a 404; and no
// error of either kind changes the state.
import { assertEquals, assertMatch } from "../assert.ts";
import type { NodeStatus } from "../../src/api.ts";
import { call, STEADY_TIMING } from "./data_model.ts";
import { type Cluster, type NodeProcess, request, withCluster } from "./harness.ts";

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** One bad request and what the node must answer. */
interface Case {
  method: Method;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  error: RegExp;
}

const get129 = Array.from({ length: 129 }, () => ({ get: { key: "a" } }));

/** Requests refused before anything is proposed. */
const BAD_REQUESTS: Case[] = [
  // Transactions.
  {
    method: "POST",
    path: "/txn",
    body: { success: [{ frob: { key: "a" } }] },
    error: /Unknown operation "frob" in "success\[0\]"/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { success: get129 },
    error: /"success" has "129" entries; at most 128/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { compare: [{ key: "a" }] },
    error: /"compare\[0\]" must hold exactly one of/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { compare: [{ key: "a", modIndex: 1, value: "x" }] },
    error: /exactly one of/,
  },
  { method: "POST", path: "/txn", body: { bogus: [] }, error: /Unknown field "bogus"/ },
  {
    method: "POST",
    path: "/txn",
    body: { success: [{ put: { key: "", value: "x" } }] },
    error: /"success\[0\]\.put\.key" must not be empty/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { failure: [{ put: { key: "a" } }] },
    error: /Missing field "failure\[0\]\.put\.value"/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { success: [{ put: { key: "a", value: "x" }, get: { key: "b" } }] },
    error: /"success\[0\]"/,
  },
  {
    method: "POST",
    path: "/txn",
    body: { success: [{ put: { key: "a", value: "x", lease: -2 } }] },
    error: /"success\[0\]\.put\.lease"|-2/,
  },
  // Leases.
  { method: "POST", path: "/lease", body: { ttlMs: -5 }, error: /Invalid "ttlMs" -5/ },
  { method: "POST", path: "/lease", body: { ttlMs: 0 }, error: /Invalid "ttlMs" 0/ },
  { method: "POST", path: "/lease", body: { ttlMs: 1.5 }, error: /Invalid "ttlMs" 1\.5/ },
  { method: "POST", path: "/lease", body: { ttlMs: "100" }, error: /Invalid "ttlMs" "100"/ },
  { method: "POST", path: "/lease", body: {}, error: /Missing field "ttlMs"/ },
  {
    method: "POST",
    path: "/lease",
    body: { ttlMs: 10 },
    error: /Lease TTL "10" ms is below the minimum/,
  },
  { method: "POST", path: "/lease/keepalive", body: { id: 0 }, error: /Invalid "id" 0/ },
  { method: "POST", path: "/lease/keepalive", body: {}, error: /Missing field "id"/ },
  { method: "GET", path: "/lease?id=abc", error: /Invalid "id" "abc"/ },
  { method: "DELETE", path: "/lease", error: /Missing field "id"/ },
  // Compare-and-swap, leases and TTLs on a key.
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", prevIndex: -1 },
    error: /Invalid "prevIndex" -1/,
  },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", prevIndex: "3" },
    error: /Invalid "prevIndex" "3"/,
  },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", lease: 0 },
    error: /Invalid "lease" 0/,
  },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", lease: 5, ttlMs: 5000 },
    error: /Give "lease" or "ttlMs", not both/,
  },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", ttlMs: -1 },
    error: /Invalid "ttlMs" -1/,
  },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", ttlMs: 10 },
    error: /below the minimum/,
  },
  { method: "DELETE", path: "/key?key=a&prevIndex=x", error: /Invalid "prevIndex" "x"/ },
  // Scans and prefix deletes.
  {
    method: "GET",
    path: "/keys?limit=0",
    error: /Invalid "limit" "0": expected an integer from 1 to 10000/,
  },
  { method: "GET", path: "/keys?limit=10001", error: /Invalid "limit" "10001"/ },
  { method: "GET", path: "/keys?limit=x", error: /Invalid "limit" "x"/ },
  { method: "GET", path: "/keys?keysOnly=yes", error: /Invalid "keysOnly" "yes"/ },
  { method: "GET", path: "/keys?level=bad", error: /Invalid read level "bad"/ },
  { method: "DELETE", path: "/keys", error: /Refusing to delete every key/ },
  { method: "DELETE", path: "/keys?prefix=", error: /Refusing to delete every key/ },
  // Watch.
  { method: "GET", path: "/watch?key=a&fromIndex=0", error: /Invalid "fromIndex" "0"/ },
  { method: "GET", path: "/watch?key=a&fromIndex=-3", error: /Invalid "fromIndex" "-3"/ },
  { method: "GET", path: "/watch?key=a&fromIndex=x", error: /Invalid "fromIndex" "x"/ },
  { method: "GET", path: "/watch?key=a&prefix=b", error: /Give "key" or "prefix", not both/ },
  { method: "GET", path: "/watch", error: /Missing field "key" or "prefix"/ },
  { method: "GET", path: "/watch?key=", error: /Field "key" must not be empty/ },
  { method: "GET", path: "/watch?key=a&prevValue=maybe", error: /Invalid "prevValue" "maybe"/ },
  {
    method: "GET",
    path: "/watch?key=a",
    headers: { "last-event-id": "x" },
    error: /Invalid "Last-Event-ID" "x"/,
  },
  // Binary values.
  {
    method: "PUT",
    path: "/kv/a",
    body: "x",
    headers: { "if-match": "nope" },
    error: /Invalid If-Match "nope"/,
  },
  {
    method: "PUT",
    path: "/kv/a",
    body: "x",
    headers: { "if-none-match": '"3"' },
    error: /Invalid If-None-Match/,
  },
  {
    method: "PUT",
    path: "/kv/a",
    body: "x",
    headers: { "if-match": '"3"', "if-none-match": "*" },
    error: /./,
  },
  { method: "PUT", path: "/kv/%ZZ", body: "x", error: /Key path "\/kv\/%ZZ" is not valid/ },
  {
    method: "DELETE",
    path: "/kv/a",
    headers: { "if-none-match": "*" },
    error: /a delete takes none/,
  },
];

/** Requests naming a lease that does not exist. */
const UNKNOWN_LEASES: Case[] = [
  {
    method: "POST",
    path: "/lease/keepalive",
    body: { id: 424242 },
    error: /Lease "424242" not found/,
  },
  { method: "GET", path: "/lease?id=424242", error: /Lease "424242" not found/ },
  { method: "DELETE", path: "/lease?id=424242", error: /Lease "424242" not found/ },
  {
    method: "POST",
    path: "/key",
    body: { key: "a", value: "x", lease: 424242 },
    error: /Lease "424242" not found/,
  },
  {
    method: "POST",
    path: "/txn",
    body: {
      success: [{ put: { key: "b", value: "x" } }, {
        put: { key: "a", value: "x", lease: 424242 },
      }],
    },
    error: /Lease "424242" not found/,
  },
];

function send(node: NodeProcess, c: Case) {
  if (c.method === "PUT" || c.headers !== undefined) {
    const init: RequestInit = { method: c.method, redirect: "manual", headers: c.headers ?? {} };
    if (c.body !== undefined) init.body = String(c.body);
    return request(`http://${node.httpAddr}${c.path}`, init);
  }
  return call(node.httpAddr, c.method, c.path, c.body);
}

async function expectAll(node: NodeProcess, cases: Case[], status: number): Promise<void> {
  for (const c of cases) {
    const what = `${c.method} ${c.path} ${JSON.stringify(c.body ?? "").slice(0, 80)}`;
    const answer = await send(node, c);
    assertEquals(answer.status, status, `${what}: ${answer.text}`);
    assertEquals(answer.headers.get("content-type"), "application/json", what);
    assertMatch((answer.json() as { error: string }).error, c.error, what);
  }
}

/** Every key and value, and the size the node reports, read at level consistent. */
async function state(cluster: Cluster, node: NodeProcess): Promise<unknown> {
  const keys = await call(node.httpAddr, "GET", "/keys?prefix=&level=consistent");
  assertEquals(keys.status, 200, keys.text);
  const { items } = keys.json() as { items: unknown[] };
  return { items, dataBytes: (await cluster.status(node))!.dataBytes };
}

Deno.test("data-model routes on a real node: 400 for every bad field, 404 for an unknown lease, nothing changed", async () => {
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.running().find((n) => n !== leader)!;
    assertEquals(
      (await call(leader.httpAddr, "POST", "/key", { key: "a", value: "1" })).status,
      200,
    );
    const before = await state(cluster, leader);
    const logBefore = ((await cluster.status(leader)) as NodeStatus).lastLogIndex;

    await expectAll(leader, BAD_REQUESTS, 400);
    // Reads and watches are checked on a follower just as on the leader.
    await expectAll(follower, BAD_REQUESTS.filter((c) => c.method === "GET"), 400);
    const logAfter = ((await cluster.status(leader)) as NodeStatus).lastLogIndex;
    assertEquals(logAfter, logBefore, "no bad request reached the log");

    await expectAll(leader, UNKNOWN_LEASES, 404);
    assertEquals(await state(cluster, leader), before, "an unknown lease changed nothing");
    assertEquals(await state(cluster, follower), before, "nor on a follower");
  });
});
