// A scan of 25,000 keys in pages, page after page on a different node and at a different
// read level, while writers change those keys, create and delete others beside them and
// write outside the prefix: every key that exists throughout comes back exactly once, in
// key order, and every page is a cut of the state at its own index.
import { assertEquals, assertTrue } from "../assert.ts";
import { op, RafterClient } from "../../src/client/mod.ts";
import type { ReadLevel } from "../../src/api.ts";
import { call, STEADY_TIMING, tolerating } from "./data_model.ts";
import { forEachBounded, withCluster } from "./harness.ts";

const KEYS = 25_000;
/** Puts per preload transaction (the most a transaction takes). */
const PUTS_PER_TXN = 128;
const PAGE_LIMIT = 500;
/** Pages at most, so a scan that never ends fails instead. */
const PAGES_MAX = 2 * KEYS / PAGE_LIMIT;
/** Writes per writer at most, so the test stays bounded whatever happens. */
const WRITES_MAX = 5_000;
const LEVELS: readonly ReadLevel[] = ["stale", "consistent", "default"];
/** Tries of one preload batch whose outcome stays unknown. */
const ATTEMPTS_MAX = 5;

function keyOf(i: number): string {
  return `scan/${String(i).padStart(5, "0")}`;
}

interface Page {
  items: { key: string; value: string; modIndex: number }[];
  more: boolean;
  next: string;
  index: number;
}

Deno.test("scan: 25,000 keys in pages across nodes and levels while writes go on: each key once", async () => {
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(3);
    using client = new RafterClient({
      endpoints: cluster.running().map((n) => `http://${n.httpAddr}`),
    });
    const batches = Array.from({ length: Math.ceil(KEYS / PUTS_PER_TXN) }, (_, b) => b);
    await forEachBounded(batches, 4, async (b) => {
      const puts = [];
      for (let i = b * PUTS_PER_TXN; i < Math.min(KEYS, (b + 1) * PUTS_PER_TXN); i++) {
        puts.push(op.put(keyOf(i), "v0"));
      }
      // Sent again if its outcome is unknown: the same puts twice leave the same keys.
      for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
        const done = await tolerating(client.txn().success(...puts).commit());
        if (done !== null) return assertTrue(done.succeeded);
      }
      throw new Error(`Batch ${b} of the preload failed ${ATTEMPTS_MAX} times`);
    });

    let writing = true;
    let writes = 0;
    const writer = async (w: number) => {
      for (let i = 0; i < WRITES_MAX && writing; i++) {
        const n = (i * 7919 + w * 104_729) % KEYS;
        await tolerating(client.put(keyOf(n), `v${i}`)); // an update: the key exists throughout
        await tolerating(client.put(`${keyOf(n)}+${w}`, "new")); // a neighbour that comes and goes
        if (i % 2 === 0) await tolerating(client.delete(`${keyOf(n)}+${w}`));
        await tolerating(client.put(`other/${w}`, String(i))); // outside the prefix
        writes++;
      }
    };
    const writers = [0, 1, 2].map(writer);
    const counts = new Map<string, number>();
    const order: string[] = [];
    let pages = 0;
    try {
      let after = "";
      for (let more = true; more; pages++) {
        assertTrue(pages < PAGES_MAX, "the scan ends");
        const node = cluster.running()[pages % 3]!;
        const level = LEVELS[pages % LEVELS.length]!;
        let target = level === "default" ? leader.httpAddr : node.httpAddr;
        const query = new URLSearchParams({
          prefix: "scan/",
          after,
          limit: String(PAGE_LIMIT),
          level,
        });
        let answer = await call(target, "GET", `/keys?${query}`);
        if (answer.status === 307) {
          // The leader moved: the page is read where the redirect points.
          target = new URL(answer.headers.get("location")!).host;
          answer = await call(target, "GET", `/keys?${query}`);
        }
        assertEquals(answer.status, 200, answer.text);
        const page = answer.json() as Page;
        assertTrue(page.items.length <= PAGE_LIMIT);
        for (const item of page.items) {
          assertTrue(item.key > after, `"${item.key}" comes after "${after}"`);
          assertTrue(item.modIndex <= page.index, `${item.key} is newer than its page`);
          counts.set(item.key, (counts.get(item.key) ?? 0) + 1);
          order.push(item.key);
        }
        assertEquals(page.next, page.items.at(-1)?.key ?? "");
        more = page.more;
        after = page.next;
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    assertTrue(writes > 0, "writes went on during the scan");
    const missing = [];
    for (let i = 0; i < KEYS; i++) {
      if (counts.get(keyOf(i)) !== 1) missing.push(`${keyOf(i)}: ${counts.get(keyOf(i)) ?? 0}`);
    }
    assertEquals(missing, [], "every key that existed throughout, exactly once");
    assertEquals([...counts.values()].filter((n) => n !== 1), [], "no key twice");
    assertEquals(order, [...order].sort(), "in key order");
    assertTrue(pages >= KEYS / PAGE_LIMIT, `${pages} pages`);
  });
});
