import { assertEquals, assertTrue } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import type { KvApi } from "../../src/api.ts";
import { fakeApp, FakeNode } from "./fake_node.ts";
import { post, send } from "./send.ts";

async function putAll(app: ReturnType<typeof fakeApp>["app"], keys: string[]): Promise<void> {
  for (const key of keys) {
    assertEquals((await post(app, "/key", { key, value: `v-${key}`, prevIndex: 0 })).status, 200);
  }
}

Deno.test("POST /key with prevIndex 0 creates once; a mismatch answers 412 with the current record", async () => {
  const { node, app } = fakeApp();
  const first = await post(app, "/key", { key: "lock", value: "a", prevIndex: 0 });
  assertEquals(first.body, { key: "lock", index: 1 });
  const second = await post(app, "/key", { key: "lock", value: "b", prevIndex: 0 });
  assertEquals(second.status, 412);
  assertEquals(second.body, {
    error: 'Precondition failed: key "lock" is at modIndex "1"',
    current: { key: "lock", value: "a", createIndex: 1, modIndex: 1 },
  });
  const swap = await post(app, "/key", { key: "lock", value: "c", prevIndex: 1 });
  assertEquals(swap.body, { key: "lock", index: 3 });
  assertEquals(node.port.state.get("lock")?.value, "c");
  const missing = await post(app, "/key", { key: "ghost", value: "x", prevIndex: 5 });
  assertEquals(missing.body.current, null);
});

Deno.test("DELETE /key with prevIndex deletes only that version", async () => {
  const { app } = fakeApp();
  await putAll(app, ["k"]);
  const wrong = await send(app, "DELETE", "/key?key=k&prevIndex=9");
  assertEquals(wrong.status, 412);
  const right = await send(app, "DELETE", "/key?key=k&prevIndex=1");
  assertEquals(right.body, { key: "k", deleted: true, index: 3 });
  assertEquals((await send(app, "DELETE", "/key?key=k&prevIndex=-1")).status, 400);
});

Deno.test("GET /keys pages in UTF-8 byte order; next continues; each key once", async () => {
  const { app } = fakeApp();
  await putAll(app, ["app/b", "app/a", "app/\u{1F980}", "app/\uFF5E", "apple", "zeta"]);
  const first = await send(app, "GET", "/keys?prefix=app/&limit=2");
  assertEquals(first.status, 200);
  assertEquals(first.body.items.map((i: { key: string }) => i.key), ["app/a", "app/b"]);
  assertEquals([first.body.more, first.body.next, first.body.index], [true, "app/b", 6]);
  const rest = await send(
    app,
    "GET",
    `/keys?prefix=app/&after=${encodeURIComponent(first.body.next)}`,
  );
  assertEquals(rest.body.items.map((i: { key: string }) => i.key), ["app/\uFF5E", "app/\u{1F980}"]);
  assertEquals(rest.body.more, false);
  const keysOnly = await send(app, "GET", "/keys?prefix=zeta&keysOnly=true&level=stale");
  assertEquals(keysOnly.body.items, [{ key: "zeta", createIndex: 6, modIndex: 6 }]);
  const all = await send(app, "GET", "/keys");
  assertEquals(all.body.items.length, 6);
});

Deno.test("GET /keys validates limit, keysOnly and level with 400 and reads nothing", async () => {
  const { node, app } = fakeApp();
  for (
    const query of ["limit=0", "limit=10001", "limit=abc", "limit=1.5", "keysOnly=yes", "level=x"]
  ) {
    const answer = await send(app, "GET", `/keys?prefix=a&${query}`);
    assertEquals(answer.status, 400, query);
  }
  const answer = await send(app, "GET", "/keys?limit=10001");
  assertEquals(answer.body, {
    error: 'Invalid "limit" "10001": expected an integer from 1 to 10000',
  });
  assertEquals(node.calls, []);
});

Deno.test("DELETE /keys deletes a prefix in one entry; every key only with all=true", async () => {
  const { node, app } = fakeApp();
  await putAll(app, ["s/a", "s/b", "t"]);
  const refused = await send(app, "DELETE", "/keys?prefix=");
  assertEquals(refused.status, 400);
  assertEquals(refused.body, {
    error: 'Refusing to delete every key: give a non-empty "prefix", or "all=true"',
  });
  assertEquals((await send(app, "DELETE", "/keys")).status, 400);
  assertEquals((await send(app, "DELETE", "/keys?prefix=s/")).body, { deleted: 2, index: 4 });
  assertEquals((await send(app, "DELETE", "/keys?all=true")).body, { deleted: 1, index: 5 });
  assertEquals(node.port.state.size, 0);
});

