// The client commands whose routes the node does not serve yet (list, watch, txn, lease,
// lock, compare-and-swap), against the fake cluster on real ports; the lock also as a real
// process killed with SIGKILL.
import { assertEquals, assertTrue } from "../assert.ts";
import { EXIT, runClientCommand } from "../../src/cli/mod.ts";
import { lock, RafterClient } from "../../src/client/mod.ts";
import { waitFor } from "../cluster/harness.ts";
import { FakeCluster } from "../client/fake_cluster.ts";
import { MAIN, memoryIo, PERMISSIONS, runRafter } from "./run.ts";

/** Runs `args` in this process against `fake`; answers the exit code and the output. */
async function rafter(fake: FakeCluster, args: string[], stdin = "") {
  const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins.join(",") }, stdin);
  const code = await runClientCommand(args, io);
  return { code, stdout: io.stdout.join(""), stderr: io.stderr.join("\n") };
}

async function withFake(body: (fake: FakeCluster) => Promise<void>): Promise<void> {
  const fake = FakeCluster.serve(3);
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

Deno.test("rafter list: every page, as TSV, keys only or JSON lines", async () => {
  await withFake(async (fake) => {
    for (const key of ["app/b", "app/a", "app/c", "other"]) fake.store.put(key, `v ${key}`);
    const tsv = await rafter(fake, ["list", "app/", "--limit", "2"]);
    assertEquals([tsv.code, tsv.stdout], [0, "app/a\tv app/a\napp/b\tv app/b\napp/c\tv app/c\n"]);
    // Two pages from the leader (a follower tried first answers 307).
    assertEquals(fake.requests.filter((r) => r.path === "/keys" && r.node === 0).length, 2);
    const keys = await rafter(fake, ["list", "app/", "--keys-only", "--level", "stale"]);
    assertEquals(keys.stdout, "app/a\napp/b\napp/c\n");
    const json = await rafter(fake, ["list", "--json"]);
    assertEquals(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).key), [
      "app/a",
      "app/b",
      "app/c",
      "other",
    ]);
    assertEquals((await rafter(fake, ["list", "--limit", "x"])).code, EXIT.usage);
  });
});

Deno.test("rafter put --prev-index and del --prev-index: exit 1 when the compare fails", async () => {
  await withFake(async (fake) => {
    const index = fake.store.put("k", "v1");
    const stale = await rafter(fake, ["put", "k", "v2", "--prev-index", String(index - 1)]);
    assertEquals(stale.code, EXIT.failed);
    assertTrue(stale.stderr.startsWith('rafter put: Key "k" is at index'), stale.stderr);
    assertEquals((await rafter(fake, ["put", "k", "v2", "--prev-index", String(index)])).code, 0);
    assertEquals((await rafter(fake, ["put", "new", "x", "--prev-index", "0"])).code, 0);
    assertEquals((await rafter(fake, ["del", "k", "--prev-index", String(index)])).code, 1);
    assertEquals(fake.store.get("k")?.value, "v2");
  });
});

Deno.test("rafter txn: JSON from standard input; exit 1 when the failure branch ran", async () => {
  await withFake(async (fake) => {
    fake.store.put("a", "1");
    const request = {
      compare: [{ key: "a", value: "1" }],
      success: [{ put: { key: "a", value: "2" } }, { get: { key: "a" } }],
      failure: [{ get: { key: "a" } }],
    };
    const won = await rafter(fake, ["txn"], JSON.stringify(request));
    assertEquals(won.code, 0, won.stderr);
    const lines = won.stdout.trimEnd().split("\n");
    assertTrue(/^SUCCEEDED index \d+$/.test(lines[0]!), lines[0]);
    assertEquals(JSON.parse(lines[2]!).get.value, "2");
    const lost = await rafter(fake, ["txn", "--json"], JSON.stringify(request));
    assertEquals(lost.code, EXIT.failed);
    assertEquals(JSON.parse(lost.stdout).succeeded, false);
    assertEquals((await rafter(fake, ["txn"], "{not json")).code, EXIT.usage);
  });
});

