import { assertEquals } from "../assert.ts";
import { UnavailableError } from "../../src/api.ts";
import { fakeApp } from "./fake_node.ts";
import { post, send } from "./send.ts";

Deno.test("set/get: POST /set writes, with or without action set", async () => {
  const { node, app } = fakeApp();
  const plain = await post(app, "/set", { key: "a", value: "1" });
  assertEquals(plain.status, 200);
  assertEquals(plain.body, { key: "a", index: 2 });
  assertEquals((await post(app, "/set", { key: "b", value: "2", action: "set" })).status, 200);
  assertEquals(node.records.get("b")?.value, "2");
});

Deno.test("set/get: POST /set with action delete deletes", async () => {
  const { node, app } = fakeApp();
  await post(app, "/set", { key: "a", value: "1" });
  const answer = await post(app, "/set", { key: "a", action: "delete" });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "a", deleted: true, index: 3 });
  assertEquals(node.records.has("a"), false);
});

Deno.test("set/get: POST /set answers 400 to an invalid body", async () => {
  const { node, app } = fakeApp();
  assertEquals((await post(app, "/set", "not json")).status, 400);
  assertEquals((await post(app, "/set", { value: "1" })).body, { error: 'Missing field "key"' });
  assertEquals((await post(app, "/set", { key: "a" })).body, { error: 'Missing field "value"' });
  assertEquals((await post(app, "/set", { key: "a", value: "1", action: "drop" })).body, {
    error: 'Invalid action "drop": expected set or delete',
  });
  assertEquals((await post(app, "/set", { key: "a", value: 1 })).status, 400);
  assertEquals(node.calls, []);
});

Deno.test("set/get: POST /set answers 500 when the write fails", async () => {
  const { node, app } = fakeApp();
  node.error = new UnavailableError("Timed out waiting for the commit");
  const failed = await post(app, "/set", { key: "a", value: "1" });
  assertEquals(failed.status, 500);
  assertEquals(failed.body, { error: "Write failed: Timed out waiting for the commit" });
  node.error = null;
  node.leaderHttpAddr = "";
  const leaderless = await post(app, "/set", { key: "a", action: "delete" });
  assertEquals(leaderless.status, 500);
  assertEquals(leaderless.body, { error: "Write failed: No leader is known" });
});

Deno.test("set/get: GET /get answers key and value, 400 without key, 404 when absent", async () => {
  const { node, app } = fakeApp();
  await post(app, "/set", { key: "a", value: "1" });
  const found = await send(app, "GET", "/get?key=a");
  assertEquals(found.status, 200);
  assertEquals(found.body.key, "a");
  assertEquals(found.body.value, "1");
  assertEquals((await send(app, "GET", "/get")).status, 400);
  assertEquals((await send(app, "GET", "/get?key=")).status, 400);
  const missing = await send(app, "GET", "/get?key=zz");
  assertEquals(missing.status, 404);
  assertEquals(missing.body, { error: 'Key "zz" not found' });
  // A local read unless told otherwise, so followers answer it.
  assertEquals(node.calls.filter((call) => call.op === "get").map((call) => call.args[1]), [
    "stale",
    "stale",
  ]);
});

Deno.test("set/get: GET /get on a follower answers from local state", async () => {
  const { node, app } = fakeApp();
  node.records.set("a", { key: "a", value: "1", createIndex: 2, modIndex: 2 });
  node.leaderHttpAddr = "127.0.0.1:8001";
  assertEquals((await send(app, "GET", "/get?key=a")).body.value, "1");
});

Deno.test("set/get: POST /join?nodeid&nodeaddr adds a voter on the leader", async () => {
  const { node, app } = fakeApp();
  const answer = await send(app, "POST", "/join?nodeid=n2&nodeaddr=127.0.0.1:7002");
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { id: "n2", index: 2 });
  assertEquals(node.calls[0]?.args[0], { id: "n2", raftAddr: "127.0.0.1:7002", httpAddr: "" });
});

Deno.test("set/get: POST /join on a follower answers 400, not a redirect", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const answer = await send(app, "POST", "/join?nodeid=n2&nodeaddr=127.0.0.1:7002");
  assertEquals(answer.status, 400);
  assertEquals(answer.headers.get("location"), null);
  assertEquals(answer.body, {
    error:
      'Cannot join: this node is not the leader (Not the leader; the leader is at "127.0.0.1:8001")',
  });
  node.leaderHttpAddr = "";
  const leaderless = await send(app, "POST", "/join?nodeid=n2&nodeaddr=127.0.0.1:7002");
  assertEquals(leaderless.body, {
    error: "Cannot join: this node is not the leader (no leader is known)",
  });
});

Deno.test("set/get: POST /join with a bad nodeid or nodeaddr answers 400", async () => {
  const { node, app } = fakeApp();
  assertEquals((await send(app, "POST", "/join?nodeid=n2")).body, {
    error: 'Missing field "nodeaddr"',
  });
  assertEquals((await send(app, "POST", "/join?nodeaddr=127.0.0.1:7002")).body, {
    error: 'Missing field "nodeid"',
  });
  assertEquals((await send(app, "POST", "/join?nodeid=n2&nodeaddr=7002")).status, 400);
  assertEquals(node.calls, []);
});
