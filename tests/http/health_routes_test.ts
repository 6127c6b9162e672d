import { assertEquals } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
import { send } from "./send.ts";

Deno.test("GET /livez answers 200 whatever the cluster's state", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "";
  node.error = new Error("every call fails");
  const answer = await send(app, "GET", "/livez");
  assertEquals([answer.status, answer.body], [200, { live: true }]);
});

Deno.test("GET /readyz answers 200 with a known, recently heard leader and nothing left to apply", async () => {
  const { node, app } = fakeApp({ electionTimeoutMs: 300 });
  node.leaderHttpAddr = "127.0.0.1:8001";
  node.leaderContactMs = 120;
  const answer = await send(app, "GET", "/readyz");
  assertEquals([answer.status, answer.body], [200, {
    ready: true,
    leaderId: "n1",
    commitIndex: 1,
    appliedIndex: 1,
  }]);
});

Deno.test("GET /readyz answers 503 without a leader, unless ?noleader", async () => {
  const { node, app } = fakeApp();
  node.leaderHttpAddr = "";
  node.leaderContactMs = -1;
  const answer = await send(app, "GET", "/readyz");
  assertEquals([answer.status, answer.body.ready, answer.body.error], [
    503,
    false,
    "No leader is known",
  ]);
  assertEquals((await send(app, "GET", "/readyz?noleader")).status, 200);
  assertEquals((await send(app, "GET", "/readyz?noleader=true")).status, 200);
});

Deno.test("GET /readyz answers 503 when the leader was not heard within an election timeout", async () => {
  const { node, app } = fakeApp({ electionTimeoutMs: 300 });
  node.leaderHttpAddr = "127.0.0.1:8001";
  node.leaderContactMs = 301;
  const answer = await send(app, "GET", "/readyz");
  assertEquals(answer.status, 503);
  assertEquals(
    answer.body.error,
    'Leader "n1" not heard from within the election timeout of 300 ms (last contact "301" ms ago)',
  );
  node.leaderContactMs = 300;
  assertEquals((await send(app, "GET", "/readyz")).status, 200);
  node.leaderContactMs = undefined;
  assertEquals((await send(app, "GET", "/readyz")).status, 200, "a node that cannot tell");
});

Deno.test("GET /readyz answers 503 while applied lags the commit index, ?noleader too", async () => {
  const { node, app } = fakeApp();
  for (let i = 0; i < 5; i++) await node.put(`k${i}`, "v");
  node.appliedLag = 2;
  for (const path of ["/readyz", "/readyz?noleader"]) {
    const answer = await send(app, "GET", path);
    assertEquals([answer.status, answer.body.error], [
      503,
      'Applied index "4" is behind the commit index "6"',
    ]);
  }
  node.appliedLag = 0;
  assertEquals((await send(app, "GET", "/readyz")).status, 200);
});
