/**
 * `deno task bench`: starts a 3-node rafter cluster on loopback (or drives the server at
 * `--url`, or etcd with `--target etcd`), preloads every key, runs each scenario with the
 * load generator in a Worker, prints a table, stops the cluster and exits non-zero on any
 * error. See docs/PERFORMANCE.md.
 *
 * @module
 */

import { clusterFetch, RafterCluster } from "./cluster.ts";
import type { LoadOptions } from "./load.ts";
import { runLoadInWorkers, terminateLoadWorkers } from "./load_workers.ts";
import { processCpuMs, processesCpuMs } from "./process_cpu.ts";
import { startScraper } from "./scraper.ts";
import { type BenchOptions, parseBenchOptions, USAGE, UsageError } from "./options.ts";
import { runLeaseKeepalive, runWatchFanout } from "./beside_writes.ts";
import {
  extraText,
  formatTable,
  reportOf,
  type Scenario,
  type ScenarioReport,
} from "./scenarios.ts";

/** Connections of the preload pass. */
const preloadConnections = 64;
/** Time allowed for the preload pass, in milliseconds. */
const preloadTimeMsMax = 120_000;
/** Pause between scenarios so one's tail does not spill into the next, in milliseconds. */
const pauseMs = 1_000;
/** Timeout of each preflight request, in milliseconds. */
const preflightTimeoutMs = 5_000;

