// The client against the fake cluster for the key-value routes not on the node yet: prefix
// scans in pages, compare-and-swap, conditional deletes, prefix deletes and transactions.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { IndeterminateError, op, PreconditionFailedError } from "../../src/client/mod.ts";
import { FakeCluster } from "./fake_cluster.ts";

Deno.test("list: pages continue after the last key, in UTF-8 byte order, each key once", async () => {
  const fake = new FakeCluster();
  const keys = ["p/a", "p/b", "p/\u{1F600}", "p/\uFF21", "p/c", "q/a", "p"];
  for (const key of keys) fake.store.put(key, `v-${key}`);
  using client = fake.client([1]);
  const pages = [];
  for await (const page of client.list("p/", { limit: 2, level: "stale" })) pages.push(page);
  assertEquals(pages.map((p) => p.items.map((r) => r.key)), [
    ["p/a", "p/b"],
    ["p/c", "p/\uFF21"],
    ["p/\u{1F600}"],
  ]);
  assertEquals(pages.map((p) => p.more), [true, true, false]);
  assertEquals(pages[0]!.items[0]!.value, "v-p/a");
  const afters = fake.requests.map((r) => new URLSearchParams(r.search).get("after"));
  assertEquals(afters, [null, "p/b", "p/\uFF21"]);
});

Deno.test("list: a page that fails is fetched again from another node, nothing lost or repeated", async () => {
  const fake = new FakeCluster();
  for (let i = 0; i < 25; i++) fake.store.put(`k/${String(i).padStart(2, "0")}`, "v");
  using client = fake.client([1, 2]);
  const seen: string[] = [];
  let pages = 0;
  for await (const page of client.list("k/", { limit: 10, level: "consistent" })) {
    seen.push(...page.items.map((r) => r.key));
    if (++pages === 1) {
      fake.faults.push({ status: 503, body: { error: "No leader is known" }, path: "/keys" });
    }
  }
  assertEquals(seen.length, 25);
  assertEquals(new Set(seen).size, 25);
  assertEquals(fake.requests.filter((r) => r.path === "/keys").length, 4);
});

Deno.test("list: the default level goes to the leader; keysOnly and after are passed on", async () => {
  const fake = new FakeCluster();
  fake.store.put("a", "1");
  fake.store.put("b", "2");
  using client = fake.client([2]);
  const items = [];
  for await (const page of client.list("", { after: "a", keysOnly: true })) {
    items.push(...page.items);
  }
  assertEquals(items.map((r) => [r.key, r.value]), [["b", ""]]);
  assertEquals(fake.requests.map((r) => r.node), [2, 0]);
});

Deno.test("put with prevIndex: 0 creates only, N swaps only from N, 412 carries the record", async () => {
  const fake = new FakeCluster();
  using client = fake.client();
  const created = await client.put("k", "1", { prevIndex: 0 });
  const again = await assertRejectsWith(
    client.put("k", "x", { prevIndex: 0 }),
    PreconditionFailedError,
  );
  assertEquals(again.current, {
    key: "k",
    value: "1",
    createIndex: created.index,
    modIndex: created.index,
  });
  const swapped = await client.put("k", "2", { prevIndex: created.index });
  await assertRejectsWith(
    client.put("k", "3", { prevIndex: created.index }),
    PreconditionFailedError,
  );
  await assertRejectsWith(
    client.delete("k", { prevIndex: created.index }),
    PreconditionFailedError,
  );
  assertEquals((await client.delete("k", { prevIndex: swapped.index })).deleted, true);
  const gone = await assertRejectsWith(
    client.put("k", "4", { prevIndex: 9 }),
    PreconditionFailedError,
  );
  assertEquals(gone.current, null);
});

Deno.test("deletePrefix: one entry; an empty prefix needs all", async () => {
  const fake = new FakeCluster();
  for (const key of ["a/1", "a/2", "b/1"]) fake.store.put(key, "v");
  using client = fake.client();
  assertEquals((await client.deletePrefix("a/")).deleted, 2);
  assertEquals([...fake.store.records.keys()], ["b/1"]);
  assertEquals((await client.deletePrefix("", { all: true })).deleted, 1);
});

Deno.test("txn: compare picks the branch; results per operation; one index", async () => {
  const fake = new FakeCluster();
  using client = fake.client();
  const { index } = await client.put("config", "v1");
  const won = await client.txn()
    .compare({ key: "config", modIndex: index }, { key: "lock", exists: false })
    .success(op.put("config", "v2"), op.get("config"), op.delete("old"))
    .failure(op.get("config"))
    .commit();
  assertEquals(won.succeeded, true);
  assertEquals(won.results.length, 3);
  assertEquals((won.results[1] as { get: { value: string } }).get.value, "v2");
  assertEquals(fake.store.get("config")?.modIndex, won.index);
  const lost = await client.txn({ compare: [{ key: "config", value: "v1" }] })
    .success(op.put("config", "never"))
    .failure(op.get("config"))
    .commit();
  assertEquals(lost.succeeded, false);
  assertEquals((lost.results[0] as { get: { value: string } }).get.value, "v2");
  const body = JSON.parse(JSON.stringify(client.txn().success(op.deletePrefix("x"))));
  assertEquals(body, { compare: [], success: [{ deletePrefix: { prefix: "x" } }], failure: [] });
});

Deno.test("txn: a transaction is a write: a lost answer is IndeterminateError, never resent", async () => {
  const fake = new FakeCluster();
  fake.loseAnswers = 1;
  using client = fake.client();
  await assertRejectsWith(client.txn().success(op.put("a", "1")).commit(), IndeterminateError);
  assertEquals(fake.requests.filter((r) => r.path === "/txn").length, 1);
  assertTrue(fake.store.get("a") !== null);
});
