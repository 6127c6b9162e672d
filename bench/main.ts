/**
 * `deno task bench`: starts a 3-node rafter cluster on loopback (or drives the server at
 * `--url`, or etcd with `--target etcd`), preloads every key, runs each scenario with the
 * load generator in a Worker, prints a table, stops the cluster and exits non-zero on any
 * error. See docs/PERFORMANCE.md.
 *
 * @module
 */

import { clusterFetch, RafterCluster } from "./cluster.ts";
import { type MachineFloor, measureFloor } from "./disk_probe.ts";
import {
  megabytesByNode,
  type MemorySamples,
  processesMemory,
  rawDataBytes,
  sampleMemory,
} from "./memory.ts";
import { settleMemory } from "./memory_settle.ts";
import { snapshotsTaken, summarizeSnapshots } from "./node_logs.ts";
import { type RestartReport, runRestartPhase } from "./restart.ts";
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
/** Time allowed for the preload pass, in milliseconds: at least this... */
const preloadTimeMsMin = 120_000;
/** ...and this much per key, so ten million keys get most of an hour. */
const preloadTimeMsPerKey = 0.3;
/** Pause between scenarios so one's tail does not spill into the next, in milliseconds. */
const pauseMs = 1_000;
/** Timeout of each preflight request, in milliseconds. */
const preflightTimeoutMs = 5_000;

let cluster: RafterCluster | null = null;
/** What the machine allows, measured once when a scenario reads its figures against it. */
let floor: MachineFloor | null = null;
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
  const requests = Math.ceil(options.keys / options.preloadBatch);
  const connections = Math.min(preloadConnections, requests);
  const preloadTimeMsMax = Math.max(preloadTimeMsMin, options.keys * preloadTimeMsPerKey);
  const batches = options.preloadBatch > 1 ? `, ${options.preloadBatch} per transaction` : "";
  console.log(`-- preload: writing ${options.keys} keys (${connections} connections${batches})`);
  const result = await runLoadInWorkers({
    ...loadOptions(options, url),
    op: "write",
    mode: "preload",
    connections,
    durationMs: preloadTimeMsMax,
    preloadBatch: options.preloadBatch,
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
    valueBytes: scenario.valueBytes ?? options.valueBytes,
  };
  const beside = { ...options, watchUrl: watchUrlOf(options, url) };
  if (scenario.kind === "watch-fanout") return await runWatchFanout(load, options.threads, beside);
  if (scenario.kind === "lease-keepalive") {
    return await runLeaseKeepalive(load, options.threads, beside);
  }
  const result = await runLoadInWorkers(load, options.threads);
  return reportOf(scenario.name, scenario.connections, result);
}

/** Figures read against the machine's floor: a lone client's latency, a large value's MB/s. */
function floorExtra(scenario: Scenario, report: ScenarioReport): Record<string, number> {
  if (floor === null) return {};
  if (scenario.valueBytes !== undefined) {
    return {
      "MB/s": report.requestsPerSecond * scenario.valueBytes / 1e6,
      "disk-MB/s": floor.sequentialMBps,
    };
  }
  if (scenario.op !== "write" || scenario.connections !== 1) return {};
  return { "floor-ms": floor.writeFloorP50Ms, "p50/floor": report.p50Ms / floor.writeFloorP50Ms };
}

/** Each node's memory and the snapshots the nodes took while a scenario ran. */
async function clusterExtra(
  memory: MemorySamples,
  fromMs: number,
  toMs: number,
): Promise<Record<string, number | string>> {
  if (cluster === null) return {};
  const snapshots = summarizeSnapshots(await snapshotsTaken(cluster.logPaths), fromMs, toMs);
  return {
    "rss-mb": megabytesByNode(memory.lastBytes),
    "peak-rss-mb": megabytesByNode(memory.highestBytes),
    snapshots: snapshots.count,
    ...(snapshots.count === 0 ? {} : {
      "snapshot-mb": Math.round(snapshots.bytesMax / 1e6),
      "snapshot-ms": snapshots.durationMsMedian,
      "snapshot-ms-max": snapshots.durationMsMax,
    }),
  };
}