Deno.test("POST /txn compares and runs one branch as one entry", async () => {
  const { app } = fakeApp();
  await putAll(app, ["config"]);
  const answer = await post(app, "/txn", {
    compare: [{ key: "config", modIndex: 1 }, { key: "missing", exists: false }],
    success: [
      { put: { key: "config", value: "v2" } },
      { get: { key: "config" } },
      { deletePrefix: { prefix: "nothing/" } },
      { delete: { key: "missing" } },
    ],
    failure: [{ get: { key: "config" } }],
  });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, {
    succeeded: true,
    results: [
      { put: { key: "config" } },
      {
        get: { key: "config", record: { key: "config", value: "v2", createIndex: 1, modIndex: 2 } },
      },
      { deletePrefix: { prefix: "nothing/", deleted: 0 } },
      { delete: { key: "missing", deleted: false } },
    ],
    index: 2,
  });
  const failed = await post(app, "/txn", {
    compare: [{ key: "config", value: "v1" }],
    failure: [{ get: { key: "config" } }],
  });
  assertEquals(failed.body.succeeded, false);
  assertEquals((await post(app, "/txn", {})).body, { succeeded: true, results: [], index: 4 });
});

Deno.test("POST /txn refuses bad input with 400 naming the place, and writes nothing", async () => {
  const { node, app } = fakeApp();
  const cases: [unknown, string][] = [
    [{ success: [{ frob: { key: "k" } }] }, 'Unknown operation "frob" in "success[0]"'],
    [{ success: [{ get: { key: "k" }, put: {} }] }, 'An operation in "success[0]"'],
    [{ success: new Array(129).fill({ get: { key: "k" } }) }, 'has "129" entries; at most 128'],
    [{ compare: [{ key: "k" }] }, 'exactly one of "modIndex", "value" or "exists"'],
    [{ compare: [{ key: "k", modIndex: -1 }] }, 'Invalid "modIndex" -1'],
    [{ compare: [{ key: "k", exists: "yes" }] }, 'Field "compare[0].exists" must be a boolean'],
    [
      { failure: [{ put: { key: "", value: "v" } }] },
      'Field "failure[0].put.key" must not be empty',
    ],
    [{ success: [{ put: { key: "k" } }] }, 'Missing field "success[0].put.value"'],
    [{ success: [{ put: { key: "k", value: "v", lease: 0 } }] }, 'Invalid "lease" 0'],
    [{ success: "all" }, 'Field "success" must be an array'],
    [{ sucess: [] }, 'Unknown field "sucess"'],
  ];
  for (const [body, message] of cases) {
    const answer = await post(app, "/txn", body);
    assertEquals(answer.status, 400, message);
    assertTrue(answer.body.error.includes(message), `${answer.body.error} lacks ${message}`);
  }
  assertEquals(node.calls, []);
  assertEquals(node.port.state.appliedIndex, 0);
});

Deno.test("leases: grant, attach with lease, keepalive, info, revoke deletes the keys", async () => {
  const { node, app } = fakeApp();
  const grant = await post(app, "/lease", { ttlMs: 5000 });
  assertEquals(grant.body, { id: 1, ttlMs: 5000 });
  assertEquals((await post(app, "/key", { key: "svc/a", value: "up", lease: 1 })).body, {
    key: "svc/a",
    index: 2,
  });
  const shorthand = await post(app, "/key", { key: "svc/b", value: "up", ttlMs: 3000 });
  assertEquals(shorthand.body, { key: "svc/b", index: 3, lease: 3 });
  node.port.clockMs = 4000;
  assertEquals((await send(app, "GET", "/lease?id=1")).body, {
    id: 1,
    ttlMs: 1000,
    grantedTtlMs: 5000,
    keys: ["svc/a"],
    more: false,
  });
  assertEquals((await post(app, "/lease/keepalive", { id: 1 })).body, { id: 1, ttlMs: 5000 });
  const listed = await send(app, "GET", "/keys?prefix=svc/");
  assertEquals(listed.body.items.map((i: { lease?: number }) => i.lease), [1, 3]);
  assertEquals((await send(app, "DELETE", "/lease?id=1")).body, { id: 1, deleted: 1, index: 4 });
  const after = await send(app, "GET", "/keys?prefix=svc/");
  assertEquals(after.body.items.map((i: { key: string }) => i.key), ["svc/b"]);
  const gone = await post(app, "/lease/keepalive", { id: 1 });
  assertEquals(gone.status, 404);
  assertEquals(gone.body, { error: 'Lease "1" not found' });
  assertEquals((await send(app, "GET", "/lease?id=77")).status, 404);
  assertEquals((await post(app, "/key", { key: "k", value: "v", lease: 1 })).status, 404);
});

