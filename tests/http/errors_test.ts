import { assertEquals } from "../assert.ts";
import { NotLeaderError, RejectedError, UnavailableError } from "../../src/api.ts";
import { createApp } from "../../src/http/mod.ts";
import { FakeNode } from "./fake_node.ts";
import { post, send } from "./send.ts";

function follower(leaderHttpAddr: string) {
  const node = new FakeNode();
  node.leaderHttpAddr = leaderHttpAddr;
  return { node, app: createApp(node) };
}

Deno.test("a follower redirects with 307 to the same path and query on the leader", async () => {
  const { app } = follower("127.0.0.1:8001");
  const read = await send(app, "GET", "/key?key=a%20b&level=default");
  assertEquals(read.status, 307);
  assertEquals(read.headers.get("location"), "http://127.0.0.1:8001/key?key=a%20b&level=default");
  assertEquals(read.body, { error: 'Not the leader; the leader is at "127.0.0.1:8001"' });
  const write = await post(app, "/key", { key: "a", value: "1" });
  assertEquals(write.status, 307);
  assertEquals(write.headers.get("location"), "http://127.0.0.1:8001/key");
  const remove = await send(app, "DELETE", "/key/?key=a");
  assertEquals(remove.headers.get("location"), "http://127.0.0.1:8001/key/?key=a");
});

Deno.test("a follower still serves stale and consistent reads itself", async () => {
  const { node, app } = follower("127.0.0.1:8001");
  node.records.set("a", { key: "a", value: "1", createIndex: 1, modIndex: 1 });
  assertEquals((await send(app, "GET", "/key?key=a&level=stale")).status, 200);
  assertEquals((await send(app, "GET", "/key?key=a&level=consistent")).status, 200);
});

Deno.test("no known leader answers 503 with Retry-After", async () => {
  const { app } = follower("");
  const answer = await post(app, "/key", { key: "a", value: "1" });
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "1");
  assertEquals(answer.body, { error: "No leader is known", indeterminate: false });
});

Deno.test("an unavailable node answers 503 with the configured Retry-After", async () => {
  const node = new FakeNode();
  node.error = new UnavailableError("Too many proposals in flight");
  const app = createApp(node, { retryAfterSeconds: 3 });
  const answer = await send(app, "GET", "/key?key=a&level=consistent");
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "3");
  assertEquals(answer.body, { error: "Too many proposals in flight", indeterminate: false });
  node.error = new UnavailableError("Request timed out waiting for the cluster", true);
  const unknown = await post(app, "/key", { key: "a", value: "1" });
  assertEquals(unknown.status, 503);
  assertEquals(unknown.body, {
    error: "Request timed out waiting for the cluster",
    indeterminate: true,
  });
});

Deno.test("a rejected request answers 400 and anything unexpected 500, both as JSON", async () => {
  const node = new FakeNode();
  const app = createApp(node);
  node.error = new RejectedError('Cannot join: node id "n2" is already a member');
  const rejected = await send(app, "GET", "/join?id=n2&addr=127.0.0.1:7002");
  assertEquals(rejected.status, 400);
  assertEquals(rejected.body, { error: 'Cannot join: node id "n2" is already a member' });
  node.error = new TypeError("boom");
  const failed = await post(app, "/key", { key: "a", value: "1" });
  assertEquals(failed.status, 500);
  assertEquals(failed.body, { error: "Internal error: boom" });
});

Deno.test("a NotLeaderError thrown by any route maps the same way", async () => {
  const node = new FakeNode();
  node.error = new NotLeaderError("10.0.0.1:9000");
  const answer = await send(createApp(node), "POST", "/remove?id=n3");
  assertEquals(answer.status, 307);
  assertEquals(answer.headers.get("location"), "http://10.0.0.1:9000/remove?id=n3");
});
