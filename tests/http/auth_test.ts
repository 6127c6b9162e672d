import { assertEquals, assertTrue } from "../assert.ts";
import { Hono } from "hono";
import { queryKey, readsPrefix } from "../../src/http/access.ts";
import type { HttpDeps } from "../../src/http/deps.ts";
import { createApp, DEFAULT_LIMITS } from "../../src/http/mod.ts";
import { declareRoutes } from "../../src/http/routes.ts";
import { silentLogger } from "../../src/log.ts";
import { AuthStore, hashToken } from "../../src/auth/mod.ts";
import { authFileText, basic, bearer, securedApp, testAuth, TOKENS } from "./auth_users.ts";
import { FakeNode } from "./fake_node.ts";
import { send } from "./send.ts";

const LEADER = "127.0.0.1:8001";

Deno.test("anonymous callers hold the auth file's anonymous permissions, and only those", async () => {
  const { app } = securedApp();
  const open = await send(app, "GET", "/key?key=public/p&level=stale");
  assertEquals(open.status, 200);
  assertEquals(open.body.value, "v0");
  const closed = await send(app, "GET", "/key?key=app/a&level=stale");
  assertEquals(closed.status, 401);
  assertEquals(closed.body, {
    error: 'Credentials required: anonymous callers lack read permission on key "app/a"',
  });
  assertEquals((await send(app, "POST", "/key", '{"key":"public/p","value":"x"}')).status, 401);
});

Deno.test("wrong, unreadable or mismatched credentials answer 401", async () => {
  const { node, app } = securedApp();
  const path = "/key?key=app/a&level=stale";
  const cases: [Record<string, string>, string][] = [
    [
      { authorization: "Bearer not-a-token-of-anyone" },
      "Invalid credentials: unknown user or token",
    ],
    [basic("reader", TOKENS.app), "Invalid credentials: unknown user or token"],
    [{ authorization: "Basic %%%" }, "Basic credentials are not base64 of UTF-8 name:token"],
    [{ authorization: `Basic ${btoa("no-colon")}` }, "Basic credentials must be name:token"],
    [{ authorization: "Bearer" }, 'Authorization header "bearer" carries nothing'],
    [
      { authorization: "Digest x=1" },
      'Authorization scheme "digest" is not supported: use Bearer or Basic',
    ],
  ];
  for (const [headers, error] of cases) {
    const answer = await send(app, "GET", path, undefined, headers);
    assertEquals(answer.status, 401, headers.authorization);
    assertEquals(answer.body, { error });
  }
  assertEquals(node.calls, []);
  assertEquals((await send(app, "GET", path, undefined, basic("app"))).status, 200);
});

Deno.test("?access_token= counts only on routes that accept it", async () => {
  const auth = testAuth();
  const deps = { auth, limits: DEFAULT_LIMITS, logger: silentLogger } as unknown as HttpDeps;
  const app = new Hono();
  const routes = declareRoutes(app, deps);
  routes.get("/watch", readsPrefix(queryKey("prefix"), { queryToken: true }), (c) => c.json({}));
  const watch = (query: string) => send(app, "GET", `/watch?${query}`);
  assertEquals((await watch(`prefix=app/&access_token=${TOKENS.app}`)).status, 200);
  assertEquals((await watch(`prefix=a&access_token=${TOKENS.app}`)).status, 403);
  assertEquals((await watch(`prefix=app/&access_token=wrong-token-123456`)).status, 401);
  assertEquals((await watch("prefix=app/")).status, 401);
  const { app: full } = securedApp();
  const key = await send(full, "GET", `/key?key=app/a&level=stale&access_token=${TOKENS.app}`);
  assertEquals(key.status, 401);
});

/** A follower with auth on whose forwarded requests land in `forwarded` and reach `leader`. */
function follower(scheme: "http" | "https" = "http") {
  const auth = testAuth();
  const leader = new FakeNode();
  const leaderApp = createApp(leader, { auth, scheme });
  const node = new FakeNode();
  node.id = "n2";
  node.leaderHttpAddr = LEADER;
  node.records.set("app/a", { key: "app/a", value: "v0", createIndex: 1, modIndex: 1 });
  leader.records.set("app/a", { key: "app/a", value: "v0", createIndex: 1, modIndex: 1 });
  const forwarded: Request[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    forwarded.push(request.clone());
    return Promise.resolve(leaderApp.request(request));
  };
  return { leader, node, forwarded, app: createApp(node, { auth, scheme, fetch }) };
}

Deno.test("with auth on a follower forwards writes with the caller's Authorization", async () => {
  const { leader, node, forwarded, app } = follower("https");
  const body = JSON.stringify({ key: "app/b", value: "1" });
  const answer = await send(app, "POST", "/key", body, basic("app"));
  assertEquals(answer.status, 200);
  assertEquals(leader.records.get("app/b")?.value, "1");
  assertEquals(node.records.has("app/b"), false);
  assertEquals(forwarded.length, 1);
  assertEquals(forwarded[0]!.url, `https://${LEADER}/key`);
  assertEquals(forwarded[0]!.headers.get("authorization"), basic("app").authorization);
  assertEquals(await forwarded[0]!.text(), body);
  const read = await send(app, "GET", "/key?key=app/a", undefined, bearer("reader"));
  assertEquals(read.status, 200);
  assertEquals(forwarded[1]!.url, `https://${LEADER}/key?key=app/a`);
  const remove = await send(app, "POST", "/remove", '{"id":"n3"}', bearer("ops"));
  assertEquals(remove.status, 200);
  assertEquals(leader.calls.at(-1), { op: "remove", args: ["n3"] });
});