Deno.test("lease input is validated: negative, missing or short TTLs, bad ids", async () => {
  const { node, app } = fakeApp();
  const negative = await post(app, "/lease", { ttlMs: -5 });
  assertEquals(negative.body, { error: 'Invalid "ttlMs" -5: expected an integer from 1 up' });
  assertEquals((await post(app, "/lease", {})).body, { error: 'Missing field "ttlMs"' });
  const short = await post(app, "/lease", { ttlMs: 100 });
  assertEquals(short.status, 400);
  assertEquals(short.body, {
    error: 'Lease TTL "100" ms is below the minimum of "1500" ms (three election timeouts)',
  });
  assertEquals((await send(app, "GET", "/lease?id=x")).status, 400);
  assertEquals((await send(app, "DELETE", "/lease")).status, 400);
  const both = await post(app, "/key", { key: "k", value: "v", lease: 1, ttlMs: 5000 });
  assertEquals(both.body, { error: 'Give "lease" or "ttlMs", not both' });
  assertEquals((await post(app, "/key", { key: "k", value: "v", ttlMs: 10 })).status, 400);
  assertEquals(node.port.state.appliedIndex, 0);
});

Deno.test("on a follower the new writes and lease calls answer 307 to the leader", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const requests: [string, string, unknown?][] = [
    ["POST", "/key", { key: "k", value: "v", prevIndex: 0 }],
    ["DELETE", "/key?key=k&prevIndex=1"],
    ["DELETE", "/keys?prefix=a"],
    ["POST", "/txn", {}],
    ["POST", "/lease", { ttlMs: 5000 }],
    ["POST", "/lease/keepalive", { id: 1 }],
    ["GET", "/lease?id=1"],
    ["DELETE", "/lease?id=1"],
    ["GET", "/keys?prefix=a"],
  ];
  for (const [method, path, body] of requests) {
    const answer = body === undefined
      ? await send(app, method, path)
      : await send(app, method, path, JSON.stringify(body));
    assertEquals(answer.status, 307, `${method} ${path}`);
    assertEquals(answer.headers.get("location"), `http://127.0.0.1:8001${path}`);
  }
  assertEquals((await send(app, "GET", "/keys?prefix=a&level=stale")).status, 200);
});

Deno.test("the quota answers 507 naming the quota and the size", async () => {
  const node = new FakeNode();
  const { KvService } = await import("../../src/kv/service.ts");
  const quoted = Object.assign(node, {
    data: new KvService(node.port, { quotaBytes: 10, leaseTtlMsMin: 1500 }),
  });
  const app = createApp(quoted);
  assertEquals((await post(app, "/key", { key: "a", value: "1234", prevIndex: 0 })).status, 200);
  const over = await post(app, "/key", { key: "b", value: "123456", prevIndex: 0 });
  assertEquals(over.status, 507);
  assertEquals(over.body, {
    error: 'Quota exceeded: keys and values take "5" bytes and the write would pass the quota ' +
      'of "10" bytes; delete keys to make room',
    dataBytes: 5,
    quotaBytes: 10,
  });
});

Deno.test("a node without the data-model operations answers 501", async () => {
  const node = new FakeNode();
  const plain: KvApi = {
    get: node.get.bind(node),
    put: node.put.bind(node),
    delete: node.delete.bind(node),
    join: node.join.bind(node),
    remove: node.remove.bind(node),
    status: node.status.bind(node),
  };
  const app = createApp(plain);
  const answer = await send(app, "GET", "/keys?prefix=a");
  assertEquals(answer.status, 501);
  assertEquals(answer.body, {
    error: 'This node does not serve "scan": its driver has no data-model operations',
  });
  assertEquals((await post(app, "/key", { key: "k", value: "v" })).status, 200);
});
