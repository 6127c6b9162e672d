/**
 * A real three-node cluster with everything on: HTTPS, auth, the cluster
 * secret and peer TLS. It forms (n2 with `--join`, proving the secret
 * instead of holding a token; n3 added by an admin), its Raft ports speak
 * only TLS, `curl --cacert` reaches it with a token and is refused without
 * one, a follower forwards a write to the leader over HTTPS, the client and
 * the command line work against it, and after the leader is killed and
 * restarted the cluster heals and keeps every acknowledged write. Also:
 * `SIGHUP` reloads the auth file of a running node.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { hashToken } from "../../src/auth/mod.ts";
import { RafterClient } from "../../src/client/mod.ts";
import { runRafter } from "../cli/run.ts";
import { CURL, curl, type CurlAnswer, makeCerts, OPENSSL } from "../tls_tools.ts";
import { skipWithout } from "../tools.ts";
import { RawPeer } from "../transport/harness.ts";
import { type Cluster, type NodeProcess, waitFor, withCluster } from "./harness.ts";

/** Test tokens, made up here. */
const OPS_TOKEN = "ops-test-token-0123456789abcdef";
const APP_TOKEN = "app-test-token-0123456789abcdef";

/** The auth file: `ops` is the admin, `app` reads and writes under `app/`. */
function authFile(): string {
  return JSON.stringify({
    users: [
      { name: "ops", tokenSha256: hashToken(OPS_TOKEN), admin: true },
      {
        name: "app",
        tokenSha256: hashToken(APP_TOKEN),
        permissions: [{ prefix: "app/", read: true, write: true }],
      },
    ],
  });
}

function url(node: NodeProcess, path: string, scheme = "https"): string {
  return `${scheme}://${node.httpAddr}${path}`;
}

/** curl's arguments for a call trusting the cluster's CA, as `user` when given. */
function as(ca: string, user?: "ops" | "app"): string[] {
  const cacert = ["--cacert", ca];
  if (user === undefined) return cacert;
  return [...cacert, "-u", `${user}:${user === "ops" ? OPS_TOKEN : APP_TOKEN}`];
}

function put(node: NodeProcess, key: string, value: string, auth: string[]): Promise<CurlAnswer> {
  return curl([...auth, "-d", JSON.stringify({ key, value }), url(node, "/key")]);
}

/**
 * n1 bootstraps; n2 joins on its own with `--join` (its call carries a proof
 * of the cluster secret, no token); n3 starts alone and the admin adds it.
 * Answers the leader.
 */
async function form(cluster: Cluster, ca: string): Promise<NodeProcess> {
  const n1 = cluster.add("n1", { bootstrap: true });
  await cluster.leader({ among: [n1], voters: 1 });
  const n2 = cluster.add("n2", { join: `https://${n1.httpAddr}` });
  await cluster.leader({ among: [n1, n2], voters: 2 });
  const n3 = cluster.add("n3");
  await cluster.leader({ among: [n3], voters: 1 });
  const body = JSON.stringify({ id: n3.id, addr: n3.raftAddr, httpAddr: n3.httpAddr });
  const refused = await curl([...as(ca, "app"), "-d", body, url(n1, "/join")]);
  assertEquals(refused.status, 403, "a user's token is no admin's, nor a proof");
  const join = await curl([...as(ca, "ops"), "-d", body, url(n1, "/join")]);
  assertEquals(join.status, 200, join.body);
  return await cluster.leader({ voters: 3 });
}

/** The Raft ports speak TLS with the secret only: a plain hello is closed and counted. */
async function raftPortsAreSealed(cluster: Cluster, leader: NodeProcess): Promise<void> {
  for (const node of cluster.running()) {
    assertTrue(node.lines.some((line) => line.includes('peers="tls, secret on"')), node.id);
    assertTrue(!node.lines.some((line) => line.includes("peer traffic is unauthenticated")));
  }
  const before = (await cluster.status(leader))!.droppedPeerMessages;
  const plain = await RawPeer.connect(leader.raftAddr);
  const hello = { id: "n2", clusterId: "", raftAddr: "127.0.0.1:1", httpAddr: "" };
  await plain.handshake(hello).catch(() => null);
  assertTrue(await plain.closedByRemote(), "a plain TCP hello is closed");
  plain.close();
  await waitFor(
    async () => (await cluster.status(leader))!.droppedPeerMessages === before + 1,
    "the plain hello to be counted",
  );
}

/** Writes with and without credentials and trust, on the leader and through a follower. */
async function curlWorks(cluster: Cluster, leader: NodeProcess, ca: string): Promise<void> {
  assertEquals((await put(leader, "app/1", "one", as(ca, "app"))).status, 200);
  const refused = await put(leader, "app/2", "x", as(ca));
  assertEquals(refused.status, 401);
  assertTrue(JSON.parse(refused.body).error.startsWith("Credentials required"), refused.body);
  assertEquals((await put(leader, "other/1", "x", as(ca, "app"))).status, 403);
  const untrusted = await curl(["-u", `app:${APP_TOKEN}`, url(leader, "/status")]);
  assertEquals(untrusted.code, 60, "curl without --cacert must not trust the node");
  const follower = cluster.running().find((n) => n !== leader)!;
  const forwarded = await put(follower, "app/2", "two", as(ca, "app"));
  assertEquals(forwarded.status, 200, forwarded.body);
}

