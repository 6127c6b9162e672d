// The data-model client commands (list, compare-and-swap, txn, lease, watch, lock) against a
// real three-node cluster whose nodes keep a short watch history; the commands run in this
// process with captured output, `lock` as its own process. A lock holder killed with SIGKILL
// is in tests/cluster/lock_test.ts.
import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { EXIT, runClientCommand } from "../../src/cli/mod.ts";
import { endpointsOf } from "../cluster/data_model.ts";
import { sleep, waitFor, withCluster } from "../cluster/harness.ts";
import { memoryIo, runRafter } from "./run.ts";

/** Entries with changes each node keeps for watches. */
const HISTORY_ENTRIES = 20;
/** Elections slow enough that a busy machine does not miss a TTL; the shortest TTL then. */
const HEARTBEAT_MS = 40;
const ELECTION_MS = 400;
const TTL_MS = 3 * ELECTION_MS;

Deno.test("rafter data-model commands on three processes", async (t) => {
  const extraArgs = ["--watch-history-entries", String(HISTORY_ENTRIES)];
  await withCluster(
    { heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS, extraArgs },
    async (cluster) => {
      const leader = await cluster.form(3);
      const env = { RAFTER_ENDPOINTS: endpointsOf(cluster.running()) };
      /** Runs `args` in this process; answers the exit code and the output. */
      const rafter = async (args: string[], stdin = "", environment = env) => {
        const io = memoryIo(environment, stdin);
        const code = await runClientCommand(args, io);
        return { code, stdout: io.stdout.join(""), stderr: io.stderr.join("\n") };
      };

      await t.step("list: every page, as TSV, keys only or JSON lines", async () => {
        for (const key of ["app/b", "app/a", "app/c", "other"]) {
          assertEquals((await rafter(["put", key, `v ${key}`])).code, 0);
        }
        const tsv = await rafter(["list", "app/", "--limit", "2"]);
        assertEquals([tsv.code, tsv.stdout], [
          0,
          "app/a\tv app/a\napp/b\tv app/b\napp/c\tv app/c\n",
        ]);
        const keys = await rafter(["list", "app/", "--keys-only", "--level", "consistent"]);
        assertEquals(keys.stdout, "app/a\napp/b\napp/c\n");
        const json = await rafter(["list", "--json"]);
        assertEquals(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).key), [
          "app/a",
          "app/b",
          "app/c",
          "other",
        ]);
        assertEquals((await rafter(["list", "--limit", "x"])).code, EXIT.usage);
      });

      await t.step(
        "put --prev-index and del --prev-index: exit 1 when the compare fails",
        async () => {
          const put = await rafter(["put", "k", "v1"]);
          const index = Number(/^OK index (\d+)$/.exec(put.stdout.trim())![1]);
          const stale = await rafter(["put", "k", "v2", "--prev-index", String(index - 1)]);
          assertEquals(stale.code, EXIT.failed);
          assertTrue(
            stale.stderr.startsWith('rafter put: Precondition failed: key "k"'),
            stale.stderr,
          );
          assertEquals((await rafter(["put", "k", "v2", "--prev-index", String(index)])).code, 0);
          assertEquals((await rafter(["put", "new", "x", "--prev-index", "0"])).code, 0);
          assertEquals((await rafter(["put", "new", "y", "--prev-index", "0"])).code, EXIT.failed);
          assertEquals((await rafter(["del", "k", "--prev-index", String(index)])).code, 1);
          assertEquals((await rafter(["get", "k"])).stdout, "v2\n");
        },
      );

      await t.step(
        "txn: JSON from standard input; exit 1 when the failure branch ran",
        async () => {
          await rafter(["put", "a", "1"]);
          const request = {
            compare: [{ key: "a", value: "1" }],
            success: [{ put: { key: "a", value: "2" } }, { get: { key: "a" } }],
            failure: [{ get: { key: "a" } }],
          };
          const won = await rafter(["txn"], JSON.stringify(request));
          assertEquals(won.code, 0, won.stderr);
          const lines = won.stdout.trimEnd().split("\n");
          assertMatch(lines[0]!, /^SUCCEEDED index \d+$/);
          assertEquals(JSON.parse(lines[2]!).get.record.value, "2");
          const lost = await rafter(["txn", "--json"], JSON.stringify(request));
          assertEquals(lost.code, EXIT.failed);
          assertEquals(JSON.parse(lost.stdout).succeeded, false);
          assertEquals((await rafter(["txn"], "{not json")).code, EXIT.usage);
          assertEquals((await rafter(["txn"], '{"success":[{"frob":{}}]}')).code, EXIT.usage);
        },
      );

      await t.step("lease: grant, attach, info, keepalive until stopped, revoke", async () => {
        const grant = await rafter(["lease", "grant", String(TTL_MS)]);
        assertEquals(grant.code, 0, grant.stderr);
        const id = grant.stdout.trim();
        assertEquals((await rafter(["put", "svc/a", "x", "--lease", id])).code, 0);
        const info = await rafter(["lease", "info", id]);
        assertMatch(info.stdout, /^ttl \d+ ms\nsvc\/a\n$/);
        const io = memoryIo(env);
        const keeping = runClientCommand(["lease", "keepalive", id], io);
        await sleep(3 * TTL_MS);
        assertEquals((await rafter(["get", "svc/a"])).stdout, "x\n", "kept alive past its TTL");
        io.stop();
        assertEquals(await keeping, EXIT.ok);
        assertEquals((await rafter(["lease", "revoke", id])).code, 0);
        assertEquals((await rafter(["get", "svc/a"])).code, EXIT.failed);
        const unknown = await rafter(["lease", "revoke", id]);
        assertEquals(unknown.code, EXIT.failed);
        assertEquals(unknown.stderr, `rafter lease: Lease "${id}" not found`);
        assertEquals((await rafter(["lease", "grant", "10"])).code, EXIT.usage, "below the floor");
      });

      await t.step(
        "watch: prints each change, resumes after its node restarts, exits 0 when stopped",
        async () => {
          const node = cluster.running().find((n) => n !== leader)!;
          const indexOf = (output: { stdout: string }) =>
            Number(/^OK index (\d+)$/.exec(output.stdout.trim())![1]);
          const start = indexOf(await rafter(["put", "cfg-start", "x"]));
          const io = memoryIo({ RAFTER_ENDPOINTS: `http://${node.httpAddr}` });
          const watching = runClientCommand([
            "watch",
            "--prefix",
            "cfg/",
            "--from-index",
            String(start),
          ], io);
          const put = indexOf(await rafter(["put", "cfg/a", "1"]));
          await rafter(["put", "elsewhere", "x"]);
          await waitFor(() => io.stdout.length === 1, "the first change");
          await cluster.kill9(node);
          const deleted = indexOf(await rafter(["del", "cfg/a"]));
          cluster.restart(node);
          await waitFor(() => io.stdout.length === 2, "the change made while its node was down");
          io.stop();
          assertEquals(await watching, EXIT.ok);
          assertEquals(io.stdout.join(""), `${put}\tPUT\tcfg/a\t1\n${deleted}\tDELETE\tcfg/a\n`);
          await cluster.leader({ voters: 3 });
        },
      );

      await t.step(
        "watch: exit 1 when the changes it needs are compacted away; 2 on bad usage",
        async () => {
          for (let i = 0; i <= HISTORY_ENTRIES; i++) await rafter(["put", "cfg/b", String(i)]);
          const compacted = await rafter(["watch", "cfg/b", "--from-index", "1"]);
          assertEquals(compacted.code, EXIT.failed, compacted.stderr);
          assertMatch(compacted.stderr, /^rafter watch: /);
          assertEquals((await rafter(["watch", "k", "--prefix", "p"])).code, EXIT.usage);
        },
      );

      await t.step("lock: runs the command holding the lock and exits with its code", async () => {
        const script =
          'test "$RAFTER_LOCK_KEY" = jobs/nightly && test "$RAFTER_LOCK_INDEX" -gt 0 && exit 7';
        const run = await runRafter(["lock", "jobs/nightly", "--", "sh", "-c", script], { env });
        assertEquals(run.code, 7, run.stderr);
        assertEquals((await rafter(["get", "jobs/nightly", "--level", "consistent"])).code, 1);
      });
    },
  );
});