Deno.test("rafter lease: grant, attach, info, keepalive until stopped, revoke", async () => {
  await withFake(async (fake) => {
    const grant = await rafter(fake, ["lease", "grant", "200"]);
    assertEquals(grant.code, 0, grant.stderr);
    const id = grant.stdout.trim();
    assertEquals((await rafter(fake, ["put", "svc/a", "x", "--lease", id])).code, 0);
    const info = await rafter(fake, ["lease", "info", id]);
    assertEquals(info.stdout, "ttl 200 ms\nsvc/a\n");
    const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins.join(",") });
    const keeping = runClientCommand(["lease", "keepalive", id], io);
    await waitFor(
      () => fake.requests.filter((r) => r.path === "/lease/keepalive").length >= 4,
      "keep-alives past the TTL",
    );
    io.stop();
    assertEquals(await keeping, EXIT.ok);
    assertEquals(fake.store.get("svc/a")?.value, "x", "kept alive past its TTL");
    assertEquals((await rafter(fake, ["lease", "revoke", id])).code, 0);
    assertEquals(fake.store.get("svc/a"), null);
    const unknown = await rafter(fake, ["lease", "revoke", id]);
    assertEquals(unknown.code, EXIT.failed);
    assertEquals(unknown.stderr, `rafter lease: Lease "${id}" not found`);
  });
});

Deno.test("rafter watch: prints each change, resumes after a drop, exits 0 when stopped", async () => {
  await withFake(async (fake) => {
    const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins.join(",") });
    const watching = runClientCommand(["watch", "--prefix", "cfg/"], io);
    await waitFor(() => fake.requests.some((r) => r.path === "/watch"), "the watch");
    const first = fake.store.put("cfg/a", "1");
    fake.store.put("elsewhere", "x");
    await waitFor(() => io.stdout.length === 1, "the first change");
    fake.dropWatches();
    fake.store.delete("cfg/a");
    await waitFor(() => io.stdout.length === 2, "the change after the drop");
    io.stop();
    assertEquals(await watching, EXIT.ok);
    assertEquals(io.stdout.join(""), `${first}\tPUT\tcfg/a\t1\n${first + 2}\tDELETE\tcfg/a\n`);
    fake.compactedIndex = 3;
    const compacted = await rafter(fake, ["watch", "cfg/a", "--from-index", "1"]);
    assertEquals(compacted.code, EXIT.failed);
    assertEquals((await rafter(fake, ["watch", "k", "--prefix", "p"])).code, EXIT.usage);
  });
});

Deno.test("rafter lock: runs the command holding the lock and exits with its code", async () => {
  await withFake(async (fake) => {
    const script =
      'test "$RAFTER_LOCK_KEY" = jobs/nightly && test "$RAFTER_LOCK_INDEX" -gt 0 && exit 7';
    const run = await runRafter(["lock", "jobs/nightly", "--", "sh", "-c", script], {
      env: { RAFTER_ENDPOINTS: fake.origins.join(",") },
    });
    assertEquals(run.code, 7, run.stderr);
    assertEquals(fake.store.get("jobs/nightly"), null, "released");
    assertEquals(fake.store.leases.size, 0);
  });
});

Deno.test("rafter lock: a holder killed with SIGKILL loses the lock once its lease expires", async () => {
  await withFake(async (fake) => {
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        MAIN,
        "lock",
        "jobs/nightly",
        "--ttl-ms",
        "300",
        "--",
        "sleep",
        "5",
      ],
      env: { RAFTER_ENDPOINTS: fake.origins.join(","), NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitFor(() => fake.store.get("jobs/nightly") !== null, "the holder to take the lock");
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
    }
    const taken = fake.store.get("jobs/nightly")!;
    using client = new RafterClient({ endpoints: fake.origins });
    await using next = await lock(client, "jobs/nightly", {
      ttlMs: 300,
      signal: AbortSignal.timeout(10_000),
    });
    assertTrue(next.index > taken.modIndex, "a new holder, after the dead one's lease expired");
  });
});
