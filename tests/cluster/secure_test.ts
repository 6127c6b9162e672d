/**
 * A real three-node cluster with HTTPS and auth on: it forms (members added
 * by an admin), `curl --cacert` reaches it with a token and is refused
 * without one, a follower forwards a write to the leader over HTTPS, and
 * after the leader is killed and restarted the cluster heals and keeps
 * every acknowledged write.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { hashToken } from "../../src/auth/mod.ts";
import { makeCerts } from "../tls_certs.ts";
import { type NodeProcess, waitFor, withCluster } from "./harness.ts";

/** Test tokens, made up here. */
const OPS_TOKEN = "ops-test-token-0123456789abcdef";
const APP_TOKEN = "app-test-token-0123456789abcdef";
/** Longest a single curl call may take, in seconds. */
const CURL_SECONDS_MAX = 10;

interface CurlAnswer {
  /** curl's exit code: 0, or why the transfer failed (60: certificate not trusted). */
  code: number;
  status: number;
  body: string;
}

async function curl(args: string[]): Promise<CurlAnswer> {
  const output = await new Deno.Command("curl", {
    args: ["-s", "--max-time", String(CURL_SECONDS_MAX), "-w", "\n%{http_code}", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const cut = text.lastIndexOf("\n");
  return { code: output.code, status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

async function writeAuthFile(path: string): Promise<void> {
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      users: [
        { name: "ops", tokenSha256: hashToken(OPS_TOKEN), admin: true },
        {
          name: "app",
          tokenSha256: hashToken(APP_TOKEN),
          permissions: [{ prefix: "app/", read: true, write: true }],
        },
      ],
    }),
  );
}

Deno.test("cluster with HTTPS and auth: forms, serves curl --cacert, heals after a leader kill", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_secure_" });
  try {
    const files = await makeCerts(dir);
    await writeAuthFile(`${dir}/auth.json`);
    const cacert = ["--cacert", files.ca];
    const app = [...cacert, "-u", `app:${APP_TOKEN}`];
    const extraArgs = ["--tls-cert", files.cert, "--tls-key", files.key, "--peer-ca", files.ca];
    extraArgs.push("--auth-file", `${dir}/auth.json`);
    const caCert = await Deno.readTextFile(files.ca);
    const access = { scheme: "https" as const, caCert, authorization: `Bearer ${OPS_TOKEN}` };
    await withCluster({ extraArgs, access }, async (cluster) => {
      const n1 = cluster.add("n1", { bootstrap: true });
      await cluster.leader({ among: [n1], voters: 1 });
      const others = [cluster.add("n2"), cluster.add("n3")];
      for (const node of others) await cluster.leader({ among: [node], voters: 1 });
      for (const node of others) {
        const body = JSON.stringify({ id: node.id, addr: node.raftAddr, httpAddr: node.httpAddr });
        const join = await curl([
          ...cacert,
          "-u",
          `ops:${OPS_TOKEN}`,
          "-d",
          body,
          url(n1, "/join"),
        ]);
        assertEquals(join.status, 200, join.body);
      }
      const leader = await cluster.leader({ voters: 3 });
      const put = (node: NodeProcess, key: string, value: string, auth = app) =>
        curl([...auth, "-d", JSON.stringify({ key, value }), url(node, "/key")]);

      assertEquals((await put(leader, "app/1", "one")).status, 200);
      const refused = await put(leader, "app/2", "x", cacert);
      assertEquals([refused.status, JSON.parse(refused.body).error.startsWith("Credentials")], [
        401,
        true,
      ]);
      assertEquals((await put(leader, "other/1", "x")).status, 403);
      const untrusted = await curl(["-u", `app:${APP_TOKEN}`, url(leader, "/status")]);
      assertEquals(untrusted.code, 60, "curl without --cacert must not trust the node");
      const follower = cluster.running().find((n) => n !== leader)!;
      assertEquals((await put(follower, "app/2", "two")).status, 200, "forwarded write");

      await cluster.kill9(leader);
      const survivors = cluster.running();
      const next = await cluster.leader({ among: survivors });
      assertTrue(next !== leader);
      assertEquals((await put(next, "app/3", "three")).status, 200);
      cluster.restart(leader);
      await cluster.leader({ voters: 3 });
      for (const [key, value] of [["app/1", "one"], ["app/2", "two"], ["app/3", "three"]]) {
        const read = await waitFor(async () => {
          const answer = await curl([...app, url(leader, `/key?key=${key}&level=consistent`)]);
          return answer.status === 200 ? answer : null;
        }, `a consistent read of "${key}" on the restarted node`);
        assertEquals(JSON.parse(read.body).value, value);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function url(node: NodeProcess, path: string, scheme = "https"): string {
  return `${scheme}://${node.httpAddr}${path}`;
}

Deno.test("SIGHUP reloads the auth file; a broken file keeps the old rules and says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_reload_" });
  try {
    const path = `${dir}/auth.json`;
    await writeAuthFile(path);
    const authorization = `Bearer ${OPS_TOKEN}`;
    const extraArgs = ["--auth-file", path];
    await withCluster({ extraArgs, access: { scheme: "http", authorization } }, async (cluster) => {
      const n1 = cluster.add("n1", { bootstrap: true });
      await cluster.leader({ voters: 1 });
      const body = JSON.stringify({ key: "app/k", value: "v" });
      const put = (token: string) =>
        curl(["-H", `authorization: Bearer ${token}`, "-d", body, url(n1, "/key", "http")]);
      const newToken = "new-app-token-0123456789abcdef";
      assertEquals((await put(APP_TOKEN)).status, 200);
      assertEquals((await put(newToken)).status, 401);
      const rules = JSON.parse(await Deno.readTextFile(path));
      rules.users[1].tokenSha256 = hashToken(newToken);
      await Deno.writeTextFile(path, JSON.stringify(rules));
      n1.child!.kill("SIGHUP");
      await waitFor(async () => (await put(newToken)).status === 200, "the new token to work");
      assertEquals((await put(APP_TOKEN)).status, 401);
      await Deno.writeTextFile(path, "{ broken");
      n1.child!.kill("SIGHUP");
      await waitFor(
        () => n1.lines.some((line) => line.includes("auth file reload failed")),
        "the failed reload to be logged",
      );
      assertEquals((await put(newToken)).status, 200);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
