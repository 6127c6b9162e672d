import { assertEquals } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
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

Deno.test("put/get: writes on a follower are redirected with 307", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const put = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  assertEquals(put.status, 307);
  assertEquals(put.headers.get("location"), "http://127.0.0.1:8001/put");
  const deleted = await send(app, "DELETE", "/delete?key=a");
  assertEquals(deleted.headers.get("location"), "http://127.0.0.1:8001/delete?key=a");
  const set = await send(app, "POST", "/set/a/1");
  assertEquals(set.headers.get("location"), "http://127.0.0.1:8001/set/a/1");
});
