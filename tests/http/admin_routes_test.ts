// GET /snapshot and POST /transfer-leader through app.request(): headers, the stream, input
// checks, 307 off the leader, 501 without the operation.
import { assertEquals, assertTrue } from "../assert.ts";
import type { KvApi } from "../../src/api.ts";
import { createApp } from "../../src/http/mod.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { BackupReader } from "../../src/storage/backup_file.ts";
import { FakeNode } from "./fake_node.ts";
import { send } from "./send.ts";

/** A node that serves neither backups nor hand-offs. */
function plainNode(): KvApi {
  return Object.assign(new FakeNode(), { backup: undefined, handOffLeadership: undefined });
}

Deno.test("GET /snapshot streams the backup with its index, term and key count", async () => {
  const node = new FakeNode();
  const app = createApp(node);
  for (let i = 0; i < 50; i++) await node.data.putValue(`k${i}`, `v${i}`, {});
  // A follower serves its own state too.
  node.leaderHttpAddr = "127.0.0.1:8001";
  const response = await app.request("http://127.0.0.1:8002/snapshot");
  assertEquals(response.status, 200);
  const applied = node.port.machine().appliedIndex;
  assertEquals(response.headers.get("x-rafter-snapshot-index"), String(applied));
  assertEquals(response.headers.get("x-rafter-snapshot-term"), "2");
  assertEquals(response.headers.get("x-rafter-snapshot-keys"), "50");
  assertEquals(response.headers.get("content-type"), "application/octet-stream");
  const reader = new BackupReader();
  const payloads: Uint8Array[] = [];
  for await (const bytes of response.body!) payloads.push(...reader.push(bytes));
  assertEquals(reader.finish().index, applied);
  const restored = new KvStateMachine();
  restored.restore(new Uint8Array(await new Blob(payloads as BlobPart[]).arrayBuffer()));
  assertEquals(restored.get("k7")?.value, "v7");
  assertEquals(restored.size, 50);
});

Deno.test("GET /snapshot before anything is applied answers 503; a node without backups 501", async () => {
  const empty = await send(createApp(new FakeNode()), "GET", "/snapshot");
  assertEquals(empty.status, 503);
  assertEquals(empty.body.error, 'Nothing to back up yet: this node has applied index "0"');
  assertEquals(empty.body.indeterminate, false);
  const none = await send(createApp(plainNode()), "GET", "/snapshot");
  assertEquals([none.status, none.body.error], [501, 'This node does not serve "backup"']);
});

Deno.test("POST /transfer-leader names the target or leaves it to the node, and answers who leads", async () => {
  const node = new FakeNode();
  const app = createApp(node);
  assertEquals((await send(app, "POST", "/transfer-leader?to=n3")).body, {
    leaderId: "n3",
    term: 3,
  });
  assertEquals((await send(app, "POST", "/transfer-leader")).body, { leaderId: "n2", term: 3 });
  assertEquals((await send(app, "POST", "/transfer-leader", '{"to":"n4"}')).body.leaderId, "n4");
  const bad = await send(app, "POST", "/transfer-leader?to=a%20b");
  assertEquals(bad.status, 400);
  assertTrue(bad.body.error.startsWith('Invalid node id "a b" in "to"'), bad.body.error);
  assertEquals((await send(app, "GET", "/transfer-leader?to=n2")).status, 404);
  const handOffs = node.calls.filter((c) => c.op === "handOffLeadership").map((c) => c.args[0]);
  assertEquals(handOffs, ["n3", "", "n4"]);
});

Deno.test("POST /transfer-leader on a follower redirects to the leader; without the operation 501", async () => {
  const node = new FakeNode();
  node.leaderHttpAddr = "127.0.0.1:8001";
  const answer = await send(createApp(node), "POST", "/transfer-leader?to=n2");
  assertEquals(answer.status, 307);
  assertEquals(answer.headers.get("location"), "http://127.0.0.1:8001/transfer-leader?to=n2");
  const none = await send(createApp(plainNode()), "POST", "/transfer-leader");
  assertEquals(none.status, 501);
});