/** A watch as a browser's `EventSource` opens it: the token in `?access_token=`. */
async function watchWithQueryToken(node: NodeProcess, caFile: string): Promise<void> {
  using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
  const watch = (query: string) =>
    fetch(url(node, `/watch?fromIndex=1&${query}`), { client, signal: AbortSignal.timeout(5000) });
  const refused = await watch("key=app/1");
  assertEquals([refused.status, (await refused.json()).error.startsWith("Credentials")], [
    401,
    true,
  ]);
  const other = await watch(`key=other/1&access_token=${APP_TOKEN}`);
  assertEquals(other.status, 403);
  await other.body?.cancel();
  const response = await watch(`key=app/1&access_token=${APP_TOKEN}`);
  assertEquals(response.status, 200);
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  assertTrue(first.includes('"app/1"'), first);
  assertTrue(!node.lines.some((line) => line.includes(APP_TOKEN)), "the token reached the log");
}

/** The TypeScript client and the command line, pointed at a follower over HTTPS. */
async function clientsWork(follower: NodeProcess, caFile: string): Promise<void> {
  const endpoints = [`https://${follower.httpAddr}`];
  const caCerts = [await Deno.readTextFile(caFile)];
  using ops = new RafterClient({ endpoints, token: OPS_TOKEN, caCerts });
  const members = await ops.members();
  // Match indexes come from the leader only: the follower named it by its https:// URL.
  assertEquals(members.length, 3);
  assertTrue(members.every((m) => m.matchIndex > 0), JSON.stringify(members));
  using app = new RafterClient({ endpoints, token: APP_TOKEN, caCerts });
  await app.put("app/client", "yes");
  assertEquals((await app.get("app/client", { level: "consistent" })).value, "yes");
  const common = ["--endpoints", endpoints[0]!, "--token", APP_TOKEN, "--cacert", caFile];
  const written = await runRafter(["put", "app/cli", "yes", ...common]);
  assertEquals(written.code, 0, written.stderr);
  const status = await runRafter(["status", ...common]);
  assertEquals(status.code, 0, status.stderr);
  assertTrue(!status.stdout.includes("undefined"), status.stdout);
}

/** Kills the leader, writes through the next one, restarts it and reads everything back. */
async function healsAfterLeaderKill(
  cluster: Cluster,
  leader: NodeProcess,
  ca: string,
): Promise<void> {
  await cluster.kill9(leader);
  const next = await cluster.leader({ among: cluster.running() });
  assertTrue(next !== leader);
  assertEquals((await put(next, "app/3", "three", as(ca, "app"))).status, 200);
  cluster.restart(leader);
  await cluster.leader({ voters: 3 });
  const expected = [["app/1", "one"], ["app/2", "two"], ["app/3", "three"], ["app/cli", "yes"]];
  for (const [key, value] of expected) {
    const read = await waitFor(async () => {
      const answer = await curl([
        ...as(ca, "app"),
        url(leader, `/key?key=${key}&level=consistent`),
      ]);
      return answer.status === 200 ? answer : null;
    }, `a consistent read of "${key}" on the restarted node`);
    assertEquals(JSON.parse(read.body).value, value);
  }
}

Deno.test({
  name: "cluster with HTTPS, auth, the secret and peer TLS: forms, serves curl --cacert, heals",
  ignore: skipWithout("openssl", OPENSSL) || skipWithout("curl", CURL),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_secure_" });
    try {
      const files = await makeCerts(dir);
      await Deno.writeTextFile(`${dir}/auth.json`, authFile());
      await Deno.writeTextFile(
        `${dir}/cluster.secret`,
        `${crypto.randomUUID()}${crypto.randomUUID()}`,
      );
      const extraArgs = ["--tls-cert", files.cert, "--tls-key", files.key, "--peer-ca", files.ca];
      extraArgs.push("--auth-file", `${dir}/auth.json`);
      extraArgs.push("--cluster-secret-file", `${dir}/cluster.secret`);
      extraArgs.push("--peer-tls-cert", files.cert, "--peer-tls-key", files.key);
      const caCert = await Deno.readTextFile(files.ca);
      const access = { scheme: "https" as const, caCert, authorization: `Bearer ${OPS_TOKEN}` };
      await withCluster({ extraArgs, access }, async (cluster) => {
        const leader = await form(cluster, files.ca);
        await raftPortsAreSealed(cluster, leader);
        await curlWorks(cluster, leader, files.ca);
        await watchWithQueryToken(leader, files.ca);
        await clientsWork(cluster.running().find((n) => n !== leader)!, files.ca);
        await healsAfterLeaderKill(cluster, leader, files.ca);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "SIGHUP reloads the auth file; a broken file keeps the old rules and says why",
  ignore: skipWithout("curl", CURL),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_reload_" });
    const path = `${dir}/auth.json`;
    await Deno.writeTextFile(path, authFile());
    const access = { scheme: "http" as const, authorization: `Bearer ${OPS_TOKEN}` };
    try {
      await withCluster({ extraArgs: ["--auth-file", path], access }, async (cluster) => {
        const n1 = cluster.add("n1", { bootstrap: true });
        await cluster.leader({ voters: 1 });
        const body = JSON.stringify({ key: "app/k", value: "v" });
        const write = (token: string) =>
          curl(["-H", `authorization: Bearer ${token}`, "-d", body, url(n1, "/key", "http")]);
        const newToken = "new-app-token-0123456789abcdef";
        assertEquals([(await write(APP_TOKEN)).status, (await write(newToken)).status], [200, 401]);
        const rules = JSON.parse(authFile());
        rules.users[1].tokenSha256 = hashToken(newToken);
        await Deno.writeTextFile(path, JSON.stringify(rules));
        n1.child!.kill("SIGHUP");
        await waitFor(async () => (await write(newToken)).status === 200, "the new token to work");
        assertEquals((await write(APP_TOKEN)).status, 401);
        await Deno.writeTextFile(path, "{ broken");
        n1.child!.kill("SIGHUP");
        await waitFor(
          () => n1.lines.some((line) => line.includes("auth file reload failed")),
          "the failed reload to be logged",
        );
        assertEquals((await write(newToken)).status, 200);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
