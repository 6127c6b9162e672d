/**
 * Every route of the app, enumerated from its router, with auth on: no
 * credentials → 401, a user without the permission → 403, the right user →
 * success, and a refused call changes nothing. A route added without a case
 * here fails the first test.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { declaredRoutes } from "../../src/http/routes.ts";
import { AUTH_CHALLENGE } from "../../src/http/guard.ts";
import { basic, bearer, securedApp, type UserName } from "./auth_users.ts";
import type { FakeNode } from "./fake_node.ts";
import { type Answer, send } from "./send.ts";

/** No peers to ask: the status feed's member calls fail at once. */
const noPeers = () => Promise.reject(new Error("no peers in this test"));

/** The lease id in a case's path, replaced by the id of the lease the node holds. */
const LEASE = "LEASE_ID";

/**
 * An app with auth on whose calls to other members fail at once, over a node
 * that also holds `app/k` and a lease with `app/l` attached.
 */
async function appUnderTest() {
  const { node, app } = securedApp({ fetch: noPeers });
  await node.data.putValue("app/k", "v0", {});
  const { id } = await node.data.leaseGrant(60_000);
  await node.data.putValue("app/l", "v0", { lease: id });
  return { node, app, leaseId: id };
}

/** How to call one route, and who may. */
interface RouteCase {
  /** Path and query; `LEASE_ID` stands for the id of the node's lease. */
  path: string;
  /** The JSON body, or a function of the lease id that makes it. */
  body?: unknown;
  /** A user holding the permission the route needs. */
  right: UserName;
  /** A user holding credentials but not that permission. */
  wrong: UserName;
}

/** `GET` on a route that changes state: 405 for everyone. */
const REFUSED_GET = "405";
/** An open route: answers everyone. */
const OPEN = "open";

const CASES: Record<string, RouteCase | typeof REFUSED_GET | typeof OPEN> = {
  "GET /key": { path: "/key?key=app/a&level=stale", right: "reader", wrong: "other" },
  "POST /key": { path: "/key", body: { key: "app/a", value: "v1" }, right: "app", wrong: "reader" },
  "DELETE /key": { path: "/key?key=app/a", right: "app", wrong: "reader" },
  "GET /join": REFUSED_GET,
  "POST /join": {
    path: "/join",
    body: { id: "n9", addr: "127.0.0.1:7009" },
    right: "ops",
    wrong: "app",
  },
  "GET /remove": REFUSED_GET,
  "POST /remove": { path: "/remove", body: { id: "n2" }, right: "ops", wrong: "app" },
  "GET /status": OPEN,
  "POST /set": { path: "/set", body: { key: "app/a", value: "v1" }, right: "app", wrong: "reader" },
  "GET /get": { path: "/get?key=app/a", right: "reader", wrong: "other" },
  "GET /store/:key": { path: "/store/app-s", right: "reader", wrong: "other" },
  "POST /store": {
    path: "/store",
    body: { key: "app-s", value: "v1" },
    right: "app",
    wrong: "reader",
  },
  "DELETE /store/:key": { path: "/store/app-s", right: "app", wrong: "reader" },
  "POST /raft/join": {
    path: "/raft/join",
    body: { node_id: "n9", raft_address: "127.0.0.1:7009" },
    right: "ops",
    wrong: "app",
  },
  "POST /raft/remove": {
    path: "/raft/remove",
    body: { node_id: "n2" },
    right: "ops",
    wrong: "app",
  },
  "GET /raft/stats": { path: "/raft/stats", right: "ops", wrong: "prom" },
  "PUT /put": { path: "/put", body: { key: "app/a", value: "v1" }, right: "app", wrong: "reader" },
  "DELETE /delete": { path: "/delete?key=app/a", right: "app", wrong: "reader" },
  "POST /set/:key/:value": { path: "/set/app-s/v1", right: "app", wrong: "reader" },
  "POST /delete": { path: "/delete", body: { key: "app/a" }, right: "app", wrong: "reader" },
  "GET /livez": OPEN,
  "GET /readyz": OPEN,
  "GET /metrics": { path: "/metrics", right: "prom", wrong: "app" },
  "GET /ui": OPEN,
  "GET /status/events": { path: "/status/events", right: "ops", wrong: "prom" },
  "GET /keys": { path: "/keys?prefix=app", right: "reader", wrong: "other" },
  "DELETE /keys": { path: "/keys?prefix=app", right: "app", wrong: "reader" },
  "POST /txn": {
    path: "/txn",
    body: {
      compare: [{ key: "app/a", exists: true }],
      success: [{ put: { key: "app/t", value: "v" } }],
      failure: [{ get: { key: "app/k" } }],
    },
    right: "app",
    wrong: "reader",
  },
  "POST /lease": { path: "/lease", body: { ttlMs: 60_000 }, right: "app", wrong: "reader" },
  "POST /lease/keepalive": {
    path: "/lease/keepalive",
    body: (leaseId: number) => ({ id: leaseId }),
    right: "app",
    wrong: "reader",
  },
  "GET /lease": { path: `/lease?id=${LEASE}`, right: "reader", wrong: "other" },
  "DELETE /lease": { path: `/lease?id=${LEASE}`, right: "app", wrong: "reader" },
  "GET /watch": { path: "/watch?key=app/a", right: "reader", wrong: "other" },
  "GET /kv/*": { path: "/kv/app/k", right: "reader", wrong: "other" },
  "PUT /kv/*": { path: "/kv/app/k", body: "v1", right: "app", wrong: "reader" },
  "DELETE /kv/*": { path: "/kv/app/k", right: "app", wrong: "reader" },
  "GET /snapshot": { path: "/snapshot", right: "ops", wrong: "app" },
  "POST /transfer-leader": { path: "/transfer-leader?to=n2", right: "ops", wrong: "app" },
};

