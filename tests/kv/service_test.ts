import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import {
  CompactedError,
  PreconditionFailedError,
  QuotaExceededError,
  type WatchEvent,
} from "../../src/api.ts";
import { KvService } from "../../src/kv/service.ts";
import { LocalPort } from "./local_port.ts";

const LEASE_TTL_MS_MIN = 1500;

function setup(quotaBytes = 0): { port: LocalPort; service: KvService } {
  const port = new LocalPort({ entriesMax: 100 });
  return { port, service: new KvService(port, { quotaBytes, leaseTtlMsMin: LEASE_TTL_MS_MIN }) };
}

Deno.test("a CAS mismatch is a 412-style error carrying the current record", async () => {
  const { service } = setup();
  assertEquals(await service.putValue("k", "1", { prevIndex: 0 }), { index: 1, created: true });
  try {
    await service.putValue("k", "2", { prevIndex: 0 });
    throw new Error("accepted");
  } catch (error) {
    assertTrue(error instanceof PreconditionFailedError);
    assertEquals(error.current, { key: "k", value: "1", createIndex: 1, modIndex: 1 });
    assertEquals(error.message, 'Precondition failed: key "k" is at modIndex "1"');
  }
  assertEquals(await service.putValue("k", "2", { prevIndex: 1 }), { index: 3, created: false });
  await assertRejects(service.deleteValue("k", { prevIndex: 1 }), /is at modIndex "3"/);
  assertEquals(await service.deleteValue("k", { prevIndex: 3 }), { deleted: true, index: 5 });
});

Deno.test("a write past the quota is a typed error naming the quota and the size", async () => {
  const { service } = setup(10);
  await service.put("k", "12345");
  const error = await service.put("j", "123456").catch((e) => e);
  assertTrue(error instanceof QuotaExceededError);
  assertEquals([error.dataBytes, error.quotaBytes], [6, 10]);
  assertEquals((await service.deletePrefix("")).deleted, 1);
});

Deno.test("binary values go in as bytes and come out as the same bytes", async () => {
  const { service } = setup();
  const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
  await service.putValue("bin", bytes, {});
  const record = await service.getValue("bin", "stale");
  assertEquals(record?.value, bytes);
  const page = await service.scan({ prefix: "", after: "", limit: 10, keysOnly: false }, "stale");
  assertEquals(page.items, [{
    key: "bin",
    value: "3q2+7w==",
    encoding: "base64",
    createIndex: 1,
    modIndex: 1,
  }]);
});

Deno.test("scan pages pass their last key on and report the index they read at", async () => {
  const { port, service } = setup();
  for (let i = 0; i < 25; i++) await service.put(`k/${String(i).padStart(2, "0")}`, `${i}`);
  const keys: string[] = [];
  let after = "";
  for (let round = 0; round < 10; round++) {
    const page = await service.scan(
      { prefix: "k/", after, limit: 10, keysOnly: true },
      "consistent",
    );
    keys.push(...page.items.map((item) => item.key));
    assertEquals(page.index, 25);
    if (!page.more) break;
    after = page.next;
  }
  assertEquals(keys.length, 25);
  assertEquals(port.barriers.filter((level) => level === "consistent").length, 3);
});

Deno.test("leases: TTL floor, keep-alive on the leader, info, revoke deletes the keys", async () => {
  const { port, service } = setup();
  await assertRejects(
    service.leaseGrant(1000),
    /Lease TTL "1000" ms is below the minimum of "1500"/,
  );
  const { id } = await service.leaseGrant(3000);
  assertEquals(id, 1);
  await service.putValue("svc/a", "x", { lease: id });
  const { lease } = await service.putValue("lock", "me", { ttlMs: 2000 });
  assertEquals(lease, 3);
  port.clockMs = 1000;
  assertEquals(await service.leaseInfo(id), {
    id,
    ttlMs: 2000,
    grantedTtlMs: 3000,
    keys: ["svc/a"],
    more: false,
  });
  assertEquals(await service.leaseKeepAlive(id), { id, ttlMs: 3000 });
  assertEquals((await service.leaseInfo(id)).ttlMs, 3000);
  assertEquals(await service.leaseRevoke(id), { id, deleted: 1, index: 4 });
  await assertRejects(service.leaseKeepAlive(id), /Lease "1" not found/);
  await assertRejects(service.leaseInfo(id), /Lease "1" not found/);
  await assertRejects(service.putValue("k", "v", { lease: id }), /Lease "1" not found/);
  await assertRejects(
    service.putValue("k", "v", { lease: 3, ttlMs: 5000 }),
    /both a lease and a TTL/,
  );
});

