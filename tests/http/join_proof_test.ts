/**
 * `/join` with auth on takes a proof of the cluster secret in place of an
 * admin token (what a node started with `--join` and the secret sends); a
 * wrong, stale or misplaced proof is a 401 and reaches nothing.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import { ClusterSecret, JOIN_PROOF_HEADER, joinProof } from "../../src/secret/mod.ts";
import { bearer, securedApp, testAuth } from "./auth_users.ts";
import { FakeNode } from "./fake_node.ts";
import { send } from "./send.ts";

const BODY = JSON.stringify({ id: "n4", addr: "127.0.0.1:7004", httpAddr: "127.0.0.1:8004" });

function secretOf(fill: string): Promise<ClusterSecret> {
  return ClusterSecret.parse(fill.repeat(32), "test");
}

async function proofHeader(
  secret: ClusterSecret,
  body = BODY,
  atMs = Date.now(),
): Promise<Record<string, string>> {
  return { [JOIN_PROOF_HEADER]: await joinProof(secret, new TextEncoder().encode(body), atMs) };
}

const joins = (node: FakeNode) => node.calls.filter((call) => call.op === "join");

Deno.test("with auth on, POST /join takes a proof of the cluster secret instead of an admin token", async () => {
  const secret = await secretOf("s");
  const { node, app } = securedApp({ clusterSecret: secret });
  const answer = await send(app, "POST", "/join", BODY, await proofHeader(secret));
  assertEquals(answer.status, 200, JSON.stringify(answer.body));
  assertEquals(answer.body.id, "n4");
  assertEquals(joins(node).length, 1);
  // The admin's token still works; a node in the middle of a rotation proves with its first
  // secret, and one holding the next secret too accepts either.
  assertEquals((await send(app, "POST", "/join", BODY, bearer("ops"))).status, 200);
  const rotated = await ClusterSecret.parse(`${"t".repeat(32)}\n${"s".repeat(32)}`, "test");
  const { app: rotating } = securedApp({ clusterSecret: rotated });
  assertEquals(
    (await send(rotating, "POST", "/join", BODY, await proofHeader(secret))).status,
    200,
  );
  assertEquals(
    (await send(rotating, "POST", "/join", BODY, await proofHeader(rotated))).status,
    200,
  );
  assertEquals((await send(app, "POST", "/join", BODY, await proofHeader(rotated))).status, 401);
});

Deno.test("a wrong, stale, malformed or misplaced join proof answers 401 and joins nothing", async () => {
  const secret = await secretOf("s");
  const { node, app } = securedApp({ clusterSecret: secret });
  const cases: [string, Record<string, string>, RegExp][] = [
    ["another secret", await proofHeader(await secretOf("x")), /does not hold the cluster secret/],
    ["another body", await proofHeader(secret, BODY.replace("n4", "n5")), /does not match/],
    ["made 10 minutes ago", await proofHeader(secret, BODY, Date.now() - 600_000), /dated 600 s/],
    ["dated ahead", await proofHeader(secret, BODY, Date.now() + 600_000), /dated -600 s/],
    ["not a proof", { [JOIN_PROOF_HEADER]: "12.zz" }, /Invalid join proof "12.zz"/],
  ];
  for (const [what, headers, error] of cases) {
    const answer = await send(app, "POST", "/join", BODY, headers);
    assertEquals(answer.status, 401, what);
    assertTrue(error.test(answer.body.error), `${what}: ${answer.body.error}`);
    assertTrue(answer.headers.has("www-authenticate"), what);
  }
  const proof = await proofHeader(secret);
  assertEquals(
    (await send(app, "GET", `/join?id=n4&addr=127.0.0.1:7004`, undefined, proof)).status,
    405,
  );
  const remove = await send(app, "POST", "/remove", '{"id":"n2"}', proof);
  assertEquals(remove.status, 401, "a join proof is no credential elsewhere");
  assertEquals(node.calls.filter((call) => call.op === "join" || call.op === "remove"), []);
  const { node: bare, app: noSecret } = securedApp();
  const refused = await send(noSecret, "POST", "/join", BODY, proof);
  assertEquals(refused.status, 401);
  assertTrue(refused.body.error.includes("this node has no cluster secret"), refused.body.error);
  assertEquals(joins(bare), []);
});

Deno.test("a follower forwards a proven join with its proof, and the leader checks it again", async () => {
  const secret = await secretOf("s");
  const leader = new FakeNode();
  const leaderApp = createApp(leader, { auth: testAuth(), clusterSecret: secret });
  const forwarded: Request[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    forwarded.push(request.clone());
    return Promise.resolve(leaderApp.request(request));
  };
  const node = new FakeNode();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const app = createApp(node, { auth: testAuth(), clusterSecret: secret, fetch });
  const answer = await send(app, "POST", "/join", BODY, await proofHeader(secret));
  assertEquals(answer.status, 200, JSON.stringify(answer.body));
  assertEquals(forwarded.length, 1);
  assertTrue(forwarded[0]!.headers.has(JOIN_PROOF_HEADER));
  assertEquals(joins(leader).length, 1);
  // A leader with another secret refuses what the follower let through.
  const strict = createApp(new FakeNode(), {
    auth: testAuth(),
    clusterSecret: await secretOf("o"),
  });
  const relayed = await strict.request(forwarded[0]!);
  assertEquals(relayed.status, 401);
  await relayed.body?.cancel();
});