/** Calls that change a node: a refused request must make none. */
const WRITES = new Set([
  "put",
  "delete",
  "join",
  "remove",
  "putValue",
  "deleteValue",
  "deletePrefix",
  "txn",
  "leaseGrant",
  "leaseKeepAlive",
  "leaseRevoke",
  "handOffLeadership",
]);

/** What a node holds and every write it was asked for, to compare around a refused call. */
async function state(node: FakeNode): Promise<string> {
  const scan = { prefix: "", after: "", limit: 1000, keysOnly: false };
  const data = (await node.data.scan(scan, "stale")).items;
  const writes = node.calls.filter((call) => WRITES.has(call.op));
  return JSON.stringify({ records: [...node.records], members: node.members, data, writes });
}

/** Calls a route; a JSON body is parsed, any other (metrics text, an event stream) dropped. */
async function call(
  under: Awaited<ReturnType<typeof appUnderTest>>,
  method: string,
  routeCase: RouteCase,
  headers: Record<string, string>,
): Promise<Answer> {
  const given = routeCase.body;
  const fields = typeof given === "function" ? given(under.leaseId) : given;
  const body = fields === undefined ? undefined : JSON.stringify(fields);
  const init: RequestInit = { method, headers, ...(body === undefined ? {} : { body }) };
  const path = routeCase.path.replace(LEASE, String(under.leaseId));
  const response = await under.app.request(`http://127.0.0.1:8002${path}`, init);
  if (response.headers.get("content-type") !== "application/json") {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, body: {} };
  }
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function routes(): { method: string; path: string }[] {
  const { app } = securedApp();
  return declaredRoutes(app).map(({ method, path }) => ({ method, path }));
}

Deno.test("every route of the app has an auth case", () => {
  const missing = routes().map((r) => `${r.method} ${r.path}`).filter((name) => !(name in CASES));
  assertEquals(missing, [], "routes without a case: add them to CASES");
  assertTrue(routes().length >= Object.keys(CASES).length);
});

Deno.test("no credentials answer 401 with WWW-Authenticate and change nothing", async () => {
  for (const { method, path } of routes()) {
    const routeCase = CASES[`${method} ${path}`];
    if (typeof routeCase !== "object") continue;
    const under = await appUnderTest();
    const before = await state(under.node);
    const answer = await call(under, method, routeCase, {});
    assertEquals(answer.status, 401, `${method} ${path}`);
    assertEquals(answer.headers.get("www-authenticate"), AUTH_CHALLENGE);
    assertEquals(typeof answer.body.error, "string");
    assertEquals(await state(under.node), before, `${method} ${path} changed the node`);
  }
});

Deno.test("a user without the permission gets 403 and changes nothing", async () => {
  for (const { method, path } of routes()) {
    const routeCase = CASES[`${method} ${path}`];
    if (typeof routeCase !== "object") continue;
    const under = await appUnderTest();
    const before = await state(under.node);
    const answer = await call(under, method, routeCase, bearer(routeCase.wrong));
    assertEquals(answer.status, 403, `${method} ${path} as ${routeCase.wrong}`);
    assertTrue(answer.body.error.startsWith(`User "${routeCase.wrong}" lacks `), answer.body.error);
    assertEquals(await state(under.node), before, `${method} ${path} changed the node`);
  }
});

Deno.test("the right user succeeds, by Bearer token and by Basic auth", async () => {
  for (const { method, path } of routes()) {
    const routeCase = CASES[`${method} ${path}`];
    if (typeof routeCase !== "object") continue;
    for (const headers of [bearer(routeCase.right), basic(routeCase.right)]) {
      const answer = await call(await appUnderTest(), method, routeCase, headers);
      assertEquals(answer.status, 200, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assertEquals(answer.body.error, undefined);
    }
  }
});

Deno.test("GET on a state-changing route answers 405 to everyone and changes nothing", async () => {
  for (const { method, path } of routes()) {
    if (CASES[`${method} ${path}`] !== REFUSED_GET) continue;
    const { node, app } = await appUnderTest();
    const before = await state(node);
    for (const headers of [{}, bearer("app"), bearer("ops")]) {
      const answer = await send(
        app,
        method,
        `${path}?id=n2&addr=127.0.0.1:7002`,
        undefined,
        headers,
      );
      assertEquals(answer.status, 405, `${method} ${path}`);
      assertEquals(answer.headers.get("allow"), "POST");
    }
    assertEquals(await state(node), before);
  }
});

Deno.test("open routes answer without credentials", async () => {
  for (const { method, path } of routes()) {
    if (CASES[`${method} ${path}`] !== OPEN) continue;
    const { app } = await appUnderTest();
    const response = await app.request(`http://127.0.0.1:8002${path}`, { method });
    await response.body?.cancel();
    assertTrue(response.status !== 401 && response.status !== 403, `${path}: ${response.status}`);
  }
});

Deno.test("the open /status shows the minimal status, the full one to the admin only", async () => {
  const { app } = await appUnderTest();
  const minimal = ["id", "role", "term", "leaderId", "leaderHttpAddr"];
  for (const headers of [{}, bearer("app"), bearer("prom")]) {
    const answer = await send(app, "GET", "/status", undefined, headers);
    assertEquals(answer.status, 200);
    assertEquals(Object.keys(answer.body), minimal);
  }
  const full = await send(app, "GET", "/status", undefined, bearer("ops"));
  assertEquals(full.body.members.length, 1);
  assertEquals(full.body.clusterId, "c0ffee");
});