async function runScenarios(options: BenchOptions, url: string): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = [];
  for (const scenario of options.scenarios) {
    if (interrupted) break;
    await delay(pauseMs);
    console.log(`-- ${scenario.name}: ${describe(scenario, options)}`);
    const cpuBeforeMs = processCpuMs();
    const serverBeforeMs = cluster === null ? null : await processesCpuMs(cluster.pids);
    const sampler = cluster === null ? null : sampleMemory(cluster.pids);
    const fromMs = Date.now();
    const report = await runScenario(scenario, options, url);
    const toMs = Date.now();
    const cpuAfterMs = processCpuMs();
    if (scenario.kind === "load" && cpuBeforeMs !== null && cpuAfterMs !== null) {
      report.generatorCpuMs = cpuAfterMs - cpuBeforeMs;
    }
    const serverAfterMs = cluster === null ? null : await processesCpuMs(cluster.pids);
    if (serverBeforeMs !== null && serverAfterMs !== null) {
      report.serverCpuMs = serverAfterMs - serverBeforeMs;
    }
    const memory = await sampler?.stop() ?? null;
    const more = {
      ...floorExtra(scenario, report),
      ...(memory === null ? {} : await clusterExtra(memory, fromMs, toMs)),
    };
    if (Object.keys(more).length > 0) report.extra = { ...report.extra, ...more };
    console.log(`   ${progressLine(report)}`);
    if (report.extra !== undefined) console.log(`   ${extraText(report.extra)}`);
    reports.push(report);
  }
  return reports;
}

/** Measures the disk and loopback floor when a scenario's figures are read against it. */
async function measureFloorIfNeeded(options: BenchOptions): Promise<void> {
  if (cluster === null) return;
  const needed = options.scenarios.some((s) =>
    s.valueBytes !== undefined || (s.op === "write" && s.connections === 1 && s.kind === "load")
  );
  if (!needed) return;
  floor = await measureFloor(cluster.dir);
  console.log(
    `-- machine: sequential write ${floor.sequentialMBps.toFixed(0)} MB/s; append+fdatasync ` +
      `p50 ${floor.sync.p50Ms.toFixed(3)} ms p99 ${floor.sync.p99Ms.toFixed(3)} ms; loopback ` +
      `round trip p50 ${floor.roundTrip.p50Ms.toFixed(3)} ms; one write's floor ` +
      `${floor.writeFloorP50Ms.toFixed(3)} ms`,
  );
}

/** Each node's memory now, against the raw bytes of the keys and values written. */
async function reportMemory(options: BenchOptions): Promise<Record<string, unknown> | null> {
  if (cluster === null) return null;
  const readings = await processesMemory(cluster.pids);
  const rss = readings.map((r) => r?.rssBytes ?? 0);
  const peak = readings.map((r) => r?.peakBytes ?? 0);
  const raw = rawDataBytes(options.keys, options.valueBytes);
  const ratio = Math.max(...rss) / raw;
  console.log(
    `-- memory after the run: ${megabytesByNode(rss)} MB resident, at most ` +
      `${ratio.toFixed(2)}x the ${(raw / 1e6).toFixed(1)} MB of keys and values; ` +
      `peak since start ${megabytesByNode(peak)} MB`,
  );
  if (options.settleS === 0) return { rssBytes: rss, peakBytes: peak, rawBytes: raw };
  const settled = await settleMemory(cluster.pids, options.settleS * 1000);
  console.log(
    `-- memory settled ${settled.settled ? "" : "(still falling) "}${
      (settled.afterMs / 1000).toFixed(0)
    } s after the run: ${megabytesByNode(settled.rssBytes)} MB resident, at most ` +
      `${(Math.max(...settled.rssBytes) / raw).toFixed(2)}x`,
  );
  return {
    rssBytes: rss,
    peakBytes: peak,
    rawBytes: raw,
    settledRssBytes: settled.rssBytes,
    settledAfterMs: settled.afterMs,
    settled: settled.settled,
  };
}

async function runRestart(options: BenchOptions): Promise<RestartReport | null> {
  if (!options.restart || cluster === null || interrupted) return null;
  console.log("-- restart: node 3 restarts, then rejoins wiped and catches up by snapshot");
  const report = await runRestartPhase(cluster, {
    valueBytes: options.valueBytes,
    get: clusterFetch(cluster.secure, true),
  });
  console.log(
    `   restart-ms=${report.restartMs.toFixed(0)} rss-mb=${
      Math.round(report.restartRssBytes / 1e6)
    } catch-up-ms=${report.catchUpMs.toFixed(0)} catch-up-peak-rss-mb=${
      Math.round(report.catchUpPeakBytes / 1e6)
    }`,
  );
  return report;
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
    nodeArgs: [
      "--metrics",
      options.metrics ? "on" : "off",
      ...(options.electionMs === null ? [] : ["--election-ms", String(options.electionMs)]),
    ],
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
  await measureFloorIfNeeded(options);
  const preload = options.preload ? await runPreload(options, url) : null;
  const reports = await runScenarios(options, url);
  const scrapes = await scraper?.stop() ?? null;
  const memory = await reportMemory(options);
  const restart = await runRestart(options);
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
    const data = { meta, floor, preload, scenarios: reports, scrapes, memory, restart };
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
