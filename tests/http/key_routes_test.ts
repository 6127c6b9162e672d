import { assertEquals } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
import { post, send } from "./send.ts";

Deno.test("POST /key writes and answers the key and index, whatever the content type", async () => {
  const { node, app } = fakeApp();
  const answer = await post(app, "/key", { key: "raft", value: "paxos" });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "raft", index: 2 });
  assertEquals(answer.headers.get("content-type"), "application/json");
  assertEquals(node.calls, [{ op: "put", args: ["raft", "paxos"] }]);
  const plain = await send(app, "POST", "/key", '{"key":"k","value":""}');
  assertEquals(plain.body, { key: "k", index: 3 });
});

Deno.test("GET /key answers the record, at the default level unless told", async () => {
  const { node, app } = fakeApp();
  await post(app, "/key", { key: "raft", value: "paxos" });
  const answer = await send(app, "GET", "/key?key=raft");
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "raft", value: "paxos", createIndex: 2, modIndex: 2 });
  for (const level of ["stale", "default", "consistent"]) {
    assertEquals((await send(app, "GET", `/key?key=raft&level=${level}`)).status, 200);
  }
  assertEquals(node.calls.slice(1).map((call) => call.args[1]), [
    "default",
    "stale",
    "default",
    "consistent",
  ]);
});

Deno.test("GET /key decodes percent-encoded unicode keys", async () => {
  const { app } = fakeApp();
  await post(app, "/key", { key: "clé 🦀", value: "v" });
  const answer = await send(app, "GET", `/key?key=${encodeURIComponent("clé 🦀")}&level=stale`);
  assertEquals(answer.body.key, "clé 🦀");
});

Deno.test("GET /key of a missing key answers 404 naming the key", async () => {
  const { app } = fakeApp();
  const answer = await send(app, "GET", "/key?key=nope");
  assertEquals(answer.status, 404);
  assertEquals(answer.body, { error: 'Key "nope" not found' });
});

Deno.test("GET /key refuses a bad level, a missing key and an empty key with 400", async () => {
  const { node, app } = fakeApp();
  const bad = await send(app, "GET", "/key?key=a&level=eventual");
  assertEquals(bad.status, 400);
  assertEquals(bad.body, {
    error: 'Invalid read level "eventual": expected stale, default or consistent',
  });
  assertEquals((await send(app, "GET", "/key")).body, { error: 'Missing field "key"' });
  assertEquals((await send(app, "GET", "/key?key=")).status, 400);
  assertEquals(node.calls, []);
});

Deno.test("DELETE /key and /key/ answer whether the key existed", async () => {
  const { node, app } = fakeApp();
  await post(app, "/key", { key: "a", value: "1" });
  const first = await send(app, "DELETE", "/key?key=a");
  assertEquals(first.status, 200);
  assertEquals(first.body, { key: "a", deleted: true, index: 3 });
  const again = await send(app, "DELETE", "/key/?key=a");
  assertEquals(again.body, { key: "a", deleted: false, index: 4 });
  assertEquals((await send(app, "DELETE", "/key")).status, 400);
  assertEquals(node.records.size, 0);
});

Deno.test("unknown routes and methods answer 404 JSON", async () => {
  const { app } = fakeApp();
  const answer = await send(app, "GET", "/nope");
  assertEquals(answer.status, 404);
  assertEquals(answer.body, { error: "No route for GET /nope" });
  assertEquals((await send(app, "PATCH", "/key?key=a")).status, 404);
});
