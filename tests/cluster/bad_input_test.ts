import { assertEquals, assertTrue } from "../assert.ts";
import { encodeHandshake } from "../../src/transport/handshake.ts";
import {
  type Answer,
  type Cluster,
  getKey,
  type NodeProcess,
  putKey,
  request,
  withCluster,
} from "./harness.ts";

/** Time a connection fed garbage may stay open before the node must have closed it. */
const CLOSE_TIMEOUT_MS = 10_000;
/** A body larger than the documented 1.5 MiB limit. */
const OVERSIZED_BYTES = 2 * 1024 * 1024;

function errorOf(answer: Answer): string {
  const body = answer.json() as { error?: unknown };
  assertEquals(typeof body.error, "string", answer.text);
  return body.error as string;
}

async function expectStatus(
  what: string,
  answer: Promise<Answer>,
  status: number,
  error?: RegExp,
): Promise<Answer> {
  const got = await answer;
  assertEquals(got.status, status, `${what}: ${got.text}`);
  if (status !== 200) {
    const message = errorOf(got);
    if (error !== undefined) assertTrue(error.test(message), `${what}: ${message}`);
  }
  return got;
}

function post(addr: string, path: string, body: string | Uint8Array<ArrayBuffer>) {
  return request(`http://${addr}${path}`, { method: "POST", body, redirect: "manual" });
}

Deno.test("bad requests against real processes get the documented statuses", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const l = leader.httpAddr;
    const f = follower.httpAddr;

    await expectStatus("malformed JSON", post(l, "/key", '{"key":'), 400, /not valid JSON/);
    await expectStatus("not an object", post(l, "/key", "[1,2]"), 400, /JSON object/);
    await expectStatus("no value", post(l, "/key", '{"key":"a"}'), 400, /Missing field "value"/);
    await expectStatus("no body", post(l, "/key", ""), 400, /empty/);
    await expectStatus("wrong type", post(l, "/key", '{"key":1,"value":"v"}'), 400, /"key"/);
    await expectStatus(
      "bad level",
      request(`http://${f}/key?key=a&level=eventual`),
      400,
      /Invalid read level "eventual"/,
    );
    await expectStatus("no key", request(`http://${l}/key?level=stale`), 400, /"key"/);
    await expectStatus(
      "delete without key",
      request(`http://${l}/key`, { method: "DELETE" }),
      400,
      /"key"/,
    );
    await expectStatus(
      "oversized body",
      post(l, "/key", new Uint8Array(OVERSIZED_BYTES).fill(0x20)),
      413,
      /exceeds the limit/,
    );
    await expectStatus(
      "oversized value",
      post(l, "/key", JSON.stringify({ key: "big", value: "x".repeat(1024 * 1024 + 1) })),
      400,
      /"value" exceeds/,
    );
    await expectStatus("bad join address", post(l, "/join", '{"id":"x","addr":"nowhere"}'), 400);
    await expectStatus("remove without id", request(`http://${l}/remove`), 400, /"id"/);
    await expectStatus("remove a stranger", request(`http://${l}/remove?id=zz`), 400, /"zz"/);
    await expectStatus("no such route", request(`http://${l}/nope`), 404);

    for (const level of ["stale", "consistent"] as const) {
      await expectStatus(
        `missing key, ${level} on a follower`,
        getKey(f, "absent", level),
        404,
        /Key "absent" not found/,
      );
    }
    await expectStatus("missing key, default", getKey(l, "absent", "default"), 404);
    const redirect = await expectStatus("follower write", putKey(f, "k", "v"), 307);
    assertEquals(redirect.headers.get("location"), `http://${l}/key`);

    // None of it changed the data; a good write still commits everywhere.
    await expectStatus("absent after bad writes", getKey(l, "a", "consistent"), 404);
    await expectStatus("absent after 413", getKey(l, "big", "consistent"), 404);
    await expectCommits(cluster, leader, "after-bad-http");
  });
});

/** Writes through `leader` and reads back at level consistent on every running node. */
async function expectCommits(cluster: Cluster, leader: NodeProcess, key: string): Promise<void> {
  await expectStatus(`write ${key}`, putKey(leader.httpAddr, key, "ok"), 200);
  for (const node of cluster.running()) {
    const read = await expectStatus(`read ${key}`, getKey(node.httpAddr, key, "consistent"), 200);
    assertEquals((read.json() as { value: string }).value, "ok");
  }
}

function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let at = 0; at < count; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(count, at + 65536)));
  }
  return bytes;
}

function lengthPrefix(length: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, length, true);
  return bytes;
}

/** Writes `chunks` to a new connection to `raftAddr`, then waits until the node closes it. */
async function feed(raftAddr: string, chunks: Uint8Array[]): Promise<void> {
  const [hostname, port] = raftAddr.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  const timer = setTimeout(() => conn.close(), CLOSE_TIMEOUT_MS);
  let closedByNode = false;
  try {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length;) at += await conn.write(chunk.subarray(at));
    }
    const buffer = new Uint8Array(4096);
    // Bounded: the timer closes the connection if the node never does.
    for (let reads = 0; reads < 10_000; reads++) {
      if (await conn.read(buffer) === null) {
        closedByNode = true;
        break;
      }
    }
  } catch {
    // A reset is the node hanging up too, unless the timer fired.
    closedByNode = true;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer already.
    }
  }
  assertTrue(closedByNode, `the node at ${raftAddr} kept a garbage connection open`);
}

Deno.test("garbage on the raft port closes that connection and nothing else", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const { clusterId } = (await cluster.status(leader))!;
    const handshake = encodeHandshake({
      id: "intruder",
      clusterId,
      raftAddr: "127.0.0.1:1",
      httpAddr: "",
    });

    // An idle connection that never says anything stays open meanwhile.
    const [host, port] = leader.raftAddr.split(":");
    const idle = await Deno.connect({ hostname: host!, port: Number(port) });
    try {
      for (const target of [leader, follower]) {
        await feed(target.raftAddr, [randomBytes(64 * 1024)]);
        await feed(target.raftAddr, [lengthPrefix(0xffff_ffff), randomBytes(1024)]);
        await feed(target.raftAddr, [lengthPrefix(0)]);
        // After a valid handshake: an undecodable message frame, then an oversized length.
        const junk = randomBytes(512);
        junk[0] = 2;
        await feed(target.raftAddr, [handshake, lengthPrefix(junk.length), junk]);
        await feed(target.raftAddr, [handshake, lengthPrefix(0x7fff_ffff), randomBytes(1024)]);
        await expectCommits(cluster, leader, `after-garbage-${target.id}`);
      }
    } finally {
      idle.close();
    }
    const now = await cluster.leader({ voters: 3 });
    await expectCommits(cluster, now, "after-idle");
    // A member answers only members: a handshake alone does not make it dial the sender.
    for (const node of cluster.nodes) {
      const dialed = node.lines.filter((line) => line.includes("unreachable peer=intruder"));
      assertEquals(dialed, [], `${node.id} dialed the intruder`);
    }
  });
});
