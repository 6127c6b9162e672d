// The client commands as real processes against a real three-node cluster: every command
// today's node serves, and every exit code.
import { assertEquals, assertTrue } from "../assert.ts";
import { freePorts, type NodeProcess, waitFor, withCluster } from "../cluster/harness.ts";
import { runRafter } from "./run.ts";

function endpoints(nodes: readonly NodeProcess[]): string {
  return nodes.map((n) => `http://${n.httpAddr}`).join(",");
}

Deno.test("rafter CLI on three processes: put, get, del, status, members, join, remove, exit codes", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const followers = cluster.running().filter((n) => n !== leader);
    // Through the environment, followers only: the client finds the leader itself.
    const env = { RAFTER_ENDPOINTS: endpoints(followers) };
    const rafter = (args: string[], stdin?: string) =>
      runRafter(args, stdin === undefined ? { env } : { env, stdin });

    const put = await rafter(["put", "greeting", "hello world"]);
    assertEquals([put.code, put.stderr], [0, ""]);
    assertTrue(/^OK index \d+\n$/.test(put.stdout), put.stdout);
    assertEquals((await rafter(["put", "poem"], "line 1\nline 2\n")).code, 0);
    const [get, poem, stale, json] = await Promise.all([
      rafter(["get", "greeting"]),
      rafter(["get", "poem", "--level", "consistent"]),
      runRafter(["get", "greeting", "--level", "stale", "--endpoints", followers[0]!.httpAddr]),
      rafter(["get", "greeting", "--json"]),
    ]);
    assertEquals([get.code, get.stdout], [0, "hello world\n"]);
    assertEquals(poem.stdout, "line 1\nline 2\n\n");
    assertEquals(stale.stdout, "hello world\n");
    const record = JSON.parse(json.stdout);
    assertEquals([record.key, record.value, typeof record.modIndex], [
      "greeting",
      "hello world",
      "number",
    ]);

    const [missing, delMissing, noKey, badLevel, badFlag] = await Promise.all([
      rafter(["get", "missing"]),
      rafter(["del", "missing"]),
      rafter(["get"]),
      rafter(["get", "k", "--level", "fresh"]),
      rafter(["get", "k", "--bogus"]),
    ]);
    assertEquals([missing.code, missing.stderr], [1, 'rafter get: Key "missing" not found\n']);
    assertEquals(delMissing.code, 1);
    assertEquals([noKey.code, badLevel.code, badFlag.code], [2, 2, 2]);
    assertTrue(badLevel.stderr.includes('Invalid --level "fresh"'), badLevel.stderr);
    const del = await rafter(["del", "greeting"]);
    assertEquals(del.code, 0);
    assertEquals((await rafter(["get", "greeting", "--level", "consistent"])).code, 1);

    const status = await runRafter(["status", "--endpoints", endpoints(cluster.running())]);
    assertEquals(status.code, 0, status.stderr);
    const rows = status.stdout.trimEnd().split("\n");
    assertEquals(rows.length, 4, status.stdout);
    assertTrue(/^ENDPOINT\s+ID\s+ROLE\s+TERM\s+LEADER/.test(rows[0]!), rows[0]);
    assertEquals(rows.filter((r) => /\sleader\s/.test(r)).length, 1, status.stdout);
    const members = await rafter(["members", "--json"]);
    assertEquals(JSON.parse(members.stdout).map((m: { id: string }) => m.id).sort(), [
      "n1",
      "n2",
      "n3",
    ]);
    const table = (await rafter(["members"])).stdout.trimEnd().split("\n");
    assertEquals(table.length, 4);
    assertTrue(table.slice(1).every((r) => /\svoter\s/.test(r)), table.join("\n"));

    const [closedPort] = freePorts(1);
    const n4 = cluster.add("n4", { join: `http://127.0.0.1:${closedPort}` });
    await waitFor(() => cluster.status(n4), "n4 to listen");
    const join = await rafter(["join", "n4", n4.raftAddr, n4.httpAddr]);
    assertEquals([join.code, join.stderr], [0, ""]);
    await cluster.leader({ voters: 4 });
    const remove = await rafter(["remove", "n4"]);
    assertEquals([remove.code, remove.stderr], [0, ""]);
    await cluster.stop(n4);

    const unreachable = ["--endpoints", `127.0.0.1:${closedPort}`, "--timeout-ms", "300"];
    const [down, downStatus] = await Promise.all([
      runRafter(["get", "k", ...unreachable]),
      runRafter(["status", ...unreachable]),
    ]);
    assertEquals(down.code, 3);
    // A refused connection, or (on a busy machine) the 300 ms deadline first: unavailable either way.
    assertTrue(
      /^rafter get: (No node could serve the call|No answer within)/.test(down.stderr),
      down.stderr,
    );
    assertEquals(downStatus.code, 3);
    assertTrue(downStatus.stdout.includes("unreachable"), downStatus.stdout);
  });
});

Deno.test("rafter CLI: help per command, usage errors exit 2 before any connection", async () => {
  const [help, unknown, badEndpoint, noValue] = await Promise.all([
    runRafter(["watch", "--help"]),
    runRafter(["lease", "renew", "1"]),
    runRafter(["get", "k", "--endpoints", "ftp://x:1"]),
    runRafter(["put", "k", "--prev-index", "-1", "v"]),
  ]);
  assertEquals(help.code, 0);
  assertTrue(help.stdout.startsWith("Usage: rafter watch KEY | --prefix PREFIX"), help.stdout);
  assertTrue(help.stdout.includes("--endpoints URL"), help.stdout);
  assertEquals([unknown.code, badEndpoint.code, noValue.code], [2, 2, 2]);
  assertTrue(unknown.stderr.includes('got "renew"'), unknown.stderr);
  assertTrue(badEndpoint.stderr.includes('Invalid endpoint "ftp://x:1"'), badEndpoint.stderr);
});
