import { assertEquals } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import { FakeNode, forwardingPair, member, PAIR_LEADER } from "./fake_node.ts";
import { post, send } from "./send.ts";

const LEADER = PAIR_LEADER;
const cluster = forwardingPair;

Deno.test("proxy: POST /set on the leader writes without forwarding", async () => {
  const { leader, forwarded } = cluster();
  const answer = await post(createApp(leader), "/set", { key: "a", value: "1" });
  assertEquals(answer.status, 200);
  assertEquals(forwarded.length, 0);
});

Deno.test("proxy: POST /set on a follower is forwarded and answered by the leader", async () => {
  const { leader, follower, app, forwarded } = cluster();
  const answer = await post(app, "/set", { key: "a", value: "1" });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "a", index: 2 });
  assertEquals(answer.headers.get("content-type"), "application/json");
  assertEquals(leader.records.get("a")?.value, "1");
  assertEquals(follower.records.size, 0);
  const request = forwarded[0]!;
  assertEquals(request.method, "POST");
  assertEquals(request.url, "http://127.0.0.1:8001/set");
  assertEquals(request.headers.get("x-rafter-forwarded"), "1");
  assertEquals(await request.json(), { key: "a", value: "1" });
});

Deno.test("proxy: POST /delete is forwarded from a follower, and local on the leader", async () => {
  const { leader, app } = cluster();
  leader.records.set("a", { key: "a", value: "1", createIndex: 1, modIndex: 1 });
  const answer = await post(app, "/delete", { key: "a" });
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { key: "a", deleted: true, index: 2 });
  assertEquals(leader.records.size, 0);
  const local = await post(createApp(leader), "/delete", { key: "a" });
  assertEquals(local.body, { key: "a", deleted: false, index: 3 });
});

Deno.test("proxy: POST /delete refuses an invalid body with 400 before forwarding", async () => {
  const { app, forwarded } = cluster();
  assertEquals((await post(app, "/delete", {})).body, { error: 'Missing field "key"' });
  assertEquals((await post(app, "/delete", "{")).status, 400);
  assertEquals(forwarded.length, 0);
});

Deno.test("proxy: GET /get reads the follower's own state", async () => {
  const { follower, app, forwarded } = cluster();
  follower.records.set("a", { key: "a", value: "1", createIndex: 1, modIndex: 1 });
  assertEquals((await send(app, "GET", "/get?key=a")).body.value, "1");
  assertEquals((await send(app, "GET", "/get?key=b")).status, 404);
  assertEquals(forwarded.length, 0);
});

Deno.test("proxy: GET /join?peerAddress joins with no id, forwarded to the leader", async () => {
  const { leader, app, forwarded } = cluster();
  const answer = await send(app, "GET", "/join?peerAddress=127.0.0.1:7003");
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { id: "learned-127.0.0.1:7003", index: 2 });
  assertEquals(leader.calls[0]?.args[0], { id: "", raftAddr: "127.0.0.1:7003", httpAddr: "" });
  assertEquals(forwarded[0]?.url, "http://127.0.0.1:8001/join?peerAddress=127.0.0.1:7003");
  assertEquals(forwarded[0]?.method, "GET");
  assertEquals((await send(app, "GET", "/join?peerAddress=nope")).status, 400);
});

Deno.test("proxy: GET /status adds me, leader and followers to rafter's status", async () => {
  const { follower, app } = cluster();
  follower.members = [
    member("n1", "127.0.0.1:7001", LEADER),
    member("n2", "127.0.0.1:7002", "127.0.0.1:8002"),
  ];
  const answer = await send(app, "GET", "/status");
  assertEquals(answer.status, 200);
  assertEquals(answer.body.role, "follower");
  assertEquals(answer.body.leaderHttpAddr, LEADER);
  assertEquals(answer.body.me, {
    id: "n2",
    address: "127.0.0.1:7002",
    httpAddress: "127.0.0.1:8002",
  });
  assertEquals(answer.body.leader, { id: "n1", address: "127.0.0.1:7001", httpAddress: LEADER });
  assertEquals(answer.body.followers, [
    { id: "n2", address: "127.0.0.1:7002", httpAddress: "127.0.0.1:8002" },
  ]);
});

Deno.test("proxy: a forwarded request reaching another follower is not forwarded again", async () => {
  const { app, forwarded } = cluster();
  const headers = { "x-rafter-forwarded": "1" };
  const answer = await send(app, "POST", "/delete", '{"key":"a"}', headers);
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "1");
  assertEquals(answer.body, {
    error: 'Cannot serve a forwarded request: leadership moved to "127.0.0.1:8001"',
    indeterminate: false,
  });
  const set = await send(app, "POST", "/set", '{"key":"a","value":"1"}', headers);
  assertEquals(set.status, 500);
  assertEquals(forwarded.length, 0);
});

Deno.test("proxy: an unreachable leader answers 503 on /delete and 500 on /set", async () => {
  const follower = new FakeNode();
  follower.leaderHttpAddr = LEADER;
  const fetch = () => Promise.reject(new TypeError("connection refused"));
  const app = createApp(follower, { fetch });
  const deleted = await post(app, "/delete", { key: "a" });
  assertEquals(deleted.status, 503);
  assertEquals(deleted.body, {
    error: 'Cannot forward to the leader at "127.0.0.1:8001": connection refused',
    indeterminate: false,
  });
  assertEquals((await post(app, "/set", { key: "a", value: "1" })).status, 500);
});

Deno.test("proxy: a leader that does not answer in time gives 503", async () => {
  const follower = new FakeNode();
  follower.leaderHttpAddr = LEADER;
  const fetch = (_input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(new Error("aborted")));
    });
  const app = createApp(follower, { fetch, forwardTimeoutMs: 5 });
  const answer = await send(app, "GET", "/join?peerAddress=127.0.0.1:7003");
  assertEquals(answer.status, 503);
  assertEquals(answer.body, {
    error: 'Cannot forward to the leader at "127.0.0.1:8001": no answer within 5 ms',
    indeterminate: true,
  });
});

Deno.test("proxy: with no known leader a follower's write answers 503 on /delete", async () => {
  const follower = new FakeNode();
  follower.leaderHttpAddr = "";
  const answer = await post(createApp(follower), "/delete", { key: "a" });
  assertEquals(answer.status, 503);
  assertEquals(answer.headers.get("retry-after"), "1");
});
