/**
 * The dashboard's key browser in a real browser, against the real `/keys`
 * and `/watch` routes over the fake node's data-model operations (the real
 * state machine and watch history, each write applied at once): paging, and
 * rows that appear and vanish as changes stream in.
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

/** The app over `node`, recording the query of every watch the page opens. */
function keysApi(node: FakeNode) {
  const app = createApp(node, { statusIntervalMs: 200 });
  const watchQueries: string[] = [];
  const fetch = (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/watch") watchQueries.push(url.search);
    return app.fetch(request);
  };
  return { fetch, watchQueries, watcherCount: () => node.port.watchHistory.watchCount };
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
    for (let i = 0; i < 70; i++) await node.data.put(`app/${String(i).padStart(3, "0")}`, `v${i}`);
    await node.data.put("other/key", "x");
    const api = keysApi(node);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, api.fetch);
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
        () => api.watchQueries.at(-1)?.includes("fromIndex=72"),
        "a watch",
        PAGE_WAIT_MS,
      );
      assertEquals(api.watchQueries.at(-1), "?prefix=app%2F&fromIndex=72");

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
      await node.data.put("app/000a", "fresh");
      await waitFor(async () => (await rows(page))[1] === "app/000a", "the new key", PAGE_WAIT_MS);
      assertEquals(
        await page.textContent('#keys-rows tr[data-key="app/000a"] td:nth-child(2)'),
        "fresh",
      );
      await node.data.deleteValue("app/001", {});
      await waitFor(
        async () => !(await rows(page)).includes("app/001"),
        "the deletion",
        PAGE_WAIT_MS,
      );
      await node.data.put("app/999", "off page");
      await node.data.put("zzz/outside", "x");
      await node.data.put("app/0005", "on page");
      await waitFor(
        async () => (await rows(page)).includes("app/0005"),
        "a later key",
        PAGE_WAIT_MS,
      );
      assertTrue(!(await rows(page)).includes("app/999"), "a key beyond the page stays off it");
      assertEquals(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
