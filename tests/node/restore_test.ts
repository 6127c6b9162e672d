// Preparing a data directory from a backup file: the state, a new cluster of one, the log's
// position; refusals (a directory in use, a damaged or truncated backup) that write nothing.
import { assertEquals, assertMatch, assertRejects, assertTrue } from "../assert.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { silentLogger } from "../../src/log.ts";
import { backupOf } from "../../src/node/backup.ts";
import { restoreBackup } from "../../src/node/restore.ts";
import { BackupFormatError } from "../../src/storage/backup_file.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";
import { Feeder } from "../kv/helpers.ts";
import { withTempDir } from "../storage/helpers.ts";

const MEMBER = { id: "n7", voter: true, raftAddr: "127.0.0.1:7007", httpAddr: "127.0.0.1:8007" };
const OLD_MEMBERS = [
  { id: "n1", voter: true, raftAddr: "10.0.0.1:7001", httpAddr: "10.0.0.1:8001" },
  { id: "n2", voter: true, raftAddr: "10.0.0.2:7001", httpAddr: "10.0.0.2:8001" },
];

/** A machine of an old three-member cluster: keys, a lease, a deleted key. */
function oldState(): KvStateMachine {
  const feeder = new Feeder();
  feeder.machine.setMembership(OLD_MEMBERS, 1);
  feeder.apply({ kind: "leaseGrant", ttlMs: 60_000 });
  for (let i = 0; i < 500; i++) feeder.put(`k/${i}`, `v${i}`, { lease: i % 50 === 0 ? 2 : 0 });
  feeder.put("k/7", "again");
  feeder.apply({ kind: "delete", key: "k/8", prevIndex: -1 });
  return feeder.machine;
}

async function writeBackup(
  path: string,
  machine: KvStateMachine,
  term: number,
): Promise<Uint8Array> {
  await Deno.writeFile(path, backupOf(machine.freeze(), term).body);
  return await Deno.readFile(path);
}

Deno.test("restore: the backup's state at its index and term, as the only member of a new cluster", async () => {
  await withTempDir(async (dir) => {
    const machine = oldState();
    await writeBackup(`${dir}/b.backup`, machine, 6);
    const restored = await restoreBackup(`${dir}/b.backup`, {
      dataDir: `${dir}/n7`,
      member: MEMBER,
    });
    assertEquals([restored.index, restored.term, restored.keys], [machine.appliedIndex, 6, 499]);
    const storage = await FileStorage.open(`${dir}/n7`, { nodeId: "n7", logger: silentLogger });
    try {
      assertEquals(storage.identity(), { nodeId: "n7", clusterId: restored.clusterId });
      assertTrue(restored.clusterId.length > 0);
      const state = storage.recovered();
      assertEquals(state.hardState, { term: 6, vote: "", commit: machine.appliedIndex });
      assertEquals(state.entries, []);
      assertEquals(state.snapshot?.meta, {
        index: machine.appliedIndex,
        term: 6,
        membership: [MEMBER],
      });
      const copy = new KvStateMachine();
      copy.restore(state.snapshot!.data);
      assertEquals(copy.membership, [MEMBER]);
      assertEquals(copy.appliedIndex, machine.appliedIndex);
      const everything = { prefix: "", after: "", limit: 1000, keysOnly: false };
      assertEquals(copy.scan(everything), machine.scan(everything));
      assertEquals(copy.leases(), machine.leases());
      assertEquals(copy.lease(2, 100)?.keys, machine.lease(2, 100)?.keys);
    } finally {
      await storage.close();
    }
  });
});

Deno.test("restore: a directory that is not empty is refused and left as it was", async () => {
  await withTempDir(async (dir) => {
    await writeBackup(`${dir}/b.backup`, oldState(), 2);
    await Deno.mkdir(`${dir}/used`);
    await Deno.writeTextFile(`${dir}/used/keep.txt`, "mine");
    await assertRejects(
      restoreBackup(`${dir}/b.backup`, { dataDir: `${dir}/used`, member: MEMBER }),
      /Cannot restore into ".*\/used": it is not empty/,
    );
    assertEquals([...Deno.readDirSync(`${dir}/used`)].map((e) => e.name), ["keep.txt"]);
    // An empty directory is fine.
    await Deno.mkdir(`${dir}/empty`);
    await restoreBackup(`${dir}/b.backup`, { dataDir: `${dir}/empty`, member: MEMBER });
    assertTrue([...Deno.readDirSync(`${dir}/empty`)].length > 0);
  });
});

Deno.test("restore: a damaged or truncated backup is refused with its offset, and nothing is written", async () => {
  await withTempDir(async (dir) => {
    const bytes = await writeBackup(`${dir}/b.backup`, oldState(), 2);
    const damaged = bytes.slice();
    damaged[1000]! ^= 0x10;
    await Deno.writeFile(`${dir}/damaged.backup`, damaged);
    await Deno.writeFile(`${dir}/short.backup`, bytes.subarray(0, bytes.length - 20));
    for (
      const [name, pattern] of [
        ["damaged", /^Backup is corrupt at offset "\d+": the frame's checksum does not match$/],
        ["short", /^Backup is truncated at offset "\d+": the data ends inside the frame/],
      ] as const
    ) {
      const error = await restoreBackup(`${dir}/${name}.backup`, {
        dataDir: `${dir}/${name}`,
        member: MEMBER,
      }).then(() => null, (e) => e);
      assertTrue(error instanceof BackupFormatError, String(error));
      assertMatch(error.message, pattern);
      assertTrue(error.offset <= (name === "damaged" ? 1000 : bytes.length - 20), error.message);
      await assertRejects(Deno.stat(`${dir}/${name}`), /No such file/);
    }
    await assertRejects(
      restoreBackup(`${dir}/missing.backup`, { dataDir: `${dir}/m`, member: MEMBER }),
      /Cannot open ".*missing.backup"/,
    );
  });
});