Deno.test("the leader proposes the revocation of expired leases and their keys go", async () => {
  const { port, service } = setup();
  const { id } = await service.leaseGrant(2000);
  await service.putValue("session", "me", { lease: id });
  port.clockMs = 1999;
  assertEquals(service.expireLeases(), 0);
  port.clockMs = 2000;
  assertEquals(service.expireLeases(), 1);
  await Promise.resolve();
  assertEquals(port.state.get("session"), null);
  assertEquals(port.state.leases(), []);
});

Deno.test("a keep-alive needs the leader lease and passes the default read barrier", async () => {
  const { port, service } = setup();
  const { id } = await service.leaseGrant(3000);
  port.clockMs = 1000;
  port.leaseHolds = false;
  await assertRejects(service.leaseKeepAlive(id), /has not heard from a quorum recently/);
  assertEquals((await service.leaseInfo(id)).ttlMs, 2000, "the TTL was not restarted");
  port.leaseHolds = true;
  assertEquals(await service.leaseKeepAlive(id), { id, ttlMs: 3000 });
  assertEquals(port.barriers.filter((level) => level === "default").length, 2);
});

Deno.test("a node whose core stopped leading decides no expiry", async () => {
  const { port, service } = setup();
  const { id } = await service.leaseGrant(2000);
  port.clockMs = 2500;
  port.leaderHttpAddr = "127.0.0.1:8001";
  assertEquals(service.expireLeases(), 0);
  port.leaderHttpAddr = null;
  assertEquals(port.leaseDeadlines.remaining(id, 2500), 0, "the deadline passed, still tracked");
  assertEquals(service.expireLeases(), 1);
});

Deno.test("lease calls and writes on a follower are redirected to the leader", async () => {
  const { port, service } = setup();
  port.leaderHttpAddr = "127.0.0.1:8001";
  await assertRejects(service.leaseKeepAlive(1), /Not the leader/);
  await assertRejects(service.leaseInfo(1), /Not the leader/);
  await assertRejects(service.leaseGrant(5000), /Not the leader/);
  await assertRejects(service.txn({ compare: [], success: [], failure: [] }), /Not the leader/);
});

Deno.test("new commands wait until every member understands them; plain puts fall back", async () => {
  const { port, service } = setup();
  port.commandVersion = 1;
  await assertRejects(
    service.putValue("k", "v", { prevIndex: 0 }),
    /not every member understands command version "2" yet/,
  );
  await assertRejects(service.leaseGrant(5000), /Cannot grant a lease: not every member/);
  assertEquals(await service.put("k", "v"), { index: 1 });
  assertEquals(port.state.get("k")?.value, "v");
});

Deno.test("a transaction answers each result and is one entry", async () => {
  const { service } = setup();
  await service.put("a", "1");
  const result = await service.txn({
    compare: [{ key: "a", target: "value", value: "1" }],
    success: [{ op: "get", key: "a" }, { op: "put", key: "b", value: "2", lease: 0 }],
    failure: [],
  });
  assertEquals(result, {
    succeeded: true,
    results: [
      { get: { key: "a", record: { key: "a", value: "1", createIndex: 1, modIndex: 1 } } },
      { put: { key: "b" } },
    ],
    index: 2,
  });
});

Deno.test("a watch resumes from an index and a compacted one is refused", async () => {
  const { service } = setup();
  for (let i = 1; i <= 150; i++) await service.put(`k${i % 2}`, `${i}`);
  const watch = await service.watch({ key: "k1", fromIndex: 141, level: "stale" });
  const seen = [];
  for (let item = watch.take(); item !== null && item.type === "change"; item = watch.take()) {
    seen.push((item as WatchEvent).index);
  }
  assertEquals(seen, [141, 143, 145, 147, 149]);
  const error = await service.watch({ prefix: "", fromIndex: 10, level: "stale" }).catch((e) => e);
  assertTrue(error instanceof CompactedError);
  assertEquals([error.compactedIndex, error.currentIndex], [50, 150]);
});
