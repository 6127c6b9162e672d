/**
 * The dashboard's key browser in a real browser against a real three-node
 * cluster, the page open on a follower: paging through a prefix read from
 * the follower's state, then rows that appear and vanish as writes and
 * deletes sent to the leader replicate and stream in over the watch.
 */

import type { Page } from "playwright-core";
import { assertEquals, assertTrue } from "../assert.ts";
import {
  type Cluster,
  type NodeProcess,
  putKey,
  request,
  waitFor,
  withCluster,
} from "../cluster/harness.ts";
import { sample, scrape } from "../metrics/scrape.ts";
import { skipWithout } from "../tools.ts";
import { CHROMIUM, launchBrowser } from "./browser.ts";

/** Longest the page may take to show a change (generous: the machine may be busy). */
const PAGE_WAIT_MS = 20_000;
// The functions handed to page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Dom = any;

function rows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...(globalThis as Dom).document.querySelectorAll("#keys-rows tr")].map((r: Dom) =>
      r.dataset.key
    )
  );
}

function waitForRows(page: Page, what: string, holds: (keys: string[]) => boolean) {
  return waitFor(async () => holds(await rows(page)), what, PAGE_WAIT_MS);
}

async function write(leader: NodeProcess, key: string, value: string): Promise<void> {
  assertEquals((await putKey(leader.httpAddr, key, value)).status, 200, key);
}

async function caughtUp(cluster: Cluster, leader: NodeProcess, node: NodeProcess) {
  await waitFor(async () => {
    const [lead, own] = [await cluster.status(leader), await cluster.status(node)];
    return lead !== null && own !== null && own.appliedIndex === lead.commitIndex;
  }, `${node.id} caught up`);
}

async function scenario(cluster: Cluster): Promise<void> {
  const leader = await cluster.form(3);
  const follower = cluster.nodes.find((n) => n !== leader)!;
  for (let i = 0; i < 70; i++) await write(leader, `app/${String(i).padStart(3, "0")}`, `v${i}`);
  await write(leader, "other/key", "x");
  await caughtUp(cluster, leader, follower);
  const watchers = async () => sample(await scrape(follower.httpAddr), "rafter_watch_watchers");
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const watchQueries: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.pathname === "/watch") watchQueries.push(url.search);
    });
    await page.goto(`http://${follower.httpAddr}/ui`);
    await page.fill("#prefix", "app/");
    await page.click("#keys-form button[type=submit]");
    await waitForRows(page, "the first page", (keys) => keys.length === 50);
    assertEquals((await rows(page))[0], "app/000");
    assertEquals((await rows(page))[49], "app/049");
    const note = await page.textContent("#keys-note") ?? "";
    const readAt = Number(/index (\d+)/.exec(note)?.[1]);
    assertEquals(readAt, (await cluster.status(follower))?.appliedIndex, note);
    const watchQuery = `?prefix=app%2F&fromIndex=${readAt + 1}`;
    await waitFor(() => watchQueries.includes(watchQuery), "a watch", PAGE_WAIT_MS);

    await page.click("#keys-next");
    await waitForRows(page, "page two", (keys) => keys[0] === "app/050");
    assertEquals((await rows(page)).length, 20);
    assertTrue(await page.isDisabled("#keys-next"));
    await page.click("#keys-prev");
    await waitForRows(page, "page one again", (keys) => keys[0] === "app/000");
    await waitFor(async () => await watchers() === 1, "one live watch on the node", PAGE_WAIT_MS);

    await write(leader, "app/000a", "fresh");
    await waitForRows(page, "the new key", (keys) => keys[1] === "app/000a");
    assertEquals(
      await page.textContent('#keys-rows tr[data-key="app/000a"] td:nth-child(2)'),
      "fresh",
    );
    const deleted = await request(`http://${leader.httpAddr}/key?key=app%2F001`, {
      method: "DELETE",
    });
    assertEquals(deleted.status, 200, deleted.text);
    await waitForRows(page, "the deletion", (keys) => !keys.includes("app/001"));
    await write(leader, "app/999", "off page");
    await write(leader, "zzz/outside", "x");
    await write(leader, "app/0005", "on page");
    await waitForRows(page, "a later key", (keys) => keys.includes("app/0005"));
    assertTrue(!(await rows(page)).includes("app/999"), "a key beyond the page stays off it");
    assertEquals(errors, []);
  } finally {
    await browser.close();
  }
  await waitFor(async () => await watchers() === 0, "the watch closed with the page");
}

Deno.test({
  name: "key browser: pages through a follower's keys and stays live as the leader writes",
  ignore: skipWithout("chromium", CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCluster({}, scenario);
  },
});
