/**
 * Fuzzing the HTTP API of a real three-node cluster with auth and the
 * cluster secret on: seeded requests on every declared route
 * (`http_cases.ts`), several at once, spread over the nodes, while the
 * admin writes a model of keys the fuzz user cannot reach. Every answer must
 * be below 500, or a 503 with `Retry-After` (load, not input); afterwards no
 * node has exited, the membership is unchanged, every node answers every
 * model key with its value, and every node's consistent scan of `fuzz/`
 * agrees.
 *
 * @module
 */

import type { KvApi } from "../../src/api.ts";
import { createApp } from "../../src/http/app.ts";
import { declaredRoutes } from "../../src/http/routes.ts";
import { assertEquals, assertTrue } from "../assert.ts";
import { forEachBounded, request, waitFor } from "../cluster/harness.ts";
import { caseRng } from "./frames.ts";
import { FUZZ_PREFIX, type FuzzCluster } from "./fuzz_cluster.ts";
import { type HttpCase, httpCase, type HttpTarget } from "./http_cases.ts";
import { expectModel } from "./raft_port.ts";

/** Longest a request may take (a join's probe waits up to 3 s, forwarding 5 s). */
const REQUEST_MS_MAX = 15_000;
/** Cases generated and played per batch. */
const BATCH_CASES = 256;
/** The admin writes a model key after this many cases. */
const MODEL_EVERY_CASES = 100;
/** Bytes of an answer read before the rest is dropped. */
const ANSWER_BYTES_MAX = 64 * 1024;
/** Failures kept for the report. */
const FAILURES_KEPT = 20;

/** What one run did. */
export interface HttpReport {
  seed: number;
  cases: number;
  /** How many answers had each status (0: the client could not send the request). */
  statuses: Record<string, number>;
  /** Answers that broke the rule: a 5xx other than 503 with `Retry-After`, or no answer. */
  failureCount: number;
  /** The first of them, described. */
  failures: string[];
  /** Every route the run drew from, with its case count. */
  routes: Record<string, number>;
}

/** Every route the app declares, as the router lists them (a new route is fuzzed at once). */
export function appRoutes(): { method: string; path: string }[] {
  return declaredRoutes(createApp({} as KvApi)).map(({ method, path }) => ({ method, path }));
}

function describe(c: HttpCase): string {
  const body = c.body === null
    ? ""
    : ` body=${JSON.stringify(new TextDecoder().decode(c.body.subarray(0, 200)))}`;
  return `${c.method} ${c.path.slice(0, 200)} (${c.route})${body}`;
}

/** Reads at most {@link ANSWER_BYTES_MAX} of the answer; an event stream is cut at once. */
async function drain(response: Response): Promise<void> {
  const body = response.body;
  if (body === null) return;
  if ((response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return await body.cancel();
  }
  const reader = body.getReader();
  let read = 0;
  while (read < ANSWER_BYTES_MAX) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.length;
  }
  await reader.cancel();
}

/** Sends `c` to `httpAddr`; answers the status, or 0 when the client refused to send it. */
async function send(httpAddr: string, c: HttpCase): Promise<{ status: number; retry: boolean }> {
  let init: RequestInit;
  try {
    init = {
      method: c.method,
      headers: new Headers(c.headers),
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_MS_MAX),
      ...(c.body === null ? {} : { body: c.body as Uint8Array<ArrayBuffer> }),
    };
    new Request(`http://${httpAddr}${c.path}`, init);
  } catch {
    return { status: 0, retry: false };
  }
  const response = await fetch(`http://${httpAddr}${c.path}`, init);
  await drain(response);
  return { status: response.status, retry: response.headers.has("retry-after") };
}

function targetOf(fuzz: FuzzCluster): HttpTarget {
  const adminToken = fuzz.admin.authorization?.slice("Bearer ".length) ?? null;
  const guarded = new Set<string>();
  for (const node of fuzz.cluster.nodes) {
    for (const value of [node.id, node.raftAddr, node.httpAddr]) guarded.add(value);
    const port = (addr: string) => addr.slice(addr.lastIndexOf(":"));
    guarded.add(`localhost${port(node.raftAddr)}`).add(port(node.raftAddr).slice(1));
  }
  return { routes: appRoutes(), userToken: fuzz.userToken, adminToken, protected: guarded };
}

/** Every node's consistent scan of `fuzz/` (first page) agrees, once writes have settled. */
async function replicasAgree(fuzz: FuzzCluster): Promise<void> {
  const scan = async (httpAddr: string) => {
    const query = new URLSearchParams({ prefix: FUZZ_PREFIX, level: "consistent", limit: "1000" });
    const answer = await request(`http://${httpAddr}/keys?${query}`, { headers: fuzz.admin });
    if (answer.status !== 200) return null;
    return JSON.stringify((answer.json() as { items: unknown[] }).items);
  };
  await waitFor(async () => {
    const scans = await Promise.all(fuzz.cluster.nodes.map((n) => scan(n.httpAddr)));
    return scans.every((s) => s !== null && s === scans[0]);
  }, "every node's scan of fuzz/ to agree");
}

/** Runs `cases` requests from `seed` against the nodes of `fuzz`, `concurrency` at once. */
export async function fuzzHttpOf(
  fuzz: FuzzCluster,
  seed: number,
  cases: number,
  concurrency: number,
): Promise<HttpReport> {
  const target = targetOf(fuzz);
  const nodes = fuzz.cluster.nodes;
  const report: HttpReport = {
    seed,
    cases,
    statuses: {},
    failureCount: 0,
    failures: [],
    routes: {},
  };
  const fail = (text: string) => {
    report.failureCount++;
    if (report.failures.length < FAILURES_KEPT) report.failures.push(text);
  };
  const model = new Map<string, string>();
  const membersBefore = (await fuzz.cluster.status(nodes[0]!))!.members.map((m) => m.id).sort();
  for (let first = 0; first < cases; first += BATCH_CASES) {
    const count = Math.min(BATCH_CASES, cases - first);
    const indexes = Array.from({ length: count }, (_, i) => first + i);
    await forEachBounded(indexes, concurrency, async (i) => {
      const node = nodes[i % nodes.length]!;
      if (i % MODEL_EVERY_CASES === 0) {
        const key = `model/http-${seed}-${i}`;
        const written = await fuzz.put(node, key, `v${i}`);
        assertEquals(written.status, 200, `model write "${key}": ${written.text}`);
        model.set(key, `v${i}`);
      }
      const c = httpCase(caseRng(seed, i), target);
      report.routes[c.route] = (report.routes[c.route] ?? 0) + 1;
      const answer = await send(node.httpAddr, c).catch((error) => ({ error: String(error) }));
      if ("error" in answer) {
        fail(`case ${i}: no answer (${answer.error}) to ${describe(c)}`);
        return;
      }
      report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
      if (answer.status >= 500 && !(answer.status === 503 && answer.retry)) {
        fail(`case ${i}: ${answer.status} to ${describe(c)}`);
      }
    });
  }
  for (const node of nodes) assertTrue(node.child !== null, `"${node.id}" still runs`);
  const membersAfter = (await fuzz.cluster.status(nodes[0]!))!.members.map((m) => m.id).sort();
  assertEquals(membersAfter, membersBefore, "the membership did not change");
  await expectModel(fuzz, model);
  await replicasAgree(fuzz);
  return report;
}
