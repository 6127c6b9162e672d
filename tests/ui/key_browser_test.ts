/**
 * The dashboard's key browser in a real browser, against a node whose
 * `/keys` and `/watch` follow the documented API (prefix listing in pages,
 * `fromIndex` watches as server-sent events), served here over the fake
 * node: paging, and rows that appear and vanish as changes stream in.
 */

import type { Page } from "playwright-core";
import { assertEquals, assertTrue } from "../assert.ts";
import { waitFor } from "../cluster/harness.ts";
import { FakeNode } from "../http/fake_node.ts";
import { createApp } from "../../src/http/app.ts";
import { skipWithout } from "../tools.ts";
import { CHROMIUM, launchBrowser } from "./browser.ts";

/** Longest the page may take to show a change. */
const PAGE_WAIT_MS = 15_000;
// The functions handed to page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Dom = any;

/** `/keys` and `/watch` as the API documents them, over the fake node's records. */
function keysApi(node: FakeNode) {
  const app = createApp(node, { statusIntervalMs: 200 });
  const watchers = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const watchQueries: string[] = [];
  app.get("/keys", (c) => {
    const prefix = c.req.query("prefix") ?? "";
    const after = c.req.query("after") ?? "";
    const limit = Number(c.req.query("limit") ?? "1000");
    const keys = [...node.records.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const items = keys.slice(0, limit).map((k) => node.records.get(k)!);
    const more = keys.length > limit;
    return c.json({ items, more, next: more ? items.at(-1)!.key : "", index: node.index });
  });
  app.get("/watch", (c) => {
    watchQueries.push(new URL(c.req.url).search);
    let controller: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        watchers.add(c);
      },
      cancel() {
        watchers.delete(controller);
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const emit = (changes: Record<string, unknown>[]) => {
    const data = JSON.stringify({ index: node.index, changes });
    const bytes = new TextEncoder().encode(`id: ${node.index}\nevent: change\ndata: ${data}\n\n`);
    for (const watcher of watchers) watcher.enqueue(bytes);
  };
  const closeWatchers = () => {
    for (const watcher of watchers) watcher.close();
    watchers.clear();
  };
  return { app, emit, watchQueries, closeWatchers, watcherCount: () => watchers.size };
}

function rows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...(globalThis as Dom).document.querySelectorAll("#keys-rows tr")].map((r: Dom) =>
      r.dataset.key
    )
  );
}

Deno.test({
  name: "key browser: pages through a prefix and stays live over the watch stream",
  ignore: skipWithout("chromium", CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const node = new FakeNode();
    for (let i = 0; i < 70; i++) await node.put(`app/${String(i).padStart(3, "0")}`, `v${i}`);
    await node.put("other/key", "x");
    const api = keysApi(node);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, api.app.fetch);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      await page.goto(`http://127.0.0.1:${server.addr.port}/ui`);
      await page.fill("#prefix", "app/");
      await page.click("#keys-form button[type=submit]");
      await waitFor(async () => (await rows(page)).length === 50, "the first page", PAGE_WAIT_MS);
      assertEquals((await rows(page))[0], "app/000");
      assertEquals((await rows(page))[49], "app/049");
      await waitFor(
        () => api.watchQueries.at(-1)?.includes("fromIndex=73"),
        "a watch",
        PAGE_WAIT_MS,
      );
      assertEquals(api.watchQueries.at(-1), "?prefix=app%2F&fromIndex=73");

      await page.click("#keys-next");
      await waitFor(async () => (await rows(page))[0] === "app/050", "page two", PAGE_WAIT_MS);
      assertEquals((await rows(page)).length, 20);
      assertTrue(await page.isDisabled("#keys-next"));

      await page.click("#keys-prev");
      await waitFor(
        async () => (await rows(page))[0] === "app/000",
        "page one again",
        PAGE_WAIT_MS,
      );
      await waitFor(() => api.watcherCount() === 1, "one live watch", PAGE_WAIT_MS);
      const index = node.index + 1;
      await node.put("app/000a", "fresh");
      api.emit([{
        type: "put",
        key: "app/000a",
        value: "fresh",
        createIndex: index,
        modIndex: index,
      }]);
      await waitFor(async () => (await rows(page))[1] === "app/000a", "the new key", PAGE_WAIT_MS);
      assertEquals(
        await page.textContent('#keys-rows tr[data-key="app/000a"] td:nth-child(2)'),
        "fresh",
      );
      await node.delete("app/001");
      api.emit([{ type: "delete", key: "app/001", createIndex: 3, modIndex: node.index }]);
      await waitFor(
        async () => !(await rows(page)).includes("app/001"),
        "the deletion",
        PAGE_WAIT_MS,
      );
      api.emit([{ type: "put", key: "app/999", value: "off page", createIndex: 1, modIndex: 1 }]);
      await node.put("zzz/outside", "x");
      api.emit([{ type: "put", key: "app/0005", value: "on page", createIndex: 1, modIndex: 1 }]);
      await waitFor(
        async () => (await rows(page)).includes("app/0005"),
        "a later key",
        PAGE_WAIT_MS,
      );
      assertTrue(!(await rows(page)).includes("app/999"), "a key beyond the page stays off it");
      assertEquals(errors, []);
    } finally {
      api.closeWatchers();
      await browser.close();
      await server.shutdown();
    }
  },
});
