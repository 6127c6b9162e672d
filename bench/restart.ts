/**
 * `deno task bench --restart`: after the scenarios, how long a node takes to
 * come back. First node 3 is stopped and started again on its data directory
 * (its newest snapshot plus the log after it) and timed from its start to its
 * first answered consistent read; then it is removed, its data directory
 * wiped, and it joins again, so the leader sends it the whole state by
 * InstallSnapshot: timed to the first consistent read that finds a value
 * written after the removal, with the highest resident memory it reached.
 *
 * @module
 */

import type { RafterCluster } from "./cluster.ts";
import { processesMemory } from "./memory.ts";
import { benchValue, keyName } from "./targets.ts";

/** The node restarted (a follower). */
const RESTARTED_NODE = 3;
/** How long a restart or a catch-up may take before the phase fails, in milliseconds. */
const COMEBACK_MS_MAX = 600_000;
/** How often the restarted node is asked, in milliseconds. */
const POLL_MS = 20;
/** Timeout of one request, in milliseconds. */
const REQUEST_TIMEOUT_MS = 2_000;
/** The key written after the removal, which the rejoined node must serve. */
const MARKER_KEY = "bench-restart-marker";

/** What the phase measured. */
export interface RestartReport {
  /** From the restarted process's start to its first answered consistent read. */
  restartMs: number;
  /** Its resident memory right after that read, in bytes. */
  restartRssBytes: number;
  /** From the wiped node's start to its first consistent read of a value written after the removal. */
  catchUpMs: number;
  /** The highest resident memory the wiped node reached by then, in bytes. */
  catchUpPeakBytes: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True once `url` answers a consistent read of `key` with `expected` in the body. */
async function reads(get: typeof fetch, url: string, key: string, expected: string) {
  try {
    const response = await get(`${url}/key?key=${encodeURIComponent(key)}&level=consistent`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await response.text();
    return response.ok && body.includes(expected);
  } catch {
    return false;
  }
}

/** Polls until `url` serves the read; the time it took since `startedMs`. */
async function timeUntilRead(
  get: typeof fetch,
  url: string,
  read: { key: string; expected: string; startedMs: number },
): Promise<number> {
  while (performance.now() - read.startedMs < COMEBACK_MS_MAX) {
    if (await reads(get, url, read.key, read.expected)) return performance.now() - read.startedMs;
    await delay(POLL_MS);
  }
  throw new Error(`Node at "${url}" served no consistent read within ${COMEBACK_MS_MAX} ms`);
}

async function call(get: typeof fetch, url: string, init: RequestInit): Promise<void> {
  const response = await get(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await response.text();
  if (!response.ok) throw new Error(`"${url}" answered ${response.status}: ${body}`);
}

/**
 * Restarts node 3 of `cluster`, then wipes it and lets it catch up; `get`
 * is the cluster's `fetch` (the admin's, for `/remove`).
 */
export async function runRestartPhase(
  cluster: RafterCluster,
  options: { valueBytes: number; get: typeof fetch },
): Promise<RestartReport> {
  const { get } = options;
  const url = cluster.nodeUrl(RESTARTED_NODE);
  const value = benchValue(options.valueBytes);
  const restarted = await cluster.restartNode(RESTARTED_NODE);
  const read = { key: keyName(0), expected: value, startedMs: restarted.startedMs };
  const restartMs = await timeUntilRead(get, url, read);
  const [afterRestart] = await processesMemory([restarted.pid]);
  const id = `n${RESTARTED_NODE}`;
  await call(get, `${cluster.leaderUrl}/remove?id=${id}`, { method: "POST" });
  const marker = `after-${Date.now()}`;
  const json = { "content-type": "application/json" };
  const body = JSON.stringify({ key: MARKER_KEY, value: marker });
  await call(get, `${cluster.leaderUrl}/key`, { method: "POST", headers: json, body });
  const rejoined = await cluster.restartNode(RESTARTED_NODE, true);
  const catchUp = { key: MARKER_KEY, expected: marker, startedMs: rejoined.startedMs };
  const catchUpMs = await timeUntilRead(get, url, catchUp);
  const [afterCatchUp] = await processesMemory([rejoined.pid]);
  return {
    restartMs,
    restartRssBytes: afterRestart?.rssBytes ?? 0,
    catchUpMs,
    catchUpPeakBytes: afterCatchUp?.peakBytes ?? 0,
  };
}
