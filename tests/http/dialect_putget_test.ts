import { assertEquals } from "../assert.ts";
import { fakeApp, forwardingPair } from "./fake_node.ts";
import { send } from "./send.ts";

Deno.test("put/get: PUT /put writes and GET /get reads", async () => {
  const { app } = fakeApp();
  const put = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  assertEquals(put.status, 200);
  assertEquals(put.body, { key: "a", index: 2 });
  const got = await send(app, "GET", "/get?key=a");
  assertEquals(got.status, 200);
  assertEquals(got.body, { key: "a", value: "1", createIndex: 2, modIndex: 2 });
  assertEquals((await send(app, "GET", "/get?key=b")).status, 404);
  assertEquals((await send(app, "GET", "/get")).status, 400);
});

Deno.test("put/get: PUT /put refuses invalid bodies with 400", async () => {
  const { node, app } = fakeApp();
  assertEquals((await send(app, "PUT", "/put", "{}")).body, { error: 'Missing field "key"' });
  assertEquals((await send(app, "PUT", "/put", "oops")).status, 400);
  assertEquals((await send(app, "PUT", "/put")).status, 400);
  assertEquals(node.calls, []);
});

Deno.test("put/get: DELETE /delete?key=K deletes", async () => {
  const { node, app } = fakeApp();
  await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  const answer = await send(app, "DELETE", "/delete?key=a");
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "a", deleted: true, index: 3 });
  assertEquals((await send(app, "DELETE", "/delete?key=a")).body.deleted, false);
  assertEquals((await send(app, "DELETE", "/delete")).status, 400);
  assertEquals(node.records.size, 0);
});

Deno.test("put/get: POST /set/:key/:value writes the decoded path segments", async () => {
  const { node, app } = fakeApp();
  const path = `/set/${encodeURIComponent("clé 1")}/${encodeURIComponent("välue ?&")}`;
  const answer = await send(app, "POST", path);
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "clé 1", index: 2 });
  assertEquals(node.records.get("clé 1")?.value, "välue ?&");
  assertEquals((await send(app, "POST", `/set/${"k".repeat(4097)}/v`)).status, 400);
});

Deno.test("put/get: writes on a follower are forwarded to the leader and its answer relayed", async () => {
  const { leader, follower, app, forwarded } = forwardingPair();
  const put = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  assertEquals(put.status, 200);
  assertEquals(put.body, { key: "a", index: 2 });
  const set = await send(app, "POST", "/set/b/2");
  assertEquals(set.body, { key: "b", index: 3 });
  const deleted = await send(app, "DELETE", "/delete?key=a");
  assertEquals(deleted.body, { key: "a", deleted: true, index: 4 });
  assertEquals([...leader.records.keys()], ["b"]);
  assertEquals(follower.records.size, 0);
  assertEquals(
    forwarded.map((request) => `${request.method} ${request.url}`),
    [
      "PUT http://127.0.0.1:8001/put",
      "POST http://127.0.0.1:8001/set/b/2",
      "DELETE http://127.0.0.1:8001/delete?key=a",
    ],
  );
  assertEquals(forwarded.every((r) => r.headers.get("x-rafter-forwarded") === "1"), true);
  assertEquals(await forwarded[0]!.json(), { key: "a", value: "1" });
});

Deno.test("put/get: invalid writes on a follower answer 400 without forwarding", async () => {
  const { app, forwarded } = forwardingPair();
  assertEquals((await send(app, "PUT", "/put", "{}")).status, 400);
  assertEquals((await send(app, "DELETE", "/delete")).status, 400);
  assertEquals((await send(app, "POST", `/set/${"k".repeat(4097)}/v`)).status, 400);
  assertEquals(forwarded.length, 0);
});

Deno.test("put/get: a forwarded write that reaches a follower answers 503, never loops", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "127.0.0.1:8003";
  const headers = { "x-rafter-forwarded": "1" };
  const answer = await app.request("/set/a/1", { method: "POST", headers });
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "1");
  assertEquals(node.records.size, 0);
});

Deno.test("put/get: with no leader known a write answers 503 with Retry-After", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "";
  const answer = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "1");
});