let cluster: RafterCluster | null = null;
let stopping: Promise<void> | null = null;
let interrupted = false;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function expect2xx(url: string, init: RequestInit, what: string): Promise<void> {
  let response: Response;
  try {
    const get = clusterFetch(cluster?.secure ?? null);
    response = await get(url, { ...init, signal: AbortSignal.timeout(preflightTimeoutMs) });
  } catch (error) {
    throw new Error(`Preflight ${what} to "${url}" failed: ${(error as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`Preflight ${what} to "${url}" answered ${response.status}: ${body}`);
  }
}

/** One write and one read with `fetch`, so a wrong URL fails with a clear message. */
async function preflight(options: BenchOptions, url: string): Promise<void> {
  const base = url.replace(/\/+$/, "");
  const json = { "content-type": "application/json" };
  if (options.target === "etcd") {
    const key = btoa("bench-preflight");
    const put = { method: "POST", headers: json, body: `{"key":"${key}","value":"${btoa("ok")}"}` };
    await expect2xx(`${base}/v3/kv/put`, put, "write");
    await expect2xx(`${base}/v3/kv/range`, { ...put, body: `{"key":"${key}"}` }, "read");
    return;
  }
  const body = JSON.stringify({ key: "bench-preflight", value: "ok" });
  await expect2xx(`${base}/key`, { method: "POST", headers: json, body }, "write");
  await expect2xx(`${base}/key?key=bench-preflight&level=consistent`, {}, "read");
}

function loadOptions(options: BenchOptions, url: string): Omit<LoadOptions, "op" | "mode"> {
  return {
    url,
    target: options.target,
    connections: preloadConnections,
    durationMs: options.durationS * 1000,
    keys: options.keys,
    valueBytes: options.valueBytes,
    timeoutMs: options.timeoutMs,
    client: options.client,
    caCert: cluster?.secure?.caCert ?? null,
    authorization: cluster?.secure?.authorization ?? null,
  };
}

async function runPreload(options: BenchOptions, url: string): Promise<ScenarioReport> {
  const connections = Math.min(preloadConnections, options.keys);
  console.log(`-- preload: writing ${options.keys} keys (${connections} connections)`);
  const result = await runLoadInWorkers({
    ...loadOptions(options, url),
    op: "write",
    mode: "preload",
    connections,
    durationMs: preloadTimeMsMax,
  }, options.threads);
  const report = reportOf("preload", connections, result);
  if (!result.complete) {
    report.errors++;
    report.firstError = `Preload did not finish within ${preloadTimeMsMax} ms; ` +
      (report.firstError || "the server is too slow");
  }
  console.log(`   ${progressLine(report)}`);
  return report;
}

function progressLine(report: ScenarioReport): string {
  const status = report.errors === 0
    ? "OK"
    : `FAIL (${report.errors} errors: ${report.firstError})`;
  const cpu = report.generatorCpuMs < 0 || report.requests === 0
    ? ""
    : ` generator-cpu=${(report.generatorCpuMs * 1000 / report.requests).toFixed(0)}us/request ` +
      `(${(report.generatorCpuMs / report.elapsedMs * 100).toFixed(0)}% of a core)`;
  const server = report.serverCpuMs < 0 || report.requests === 0
    ? ""
    : ` server-cpu=${(report.serverCpuMs * 1000 / report.requests).toFixed(1)}us/request`;
  return `requests=${report.requests} req/s=${report.requestsPerSecond.toFixed(1)} ` +
    `p50=${report.p50Ms.toFixed(3)}ms p99=${report.p99Ms.toFixed(3)}ms${cpu}${server} ${status}`;
}

/** The node `watch-fanout` watches: as told, else a follower of the started cluster. */
function watchUrlOf(options: BenchOptions, url: string): string {
  return options.watchUrl ?? cluster?.followerUrl ?? url;
}

function describe(scenario: Scenario, options: BenchOptions): string {
  const run = `${scenario.connections} connections, ${options.durationS}s`;
  if (scenario.kind === "watch-fanout") {
    return `write-c16 alone, then beside ${options.watchersPerKey} watches of one key and ` +
      `${options.watchersWholeSpace} of every key; ${run} each`;
  }
  if (scenario.kind === "lease-keepalive") {
    return `write-c16 alone, then beside ${options.leases} leases kept alive every ` +
      `${Math.round(options.leaseTtlMs / 3)} ms; ${run} each`;
  }
  return `${scenario.op}, ${run}`;
}

async function runScenario(
  scenario: Scenario,
  options: BenchOptions,
  url: string,
): Promise<ScenarioReport> {
  const load: LoadOptions = {
    ...loadOptions(options, url),
    op: scenario.op,
    mode: "random",
    connections: scenario.connections,
  };
  const beside = { ...options, watchUrl: watchUrlOf(options, url) };
  if (scenario.kind === "watch-fanout") return await runWatchFanout(load, options.threads, beside);
  if (scenario.kind === "lease-keepalive") {
    return await runLeaseKeepalive(load, options.threads, beside);
  }
  const result = await runLoadInWorkers(load, options.threads);
  return reportOf(scenario.name, scenario.connections, result);
}

async function runScenarios(options: BenchOptions, url: string): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = [];
  for (const scenario of options.scenarios) {
    if (interrupted) break;
    await delay(pauseMs);
    console.log(`-- ${scenario.name}: ${describe(scenario, options)}`);
    const cpuBeforeMs = processCpuMs();
    const serverBeforeMs = cluster === null ? null : await processesCpuMs(cluster.pids);
    const report = await runScenario(scenario, options, url);
    const cpuAfterMs = processCpuMs();
    if (scenario.kind === "load" && cpuBeforeMs !== null && cpuAfterMs !== null) {
      report.generatorCpuMs = cpuAfterMs - cpuBeforeMs;
    }
    const serverAfterMs = cluster === null ? null : await processesCpuMs(cluster.pids);
    if (serverBeforeMs !== null && serverAfterMs !== null) {
      report.serverCpuMs = serverAfterMs - serverBeforeMs;
    }
    console.log(`   ${progressLine(report)}`);
    if (report.extra !== undefined) console.log(`   ${extraText(report.extra)}`);
    reports.push(report);
  }
  return reports;
}

function header(options: BenchOptions, url: string): Record<string, unknown> {
  let memoryBytes = 0;
  try {
    memoryBytes = Deno.systemMemoryInfo().total;
  } catch {
    // Without --allow-sys the memory size is simply not reported.
  }
  return {
    target: options.target,
    url,
    startedCluster: options.url === null,
    date: new Date().toISOString(),
    durationS: options.durationS,
    keys: options.keys,
    valueBytes: options.valueBytes,
    timeoutMs: options.timeoutMs,
    client: options.client,
    threads: options.threads,
    metrics: options.metrics,
    scrapeMs: options.scrapeMs,
    tls: options.tls,
    cpus: navigator.hardwareConcurrency,
    memoryBytes,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    loadAverage: Deno.loadavg(),
  };
}

async function startTarget(options: BenchOptions): Promise<string> {
  if (options.url !== null) return options.url;
  const what = options.tls ? "HTTPS, auth, secret and peer TLS" : "HTTP";
  console.log(
    `-- starting a 3-node rafter cluster on 127.0.0.1 (${what} ${options.httpPort}-${
      options.httpPort + 2
    })`,
  );
  cluster = await RafterCluster.create({
    keepDir: options.keepDir,
    nodeArgs: ["--metrics", options.metrics ? "on" : "off"],
    raftPortFirst: options.raftPort,
    httpPortFirst: options.httpPort,
    tls: options.tls,
  });
  await cluster.start();
  console.log(`   ready: n1 leads 3 voters; logs in ${cluster.dir}`);
  return cluster.leaderUrl;
}

/** Keeps the cluster up until a signal arrives or `seconds` pass. */
async function serveOnly(seconds: number, url: string): Promise<number> {
  console.log(
    `   serving until Ctrl-C (at most ${seconds}s); try: ` +
      `../shared/bench/load.sh kv ${url}`,
  );
  const endMs = Date.now() + seconds * 1000;
  while (!interrupted && Date.now() < endMs) await delay(200);
  return 0;
}

async function run(options: BenchOptions): Promise<number> {
  const url = await startTarget(options);
  if (options.serveOnlyS > 0) return await serveOnly(options.serveOnlyS, url);
  const meta = header(options, url);
  console.log(
    `== rafter bench: target=${options.target} url=${url} duration=${options.durationS}s ` +
      `keys=${options.keys} value=${options.valueBytes}B client=${options.client} ` +
      `threads=${options.threads} metrics=${options.metrics ? "on" : "off"} ` +
      `scrape=${options.scrapeMs}ms tls=${options.tls} cpus=${meta.cpus} ` +
      `load=${Deno.loadavg().join(" ")}`,
  );
  await preflight(options, url);
  const scraper = options.scrapeMs > 0 && cluster !== null
    ? startScraper(cluster.nodeUrls, options.scrapeMs, clusterFetch(cluster.secure, true))
    : null;
  const preload = options.preload ? await runPreload(options, url) : null;
  const reports = await runScenarios(options, url);
  const scrapes = await scraper?.stop() ?? null;
  if (scrapes !== null) {
    console.log(
      `-- scraped /metrics of every node every ${scrapes.intervalMs} ms: ${scrapes.scrapes} ` +
        `scrapes (${scrapes.failures} failed), ${scrapes.meanMs.toFixed(1)} ms and ` +
        `${(scrapes.meanBytes / 1024).toFixed(1)} KiB each`,
    );
  }
  console.log(`\n== summary: ${options.target} ${url}, latencies in ms`);
  console.log(formatTable(reports));
  if (options.jsonPath !== null) {
    const data = { meta, preload, scenarios: reports, scrapes };
    await Deno.writeTextFile(options.jsonPath, JSON.stringify(data, null, 2) + "\n");
    console.log(`results: ${options.jsonPath}`);
  }
  const failed = (preload !== null && preload.errors > 0) ||
    reports.some((report) => report.errors > 0 || report.requests === 0) ||
    reports.length < options.scenarios.length;
  return failed ? 1 : 0;
}

function stopCluster(): Promise<void> {
  if (cluster === null) return Promise.resolve();
  if (stopping === null) {
    console.log("-- stopping the cluster");
    stopping = cluster.stop();
  }
  return stopping;
}

function onSignal(): void {
  if (interrupted) return;
  interrupted = true;
  console.error("Interrupted: stopping the load and the cluster");
  terminateLoadWorkers();
  stopCluster().finally(() => Deno.exit(130));
}

/** Runs the benchmark with command-line `args`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await run(options);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 1;
  } finally {
    await stopCluster();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
