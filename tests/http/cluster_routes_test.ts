import { assertEquals } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
import { post, send } from "./send.ts";

Deno.test("GET /join with query parameters adds the member", async () => {
  const { node, app } = fakeApp();
  const answer = await send(
    app,
    "GET",
    "/join?id=n2&addr=127.0.0.1:7002&httpAddr=127.0.0.1:8002",
  );
  assertEquals(answer.status, 200);
  assertEquals(answer.body, { id: "n2", index: 2 });
  assertEquals(node.calls, [{
    op: "join",
    args: [{ id: "n2", raftAddr: "127.0.0.1:7002", httpAddr: "127.0.0.1:8002" }],
  }]);
});

Deno.test("POST /join takes a JSON body or query parameters; httpAddr is optional", async () => {
  const { node, app } = fakeApp();
  assertEquals((await post(app, "/join", { id: "n3", addr: "localhost:7003" })).body, {
    id: "n3",
    index: 2,
  });
  assertEquals((await send(app, "POST", "/join?id=n4&addr=[::1]:7004")).status, 200);
  assertEquals(node.calls.map((call) => call.args[0]), [
    { id: "n3", raftAddr: "localhost:7003", httpAddr: "" },
    { id: "n4", raftAddr: "[::1]:7004", httpAddr: "" },
  ]);
});

Deno.test("/join refuses missing ids and bad addresses with 400", async () => {
  const { node, app } = fakeApp();
  assertEquals((await send(app, "GET", "/join?addr=127.0.0.1:7002")).body, {
    error: 'Missing field "id"',
  });
  assertEquals((await send(app, "GET", "/join?id=n2")).body, { error: 'Missing field "addr"' });
  assertEquals((await send(app, "GET", "/join?id=n2&addr=127.0.0.1")).body, {
    error: 'Invalid address "127.0.0.1" in "addr": expected host:port',
  });
  assertEquals((await send(app, "GET", "/join?id=n2&addr=h:0")).body, {
    error: 'Invalid port "0" in "addr": expected 1 to 65535',
  });
  assertEquals((await send(app, "GET", "/join?id=n2&addr=h:65536")).status, 400);
  assertEquals((await send(app, "GET", "/join?id=n2&addr=h:65535")).status, 200);
  assertEquals((await send(app, "GET", "/join?id=n2&addr=h:1&httpAddr=nope")).status, 400);
  assertEquals((await send(app, "GET", "/join?id=a%20b&addr=h:1")).status, 400);
  assertEquals((await post(app, "/join", { id: 2, addr: "h:1" })).body, {
    error: 'Field "id" must be a string',
  });
  assertEquals((await post(app, "/join", "{oops")).status, 400);
  assertEquals(node.calls.length, 1);
});

Deno.test("/remove takes the id from the query or a JSON body", async () => {
  const { node, app } = fakeApp();
  await send(app, "GET", "/join?id=n2&addr=127.0.0.1:7002");
  assertEquals((await send(app, "GET", "/remove?id=n2")).body, { id: "n2", index: 3 });
  assertEquals((await post(app, "/remove", { id: "n3" })).body, { id: "n3", index: 4 });
  assertEquals((await send(app, "POST", "/remove")).body, { error: 'Missing field "id"' });
  assertEquals(node.calls.slice(1).map((call) => call.args), [["n2"], ["n3"]]);
  assertEquals(node.members.map((member) => member.id), ["n1"]);
});

Deno.test("GET /status answers the node's status", async () => {
  const { node, app } = fakeApp();
  const answer = await send(app, "GET", "/status");
  assertEquals(answer.status, 200);
  assertEquals(answer.body.id, "n1");
  assertEquals(answer.body.role, "leader");
  assertEquals(answer.body.members, node.status().members);
  assertEquals(answer.body.leaderHttpAddr, "127.0.0.1:8001");
});
