import { assertEquals, assertTrue } from "../assert.ts";
import { Counter } from "../../src/metrics/counter.ts";
import { LEADER_HISTORY_MAX, LeaderHistory } from "../../src/metrics/leader_history.ts";
import { RECENT_SECONDS_MAX, RecentOps } from "../../src/metrics/recent_ops.ts";
import { dataDirSizes } from "../../src/metrics/data_dir_sizes.ts";

Deno.test("leader history records each new (term, leader) once and counts moves to a leader", () => {
  const changes = new Counter();
  const history = new LeaderHistory(changes);
  assertTrue(history.observe(1, "", 100));
  assertTrue(history.observe(2, "n1", 200));
  assertEquals(history.observe(2, "n1", 300), false);
  assertTrue(history.observe(3, "", 400));
  assertTrue(history.observe(3, "n2", 500));
  assertEquals(history.observe(2, "n1", 600), false, "a stale term is not news");
  assertTrue(history.observe(4, "n2", 700), "the same leader in a new term is news");
  assertEquals(changes.value, 2);
  assertEquals(history.since(450).map((s) => [s.term, s.leaderId]), [[3, ""], [3, "n2"], [
    4,
    "n2",
  ]]);
  assertEquals(history.since(10_000).map((s) => s.atMs), [700]);
});

Deno.test("leader history keeps at most its bound", () => {
  const history = new LeaderHistory(new Counter());
  for (let term = 1; term <= LEADER_HISTORY_MAX * 2; term++) {
    history.observe(term, `n${term % 3}`, term);
  }
  const kept = history.since(0);
  assertEquals(kept.length, LEADER_HISTORY_MAX);
  assertEquals(kept.at(-1)!.term, LEADER_HISTORY_MAX * 2);
});

Deno.test("recent operations count per second and report a p99 at or above the true one", () => {
  const ops = new RecentOps();
  const base = 1_000_000;
  for (let i = 0; i < 990; i++) ops.record("write", 0.001, base + 10);
  for (let i = 0; i < 10; i++) ops.record("write", 0.2, base + 20);
  for (let i = 0; i < 5; i++) ops.record("read", 0.0005, base + 1010);
  const series = ops.series(base + 2500, 3);
  assertEquals(series.startSecond, 999);
  assertEquals(series.writes, [0, 1000, 0]);
  assertEquals(series.reads, [0, 0, 5]);
  const p99 = series.writeP99Ms[1]!;
  assertTrue(p99 >= 1 && p99 < 1.5, `p99 ${p99}`);
  assertTrue(series.readP99Ms[2]! >= 0.5 && series.readP99Ms[2]! < 0.75);
});

Deno.test("recent operations forget a slot when the ring comes round to it", () => {
  const ops = new RecentOps();
  ops.record("write", 0.001, 5_000);
  const later = 5_000 + RECENT_SECONDS_MAX * 1000;
  ops.record("write", 0.001, later);
  ops.record("write", 0.001, later);
  assertEquals(ops.series(later + 1000, 1).writes, [2]);
  assertEquals(ops.series(6_000, 1).writes, [0], "the old second is gone");
});

Deno.test("data directory sizes add up WAL segments and take the newest snapshot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_sizes_" });
  try {
    assertEquals(await dataDirSizes(dir), { walBytes: 0, snapshotBytes: 0 });
    await Deno.mkdir(`${dir}/wal`);
    await Deno.mkdir(`${dir}/snap`);
    await Deno.writeFile(`${dir}/wal/0000000000000001.wal`, new Uint8Array(300));
    await Deno.writeFile(`${dir}/wal/0000000000000090.wal`, new Uint8Array(200));
    await Deno.writeFile(`${dir}/wal/notes.txt`, new Uint8Array(999));
    await Deno.writeFile(`${dir}/snap/0000000000000002-0000000000000010.snap`, new Uint8Array(70));
    await Deno.writeFile(`${dir}/snap/0000000000000003-0000000000000100.snap`, new Uint8Array(80));
    assertEquals(await dataDirSizes(dir), { walBytes: 500, snapshotBytes: 80 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
