// `rafter snapshot save` and `rafter snapshot restore` as real processes: 100,000 keys backed up
// from a follower of a three-node cluster while writes go on, restored into a fresh three-node
// cluster with every key, value and index identical, and the restored cluster taking writes.
import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { op, RafterClient } from "../../src/client/mod.ts";
import type { KvRecord } from "../../src/client/mod.ts";
import { readBackupFile } from "../../src/storage/backup_read.ts";
import {
  type Cluster,
  forEachBounded,
  type NodeProcess,
  waitFor,
  withCluster,
} from "../cluster/harness.ts";
import { runRafter } from "./run.ts";

/** Keys written before the backup. */
const KEYS = 100_000;
/** Keys per transaction (the most one transaction takes). */
const KEYS_PER_TXN = 128;
/** Transactions in flight while loading. */
const LOAD_CONCURRENCY = 8;
/** Keys overwritten one by one after the load, so their indexes differ from their creation. */
const OVERWRITES = 300;
/** Writes the live writer makes at most while the backup is taken. */
const LIVE_WRITES_MAX = 2_000;
/** Keys per page when listing a whole cluster. */
const PAGE_KEYS = 10_000;

function clientOf(nodes: readonly NodeProcess[]): RafterClient {
  return new RafterClient({
    endpoints: nodes.map((n) => `http://${n.httpAddr}`),
    timeoutMs: 20_000,
  });
}

function dataKey(i: number): string {
  return `data/${String(i).padStart(6, "0")}`;
}

async function load(client: RafterClient): Promise<number> {
  const batches = Array.from({ length: Math.ceil(KEYS / KEYS_PER_TXN) }, (_, b) => b);
  let last = 0;
  await forEachBounded(batches, LOAD_CONCURRENCY, async (b) => {
    const ops = [];
    for (let i = b * KEYS_PER_TXN; i < Math.min(KEYS, (b + 1) * KEYS_PER_TXN); i++) {
      ops.push(op.put(dataKey(i), `value ${i}`));
    }
    const result = await client.txn({ success: ops }).commit();
    last = Math.max(last, result.index);
  });
  for (let i = 0; i < OVERWRITES; i++) {
    last = (await client.put(dataKey(i * 331), `changed ${i}`)).index;
  }
  return last;
}

/** Every record under `prefix`, read at level consistent, in key order. */
async function listAll(client: RafterClient, prefix: string): Promise<KvRecord[]> {
  const records: KvRecord[] = [];
  for await (const page of client.list(prefix, { limit: PAGE_KEYS, level: "consistent" })) {
    records.push(...page.items as KvRecord[]);
  }
  return records;
}

/** Writes `live/N` for N = 0, 1, ... until `stop` resolves; answers how many were written. */
async function liveWriter(client: RafterClient, stop: Promise<void>): Promise<number> {
  let stopped = false;
  stop.then(() => stopped = true);
  let written = 0;
  while (!stopped && written < LIVE_WRITES_MAX) {
    await client.put(`live/${String(written).padStart(6, "0")}`, `live ${written}`);
    written++;
  }
  return written;
}

/** Starts n1 of `cluster` on the data directory `restore` prepares, then joins n2 and n3. */
async function restoredCluster(cluster: Cluster, file: string): Promise<NodeProcess> {
  const n1 = cluster.reserve("n1");
  const args = ["snapshot", "restore", file, "--data-dir", n1.dataDir, "--id", "n1"];
  const restore = await runRafter([
    ...args,
    "--raft-addr",
    n1.raftAddr,
    "--http-addr",
    n1.httpAddr,
  ]);
  assertEquals([restore.code, restore.stderr], [0, ""]);
  assertMatch(restore.stdout, /^Restored index \d+ \(term \d+, 100\d{3} keys\) into /);
  // A second restore into the same directory is refused: it is not empty any more.
  const again = await runRafter([...args, "--raft-addr", n1.raftAddr]);
  assertEquals(again.code, 1);
  assertMatch(again.stderr, /it is not empty/);
  cluster.restart(n1);
  await cluster.leader({ voters: 1 });
  cluster.add("n2", { join: `http://${n1.httpAddr}` });
  cluster.add("n3", { join: `http://${n1.httpAddr}` });
  return await cluster.leader({ voters: 3 });
}

Deno.test("snapshot save and restore: 100,000 keys into a fresh cluster, every key and index identical", async () => {
  const file = await Deno.makeTempFile({ prefix: "rafter_backup_", suffix: ".backup" });
  try {
    let original: KvRecord[] = [];
    let live: KvRecord[] = [];
    let index = 0;
    await withCluster({ snapshotEntries: 50_000 }, async (cluster) => {
      const leader = await cluster.form(3);
      const follower = cluster.running().find((n) => n !== leader)!;
      using client = clientOf(cluster.running());
      const lastLoaded = await load(client);
      await waitFor(
        async () => ((await cluster.status(follower))?.appliedIndex ?? 0) >= lastLoaded,
        "the follower to apply the load",
      );
      // The backup comes from a follower while another client keeps writing.
      const stop = Promise.withResolvers<void>();
      const writing = liveWriter(client, stop.promise);
      const save = await runRafter(["snapshot", "save", file, "--endpoints", follower.httpAddr]);
      stop.resolve();
      const liveWritten = await writing;
      assertEquals([save.code, save.stderr], [0, ""]);
      assertMatch(
        save.stdout,
        /^Saved .*: [\d.]+ MiB, index \d+, term \d+, from http:\/\/127\.0\.0\.1:\d+ .*checksum crc32c [0-9a-f]{8} verified\n$/,
      );
      assertTrue(liveWritten > 0, "writes went on during the backup");
      index = (await readBackupFile(file)).index;
      assertTrue(index >= lastLoaded, `${index} >= ${lastLoaded}`);
      original = await listAll(client, "data/");
      live = (await listAll(client, "live/")).filter((r) => r.modIndex <= index);
      assertEquals(original.length, KEYS);
    });
    await withCluster({}, async (cluster) => {
      const leader = await restoredCluster(cluster, file);
      using client = clientOf(cluster.running());
      const status = await client.status({ endpoint: leader.httpAddr });
      assertTrue(status.appliedIndex > index, "the new leader appended its own entry after");
      assertEquals(await listAll(client, "data/"), original);
      assertEquals(
        await listAll(client, "live/"),
        live,
        "exactly the live writes up to the backup",
      );
      const written = await client.put("after/restore", "yes");
      assertTrue(written.index > index);
      // Every member holds the same state: the joined nodes got it from the restored one.
      await forEachBounded(cluster.running(), 3, async (node) => {
        const one = new RafterClient({ endpoints: [node.httpAddr] });
        try {
          const record = await waitFor(
            () => one.get("after/restore", { level: "stale" }).catch(() => null),
            `${node.id} to apply the write after the restore`,
          );
          assertEquals(record.modIndex, written.index);
          assertEquals((await one.get(dataKey(331), { level: "stale" })).value, "changed 1");
        } finally {
          one.close();
        }
      });
    });
  } finally {
    await Deno.remove(file).catch(() => {});
  }
});
