import { assertEquals, assertTrue } from "../assert.ts";
import { silentLogger } from "../../src/log.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";
import {
  type Cluster,
  freePorts,
  getConsistent,
  type NodeProcess,
  putKey,
  withCluster,
} from "./harness.ts";
import {
  caughtUpFollower,
  expectDropped,
  forge,
  forgedAppend,
  hello,
  messageFrame,
  sendAndClose,
  statuses,
} from "./stranger.ts";

/**
 * Every node still runs and has the same term; a write succeeds and every
 * node answers a consistent read; the nodes in `honest` read the written value.
 */
async function expectServing(
  cluster: Cluster,
  leader: NodeProcess,
  term: number,
  key: string,
  honest = cluster.nodes,
) {
  for (const node of cluster.nodes) assertTrue(node.child !== null, `"${node.id}" still runs`);
  const now = await statuses(cluster);
  for (const [id, status] of now) assertEquals(status.term, term, `"${id}" kept term ${term}`);
  const put = await putKey(leader.httpAddr, key, "served");
  assertEquals(put.status, 200, put.text);
  for (const node of cluster.nodes) {
    const read = await getConsistent(node.httpAddr, key);
    assertTrue(read.status < 500, `consistent read on "${node.id}": ${read.text}`);
    if (honest.includes(node)) {
      assertEquals(read.status, 200, `consistent read on "${node.id}": ${read.text}`);
    }
  }
}

Deno.test("a stranger's hello and absurd vote are refused and counted; the term never moves", async () => {
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const leader = await cluster.form(3);
    const before = await statuses(cluster);
    const { term, clusterId } = before.get(leader.id)!;
    const victim = cluster.nodes.find((n) => n !== leader)!;
    const member = cluster.nodes.find((n) => n !== leader && n !== victim)!;
    const as = (id: string, cluster: string) => ({
      id,
      clusterId: cluster,
      raftAddr: "127.0.0.1:1",
      httpAddr: "",
    });
    // Three hellos the node cannot place: each one frame, each refused.
    for (const info of [as("evil", ""), as("evil", clusterId), as(member.id, "")]) {
      assertEquals(await hello(victim.raftAddr, info), null, `hello as ${JSON.stringify(info)}`);
    }
    // A hello as a member is believed; its vote with a term beyond TERM_MAX is not.
    const raw = await hello(victim.raftAddr, as(member.id, clusterId));
    assertTrue(raw !== null, "a hello with a member's id is accepted");
    const vote = forge("vote", member.id, victim.id, { index: 1e12, logTerm: 2 ** 47, ctx: 1 });
    await sendAndClose(raw!, [messageFrame(vote, 2 ** 53 - 1)]);
    // Give the cluster election timeouts' worth of time to go wrong, then look.
    await expectDropped(cluster, victim, before, 4, 1500);
    await expectServing(cluster, leader, term, "after-stranger");
  });
});

Deno.test("an append forged in the leader's name does not stop the leader that hears its ack", async () => {
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const leader = await cluster.form(3);
    assertEquals((await putKey(leader.httpAddr, "before", "x")).status, 200);
    const { victim, status: mine } = await caughtUpFollower(cluster, leader);
    const before = await statuses(cluster);
    const { term } = mine;
    const app = forgedAppend(leader.id, victim.id, mine);
    const raw = await hello(victim.raftAddr, {
      id: leader.id,
      clusterId: mine.clusterId,
      raftAddr: "127.0.0.1:1",
      httpAddr: "",
    });
    assertTrue(raw !== null, "a hello with the leader's id is accepted");
    await sendAndClose(raw!, [messageFrame(app)]);
    // The victim acknowledges an index the leader never had: the leader drops that, and lives.
    const after = await expectDropped(cluster, leader, before, 1);
    assertEquals(after.get(leader.id)!.role, "leader");
    // The victim believed a liar with the leader's id: only the cluster secret keeps
    // those out (tests/cluster/peer_secret_test.ts). Everyone else is untouched.
    const honest = cluster.nodes.filter((n) => n !== victim);
    await expectServing(cluster, leader, term, "after-forgery", honest);
  });
});

Deno.test("a data directory holding a term beyond TERM_MAX refuses to start and names it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_absurd_" });
  try {
    const storage = await FileStorage.open(dir, { nodeId: "n1", logger: silentLogger });
    await storage.setClusterId("c1");
    await storage.save({ hardState: { term: 2 ** 53 - 1, vote: "", commit: 0 }, entries: [] });
    await storage.close();
    const root = decodeURIComponent(new URL("../../", import.meta.url).pathname);
    const [raftPort, httpPort] = freePorts(2);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${root}main.ts`,
        "--id",
        "n1",
        "--data-dir",
        dir,
        "--raft-addr",
        `127.0.0.1:${raftPort}`,
        "--http-addr",
        `127.0.0.1:${httpPort}`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 1, stderr);
    assertTrue(stderr.includes(`"${dir}/wal" holds term 9007199254740991`), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
