// The client's prefix scans, compare-and-swap, conditional and prefix deletes and
// transactions against a real three-node cluster, and a listing that outlives a kill -9 of
// the leader it reads from.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { op, type Page, PreconditionFailedError } from "../../src/client/mod.ts";
import { STEADY_TIMING } from "../cluster/data_model.ts";
import { withCluster } from "../cluster/harness.ts";
import { clientOf } from "./on_cluster.ts";

/** Keys listed across the leader kill, and the page size that makes several pages of them. */
const KILL_KEYS = 300;
const KILL_PAGE_LIMIT = 40;

Deno.test("client kv on three processes: list, CAS, deletes, transactions, a leader kill mid-list", async (t) => {
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(3);
    const followers = cluster.running().filter((n) => n !== leader);
    using client = clientOf(followers);

    await t.step(
      "list: pages continue after the last key, in UTF-8 byte order, each key once",
      async () => {
        const keys = ["p/a", "p/b", "p/\u{1F600}", "p/\uFF21", "p/c", "q/a", "p"];
        for (const key of keys) await client.put(key, `v-${key}`);
        const pages: Page[] = [];
        for await (const page of client.list("p/", { limit: 2, level: "consistent" })) {
          pages.push(page);
        }
        assertEquals(pages.map((p) => p.items.map((r) => r.key)), [
          ["p/a", "p/b"],
          ["p/c", "p/\uFF21"],
          ["p/\u{1F600}"],
        ]);
        assertEquals(pages.map((p) => p.more), [true, true, false]);
        assertEquals(pages[0]!.items[0]!.value, "v-p/a");
        assertTrue(pages.every((p) => p.items.every((r) => r.modIndex <= p.index)));
      },
    );

    await t.step(
      "list: the default level reaches the leader from followers; keysOnly and after",
      async () => {
        await client.put("o/a", "1");
        await client.put("o/b", "2");
        const items = [];
        for await (const page of client.list("o/", { after: "o/a", keysOnly: true })) {
          items.push(...page.items);
        }
        assertEquals(items.map((r) => [r.key, "value" in r]), [["o/b", false]]);
        assertEquals(client.leader, `http://${leader.httpAddr}`);
      },
    );

    await t.step(
      "put with prevIndex: 0 creates only, N swaps only from N, 412 carries the record",
      async () => {
        const created = await client.put("cas", "1", { prevIndex: 0 });
        const again = await assertRejectsWith(
          client.put("cas", "x", { prevIndex: 0 }),
          PreconditionFailedError,
        );
        assertEquals(again.current, {
          key: "cas",
          value: "1",
          createIndex: created.index,
          modIndex: created.index,
        });
        const swapped = await client.put("cas", "2", { prevIndex: created.index });
        await assertRejectsWith(
          client.put("cas", "3", { prevIndex: created.index }),
          PreconditionFailedError,
        );
        await assertRejectsWith(
          client.delete("cas", { prevIndex: created.index }),
          PreconditionFailedError,
        );
        assertEquals((await client.get("cas")).value, "2");
        assertEquals((await client.delete("cas", { prevIndex: swapped.index })).deleted, true);
        const gone = await assertRejectsWith(
          client.put("cas", "4", { prevIndex: 9 }),
          PreconditionFailedError,
        );
        assertEquals(gone.current, null);
      },
    );

    await t.step("deletePrefix: one entry for every key under the prefix", async () => {
      for (const key of ["dp/a/1", "dp/a/2", "dp/b/1"]) await client.put(key, "v");
      const { deleted, index } = await client.deletePrefix("dp/a/");
      assertEquals(deleted, 2);
      const left = [];
      for await (const page of client.list("dp/")) left.push(...page.items.map((r) => r.key));
      assertEquals(left, ["dp/b/1"]);
      assertTrue((await client.put("dp/after", "x")).index === index + 1, "one entry");
    });

    await t.step("txn: compare picks the branch; results per operation; one index", async () => {
      const { index } = await client.put("config", "v1");
      const won = await client.txn()
        .compare({ key: "config", modIndex: index }, { key: "lock", exists: false })
        .success(op.put("config", "v2"), op.get("config"), op.delete("old"))
        .failure(op.get("config"))
        .commit();
      assertEquals(won.succeeded, true);
      assertEquals(won.results.length, 3);
      assertEquals(won.results[1], { get: { key: "config", record: await client.get("config") } });
      assertEquals((await client.get("config")).modIndex, won.index);
      const lost = await client.txn({ compare: [{ key: "config", value: "v1" }] })
        .success(op.put("config", "never"))
        .failure(op.get("config"))
        .commit();
      assertEquals(lost.succeeded, false);
      assertEquals(lost.results.map((r) => "get" in r && r.get.record?.value), ["v2"]);
      const body = JSON.parse(JSON.stringify(client.txn().success(op.deletePrefix("x"))));
      assertEquals(body, {
        compare: [],
        success: [{ deletePrefix: { prefix: "x" } }],
        failure: [],
      });
    });

    await t.step(
      "list: the leader killed between pages; the listing ends on the new one, each key once",
      async () => {
        const keys = Array.from(
          { length: KILL_KEYS },
          (_, i) => `big/${String(i).padStart(4, "0")}`,
        );
        for (let at = 0; at < keys.length; at += 100) {
          await client.txn().success(...keys.slice(at, at + 100).map((k) => op.put(k, "v")))
            .commit();
        }
        using all = clientOf(cluster.running());
        const seen: string[] = [];
        let pages = 0;
        for await (const page of all.list("big/", { limit: KILL_PAGE_LIMIT })) {
          seen.push(...page.items.map((r) => r.key));
          if (++pages === 2) await cluster.kill9(leader);
        }
        assertTrue(pages > 2, `${pages} pages`);
        assertEquals(seen, keys, "every key once, in order");
        assertTrue(all.leader !== `http://${leader.httpAddr}`, "read from the new leader");
      },
    );

    await t.step("deletePrefix with all: every key", async () => {
      let count = 0;
      for await (const page of client.list("", { keysOnly: true })) count += page.items.length;
      assertEquals((await client.deletePrefix("", { all: true })).deleted, count);
      const left = [];
      for await (const page of client.list("")) left.push(...page.items);
      assertEquals(left, []);
    });
  });
});
