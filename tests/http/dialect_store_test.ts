import { assertEquals } from "../assert.ts";
import { fakeApp, member } from "./fake_node.ts";
import { post, send } from "./send.ts";

Deno.test("store: POST /store/ persists and GET /store/:key fetches, in the envelope", async () => {
  const { app } = fakeApp();
  const stored = await post(app, "/store/", { key: "raft", value: "paxos" });
  assertEquals(stored.status, 200);
  assertEquals(stored.body, {
    data: { key: "raft", value: "paxos" },
    message: "success persisting data",
  });
  assertEquals((await post(app, "/store", { key: "b", value: "2" })).status, 200);
  const fetched = await send(app, "GET", "/store/raft");
  assertEquals(fetched.status, 200);
  assertEquals(fetched.body, {
    data: { key: "raft", value: "paxos" },
    message: "success fetching data",
  });
  assertEquals((await send(app, "GET", `/store/${encodeURIComponent("a b/é")}`)).status, 404);
});

Deno.test("store: GET /store/:key answers 404 for a missing key, 400 for a long one", async () => {
  const { app } = fakeApp();
  const missing = await send(app, "GET", "/store/nope");
  assertEquals(missing.status, 404);
  assertEquals(missing.body, { error: 'Key "nope" not found' });
  assertEquals((await send(app, "GET", `/store/${"k".repeat(4097)}`)).status, 400);
});

Deno.test("store: POST /store/ refuses invalid bodies with 400 and redirects on a follower", async () => {
  const { node, app } = fakeApp();
  assertEquals((await post(app, "/store/", "{")).status, 400);
  assertEquals((await post(app, "/store/", { key: "a" })).body, { error: 'Missing field "value"' });
  node.leaderHttpAddr = "127.0.0.1:8001";
  const redirected = await post(app, "/store/", { key: "a", value: "1" });
  assertEquals(redirected.status, 307);
  assertEquals(redirected.headers.get("location"), "http://127.0.0.1:8001/store/");
});

Deno.test("store: DELETE /store/:key removes the key", async () => {
  const { node, app } = fakeApp();
  await post(app, "/store/", { key: "a", value: "1" });
  const answer = await send(app, "DELETE", "/store/a");
  assertEquals(answer.status, 200);
  assertEquals(answer.body, {
    data: { key: "a", deleted: true },
    message: "success removing data",
  });
  assertEquals(node.records.size, 0);
});

Deno.test("store: POST /raft/join adds the node by id and raft address", async () => {
  const { node, app } = fakeApp();
  const answer = await post(app, "/raft/join", { node_id: "n2", raft_address: "127.0.0.1:7002" });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, {
    data: { id: "n2", raftAddr: "127.0.0.1:7002", index: 2 },
    message: "node n2 at 127.0.0.1:7002 joined successfully",
  });
  assertEquals(node.calls[0]?.args[0], { id: "n2", raftAddr: "127.0.0.1:7002", httpAddr: "" });
});

Deno.test("store: POST /raft/join answers 400 to bad input and 307 on a follower", async () => {
  const { node, app } = fakeApp();
  assertEquals((await post(app, "/raft/join", { raft_address: "127.0.0.1:7002" })).body, {
    error: 'Missing field "node_id"',
  });
  assertEquals((await post(app, "/raft/join", { node_id: "n2", raft_address: "x" })).status, 400);
  node.leaderHttpAddr = "127.0.0.1:8001";
  const redirected = await post(app, "/raft/join", {
    node_id: "n2",
    raft_address: "127.0.0.1:7002",
  });
  assertEquals(redirected.status, 307);
  assertEquals(redirected.headers.get("location"), "http://127.0.0.1:8001/raft/join");
});

Deno.test("store: POST /raft/remove removes the node", async () => {
  const { node, app } = fakeApp();
  node.members.push(member("n2", "127.0.0.1:7002", "127.0.0.1:8002"));
  const answer = await post(app, "/raft/remove", {
    node_id: "n2",
    raft_address: "127.0.0.1:7002",
  });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, {
    data: { id: "n2", index: 2 },
    message: "node n2 removed successfully",
  });
  assertEquals(node.members.map((m) => m.id), ["n1"]);
  assertEquals((await post(app, "/raft/remove", { node_id: "n3" })).status, 200);
  assertEquals((await post(app, "/raft/remove", {})).body, { error: 'Missing field "node_id"' });
  assertEquals((await post(app, "/raft/remove", { node_id: "n3", raft_address: "?" })).status, 400);
});

Deno.test("store: GET /raft/stats answers node and raft statistics", async () => {
  const { node, app } = fakeApp();
  node.members.push({ ...member("n2", "127.0.0.1:7002", ""), voter: false });
  const answer = await send(app, "GET", "/raft/stats");
  assertEquals(answer.status, 200);
  assertEquals(answer.body.message, "here is the raft status");
  assertEquals(answer.body.data.node, {
    id: "n1",
    clusterId: "c0ffee",
    raftAddr: "127.0.0.1:7001",
    httpAddr: "127.0.0.1:8001",
  });
  assertEquals(answer.body.data.raft.state, "Leader");
  assertEquals(answer.body.data.raft.term, "2");
  assertEquals(answer.body.data.raft.num_peers, "0");
  assertEquals(answer.body.data.raft.latest_configuration, [
    { id: "n1", address: "127.0.0.1:7001", suffrage: "Voter" },
    { id: "n2", address: "127.0.0.1:7002", suffrage: "Nonvoter" },
  ]);
});

Deno.test("store: writes on a follower redirect; with no leader they answer 503", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const deleted = await send(app, "DELETE", "/store/a");
  assertEquals(deleted.status, 307);
  assertEquals(deleted.headers.get("location"), "http://127.0.0.1:8001/store/a");
  const removed = await post(app, "/raft/remove", { node_id: "n3" });
  assertEquals(removed.headers.get("location"), "http://127.0.0.1:8001/raft/remove");
  node.leaderHttpAddr = "";
  const leaderless = await post(app, "/store/", { key: "a", value: "1" });
  assertEquals(leaderless.status, 503);
  assertEquals(leaderless.headers.get("retry-after"), "1");
  // Reads stay local and keep working.
  assertEquals((await send(app, "GET", "/raft/stats")).body.data.raft.state, "Follower");
});