Deno.test("with auth on a follower checks the caller before forwarding anything", async () => {
  const { leader, forwarded, app } = follower();
  const body = JSON.stringify({ key: "app/b", value: "1" });
  assertEquals((await send(app, "POST", "/key", body)).status, 401);
  assertEquals((await send(app, "POST", "/key", body, bearer("reader"))).status, 403);
  assertEquals((await send(app, "POST", "/remove", '{"id":"n3"}', bearer("app"))).status, 403);
  assertEquals(forwarded.length, 0);
  assertEquals(leader.calls, []);
});

Deno.test("a forwarded request that meets another follower answers 503", async () => {
  const { app } = follower();
  const headers = { ...bearer("app"), "x-rafter-forwarded": "1" };
  const answer = await send(app, "POST", "/key", '{"key":"app/b","value":"1"}', headers);
  assertEquals(answer.status, 503);
  assertTrue(answer.body.error.startsWith("Cannot serve a forwarded request"));
});

Deno.test("over HTTPS without auth redirects and the status name the leader with https://", async () => {
  const node = new FakeNode();
  node.leaderHttpAddr = LEADER;
  const app = createApp(node, { scheme: "https" });
  const write = await send(app, "POST", "/key", '{"key":"a","value":"1"}');
  assertEquals(write.status, 307);
  assertEquals(write.headers.get("location"), `https://${LEADER}/key`);
  assertEquals((await send(app, "GET", "/status")).body.leaderHttpAddr, `https://${LEADER}`);
  const stats = await send(app, "GET", "/raft/stats");
  assertEquals(stats.body.data.raft.leader_http_addr, `https://${LEADER}`);
});

Deno.test("with auth on a body over the limit answers 413 and reaches nothing", async () => {
  const { node, app } = securedApp({ bodyBytesMax: 64 });
  const body = JSON.stringify({ key: "app/a", value: "x".repeat(100) });
  assertEquals((await send(app, "POST", "/key", body, bearer("app"))).status, 413);
  assertEquals((await send(app, "POST", "/key", body, bearer("reader"))).status, 413);
  assertEquals(node.calls, []);
});

Deno.test("a malformed body from a user answers 400 before any permission is granted", async () => {
  const { node, app } = securedApp();
  const answer = await send(app, "POST", "/key", "{oops", bearer("app"));
  assertEquals(answer.status, 400);
  assertTrue(answer.body.error.startsWith("Request body is not valid JSON"));
  const missing = await send(app, "POST", "/key", '{"value":"1"}', bearer("app"));
  assertEquals(missing.body, { error: 'Missing field "key"' });
  assertEquals(node.calls, []);
});

Deno.test("a browser page of another origin cannot change state with cached credentials", async () => {
  const { node, app } = securedApp();
  const body = JSON.stringify({ key: "app/a", value: "forged" });
  const forged = { ...basic("app"), origin: "https://evil.example", "content-type": "text/plain" };
  const answer = await send(app, "POST", "/key", body, forged);
  assertEquals(answer.status, 403);
  assertEquals(answer.body, {
    error: 'Cross-origin request from "https://evil.example" cannot change state',
  });
  assertEquals(node.calls, []);
  const sameOrigin = { ...basic("app"), origin: "http://127.0.0.1:8002" };
  assertEquals((await send(app, "POST", "/key", body, sameOrigin)).status, 200);
  const read = { ...basic("app"), origin: "https://evil.example" };
  assertEquals((await send(app, "GET", "/key?key=app/a&level=stale", undefined, read)).status, 200);
});

Deno.test("a lease revoke reaching a follower is checked by the leader against the keys it holds", async () => {
  const { leader, forwarded, app } = follower();
  const { id } = await leader.data.leaseGrant(60_000);
  await leader.data.putValue("app/l", "v0", { lease: id });
  const refused = await send(app, "DELETE", `/lease?id=${id}`, undefined, bearer("reader"));
  assertEquals(refused.status, 403);
  assertEquals(refused.body, { error: 'User "reader" lacks write permission on key "app/l"' });
  assertEquals((await leader.data.leaseInfo(id)).keys, ["app/l"]);
  const revoked = await send(app, "DELETE", `/lease?id=${id}`, undefined, bearer("app"));
  assertEquals(revoked.status, 200);
  assertEquals(revoked.body.deleted, 1);
  assertEquals(forwarded.length, 2);
  assertEquals((await send(app, "DELETE", `/lease?id=${id}`)).status, 401);
  assertEquals(forwarded.length, 2);
});

Deno.test("a header that authenticated is refused once a reload changes that user's token", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, authFileText());
    const auth = await AuthStore.load(path);
    const node = new FakeNode();
    node.records.set("app/a", { key: "app/a", value: "v0", createIndex: 1, modIndex: 1 });
    const app = createApp(node, { auth });
    const read = () => send(app, "GET", "/key?key=app/a&level=stale", undefined, bearer("app"));
    assertEquals((await read()).status, 200);
    assertEquals((await read()).status, 200);
    assertEquals(auth.callers.size, 1);
    const rules = JSON.parse(authFileText());
    rules.users[0].tokenSha256 = hashToken("a-new-token-0123456789abcdef");
    await Deno.writeTextFile(path, JSON.stringify(rules));
    assertEquals(await auth.reload(), true);
    assertEquals((await read()).status, 401);
    const wrong = { authorization: "Bearer not-a-token-0123456789" };
    assertEquals((await send(app, "GET", "/key?key=app/a", undefined, wrong)).status, 401);
    assertEquals(auth.callers.size, 0);
  } finally {
    await Deno.remove(path);
  }
});
