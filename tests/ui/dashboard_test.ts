/**
 * The dashboard in a real browser against a real three-node cluster: the
 * page lists three members with one leader; a key written through the API
 * appears in its key browser; after `kill -9` of the leader
 * it shows the new leader and the old one unreachable, and a page open on
 * the killed node shows it down; a screenshot is written. The same runs
 * against the bundled `rafter.js`.
 */

import type { Page } from "playwright-core";
import { assertEquals, assertTrue } from "../assert.ts";
import {
  type Cluster,
  type NodeProcess,
  putRetrying,
  waitFor,
  withCluster,
} from "../cluster/harness.ts";
import { skipWithout } from "../tools.ts";
import { CHROMIUM, launchBrowser } from "./browser.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** Longest the page may take to show a change (generous: the machine may be busy). */
const PAGE_WAIT_MS = 20_000;
const PHONE_WIDTH_PX = 390;

interface Shown {
  leader: string;
  health: string;
  members: { id: string; role: string; reachable: string }[];
}

// The functions handed to page.evaluate run in the browser, where `document` exists;
// this file is type-checked without the DOM library, hence the casts.
// deno-lint-ignore no-explicit-any
type Dom = any;

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const d: Dom = (globalThis as Dom).document;
    return {
      leader: d.getElementById("leader").textContent ?? "",
      health: d.body.dataset.health ?? "",
      members: [...d.querySelectorAll(".member")].map((card: Dom) => ({
        id: card.dataset.id ?? "",
        role: card.dataset.role ?? "",
        reachable: card.dataset.reachable ?? "",
      })),
    };
  });
}

/** Waits until the page shows `leaderId` as the one leader among `ids`, every one reachable. */
async function waitForLeader(page: Page, leaderId: string, ids: string[], down: string[] = []) {
  try {
    await showsLeader(page, leaderId, ids, down);
  } catch (error) {
    // Say what the page showed instead, so a failure here can be read from the log.
    const what = await shown(page).catch((e) => String(e));
    throw new Error(`Waiting for ${leaderId} to lead: ${JSON.stringify(what)}`, { cause: error });
  }
}

function showsLeader(page: Page, leaderId: string, ids: string[], down: string[]) {
  return page.waitForFunction(
    ({ leaderId, ids, down }) => {
      const d: Dom = (globalThis as Dom).document;
      const cards: Dom[] = [...d.querySelectorAll(".member")];
      const leaders = cards.filter((c) => c.dataset.role === "leader").map((c) => c.dataset.id);
      const reachable = (id: string) =>
        cards.find((c) => c.dataset.id === id)?.dataset.reachable === String(!down.includes(id));
      return d.getElementById("leader").textContent === leaderId &&
        d.body.dataset.health === "ok" && cards.length === ids.length &&
        leaders.length === 1 && leaders[0] === leaderId && ids.every(reachable);
    },
    { leaderId, ids, down },
    { timeout: PAGE_WAIT_MS },
  );
}

/** The key browser lists `ui/`; a key then written through the API shows up in it. */
async function keyWrittenAppears(page: Page, addrs: string[]): Promise<void> {
  const keys = () =>
    page.evaluate(() =>
      [...(globalThis as Dom).document.querySelectorAll("#keys-rows tr")].map((r: Dom) =>
        r.dataset.key
      )
    );
  await page.fill("#prefix", "ui/");
  await page.click("#keys-form button[type=submit]");
  await waitFor(async () => (await keys()).length === 20, "the ui/ keys listed", PAGE_WAIT_MS);
  assertTrue(await putRetrying(addrs, "ui/through-the-api", "written by the test"));
  await waitFor(
    async () => (await keys()).includes("ui/through-the-api"),
    "the key written through the API in the browser",
    PAGE_WAIT_MS,
  );
}

/**
 * Opens `onLeader` on the leader and `onFollower` on another node, and waits
 * until both show that leader. On a busy machine leadership may move before
 * the pages settle: a new leader is followed, up to three times.
 */
async function openOnLeader(cluster: Cluster, onLeader: Page, onFollower: Page) {
  const ids = cluster.nodes.map((n) => n.id);
  let leader = await cluster.leader();
  for (let attempt = 1;; attempt++) {
    const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
    await onFollower.goto(`http://${follower.httpAddr}/ui`);
    await onLeader.goto(`http://${leader.httpAddr}/ui`);
    try {
      for (const page of [onFollower, onLeader]) await waitForLeader(page, leader.id, ids);
      return leader;
    } catch (error) {
      const now = await cluster.leader();
      if (attempt >= 3 || now.id === leader.id) throw error;
      leader = now;
    }
  }
}

async function scenario(cluster: Cluster, shotsDir: string): Promise<void> {
  await cluster.form(3);
  const ids = cluster.nodes.map((n) => n.id);
  const addrs = cluster.nodes.map((n) => n.httpAddr);
  for (let i = 0; i < 20; i++) assertTrue(await putRetrying(addrs, `ui/${i}`, `value ${i}`));
  const browser = await launchBrowser();
  try {
    const errors: string[] = [];
    const onFollower = await browser.newPage({ viewport: { width: PHONE_WIDTH_PX, height: 900 } });
    onFollower.on("pageerror", (error) => errors.push(String(error)));
    const onLeader = await browser.newPage();
    const leader = await openOnLeader(cluster, onLeader, onFollower);
    assertEquals((await shown(onFollower)).members.length, 3);
    await keyWrittenAppears(onFollower, addrs);
    await onFollower.screenshot({ path: `${shotsDir}/before.png`, fullPage: true });

    const killedAt = performance.now();
    await cluster.kill9(leader);
    const survivors = cluster.running().map((n: NodeProcess) => n.id);
    const next = await cluster.leader({ among: cluster.running() });
    await waitForLeader(onFollower, next.id, ids, [leader.id]);
    const seconds = (performance.now() - killedAt) / 1000;
    console.log(`page showed new leader ${next.id} ${seconds.toFixed(1)} s after kill -9`);
    assertTrue(survivors.includes(next.id));
    await onLeader.waitForFunction(
      () => (globalThis as Dom).document.body.dataset.health === "down",
      undefined,
      { timeout: PAGE_WAIT_MS },
    );
    const banner = await onLeader.textContent("#banner");
    assertTrue(banner !== null && banner.startsWith("Cannot reach this node"), `banner: ${banner}`);
    await onFollower.screenshot({ path: `${shotsDir}/after-kill.png`, fullPage: true });
    await onLeader.screenshot({ path: `${shotsDir}/killed-node.png`, fullPage: true });
    assertEquals(errors, []);
  } finally {
    await browser.close();
  }
  for (const name of ["before", "after-kill", "killed-node"]) {
    const png = await Deno.readFile(`${shotsDir}/${name}.png`);
    assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${name}.png is a PNG`);
  }
  console.log(`screenshots in ${shotsDir}`);
}

Deno.test({
  name: "dashboard: three members and one leader; after kill -9 of the leader, the new one",
  ignore: skipWithout("chromium", CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const shots = await Deno.makeTempDir({ prefix: "rafter_ui_" });
    await withCluster({}, (cluster) => scenario(cluster, shots));
  },
});

Deno.test({
  name: "dashboard: the bundled rafter.js serves the same page",
  ignore: skipWithout("chromium", CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_ui_bundle_" });
    const entry = `${dir}/rafter.js`;
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "-o", entry, `${ROOT}main.ts`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(bundle.code, 0, new TextDecoder().decode(bundle.stderr));
    await withCluster({ entry }, (cluster) => scenario(cluster, dir));
  },
});
