/**
 * The scenarios that run write-c16 twice, alone and then beside something else, and report
 * the write throughput of both runs: `watch-fanout` (1,000 watches of one key each and 10 of
 * every key, all on one follower; also the time from a write's acknowledgement to each
 * delivery of its event) and `lease-keepalive` (10,000 leases kept alive every third of
 * their TTL).
 *
 * @module
 */

import type { AckData } from "./dynamic.ts";
import { LatencyHistogram } from "./histogram.ts";
import { grantLeases, KeepAlives } from "./lease_keepalive.ts";
import type { LoadOptions, LoadResult } from "./load.ts";
import { runLoadInWorkers } from "./load_workers.ts";
import { reportOf, type ScenarioReport } from "./scenarios.ts";
import { Watchers, type WatchTally } from "./watchers.ts";
import { processCpuMs } from "./process_cpu.ts";

/** How long the last events may take to arrive after the writes stop, in milliseconds. */
const DRAIN_MS_MAX = 5_000;
const DRAIN_POLL_MS = 50;

/** The watches and leases, as the options set them. */
export interface BesideOptions {
  /** Node the watches go to (a follower). */
  watchUrl: string;
  /** Watches of one random key each, and of every key. */
  watchersPerKey: number;
  watchersWholeSpace: number;
  leases: number;
  leaseTtlMs: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts counting this process's CPU (the writers' worker and, beside them, the watches'
 * readers); the function returned answers it as a percentage of one core since the start.
 */
function cpuShare(): () => number {
  const fromMs = performance.now();
  const cpuFromMs = processCpuMs() ?? 0;
  return () => ((processCpuMs() ?? 0) - cpuFromMs) / Math.max(1, performance.now() - fromMs) * 100;
}

function change(now: number, before: number): number {
  return before > 0 ? (now / before - 1) * 100 : 0;
}

/** Runs the writes alone: the baseline both scenarios compare with. */
async function baseline(load: LoadOptions, threads: number): Promise<ScenarioReport> {
  const result = await runLoadInWorkers(load, threads);
  return reportOf(`write-c${load.connections}`, load.connections, result);
}

/** Waits until every watch of the whole key space has every acknowledged index, or a bound. */
async function drain(watchers: Watchers, acks: AckData): Promise<void> {
  const endMs = performance.now() + DRAIN_MS_MAX;
  const complete = (tally: WatchTally) =>
    tally.wholeSpace.every((seen) => acks.indexes.every((index) => seen.has(index)));
  while (performance.now() < endMs && !complete(watchers.tally())) await delay(DRAIN_POLL_MS);
}

/** Delivery latencies (acknowledgement to arrival) and the events the whole-space watches missed. */
function deliveries(tally: WatchTally, acks: AckData) {
  const ackedAt = new Map<number, number>();
  for (let i = 0; i < acks.count; i++) ackedAt.set(acks.indexes[i]!, acks.atMs[i]!);
  const histogram = new LatencyHistogram();
  let early = 0;
  const { indexes, atMs, count } = tally.deliveries;
  for (let i = 0; i < count; i++) {
    const ack = ackedAt.get(indexes[i]!);
    if (ack === undefined) continue;
    // A follower may deliver before the leader's answer reaches the writer.
    if (atMs[i]! < ack) early++;
    histogram.record(Math.max(0, atMs[i]! - ack));
  }
  let missed = 0;
  for (const seen of tally.wholeSpace) {
    for (const index of ackedAt.keys()) if (!seen.has(index)) missed++;
  }
  return { histogram, early, missed };
}

/** `watch-fanout`: write-c16 alone, then beside the watches of one follower. */
export async function runWatchFanout(
  load: LoadOptions,
  threads: number,
  options: BesideOptions,
): Promise<ScenarioReport> {
  const aloneCpu = cpuShare();
  const alone = await baseline(load, threads);
  const aloneCpuPercent = aloneCpu();
  const watchers = await Watchers.open(options.watchUrl, {
    perKey: options.watchersPerKey,
    wholeSpace: options.watchersWholeSpace,
    keys: load.keys,
  });
  let result: LoadResult;
  let tally: WatchTally;
  let besideCpuPercent: number;
  const besideCpu = cpuShare();
  try {
    result = await runLoadInWorkers({ ...load, recordAcks: true }, threads);
    besideCpuPercent = besideCpu();
    await drain(watchers, result.acks!);
    tally = watchers.tally();
  } finally {
    await watchers.close();
  }
  const report = reportOf("watch-fanout", load.connections, result);
  const { histogram, early, missed } = deliveries(tally, result.acks!);
  const latency = histogram.summary();
  report.extra = {
    watchers: options.watchersPerKey + options.watchersWholeSpace,
    "alone-req/s": alone.requestsPerSecond,
    "change%": change(report.requestsPerSecond, alone.requestsPerSecond),
    events: tally.deliveries.count,
    "delivery-p50-ms": latency.p50Ms,
    "delivery-p99-ms": latency.p99Ms,
    "delivery-max-ms": latency.maxMs,
    "before-ack": early,
    missed,
    ended: tally.ended,
    "bench-cpu%-alone": aloneCpuPercent,
    "bench-cpu%-beside": besideCpuPercent,
  };
  const faults = missed + tally.ended + alone.errors;
  if (faults > 0) {
    report.errors += faults;
    report.firstError ||= tally.firstEnd || alone.firstError ||
      `${missed} events never reached a watch of every key`;
  }
  return report;
}

/** `lease-keepalive`: write-c16 alone, then beside the leases' keep-alives. */
export async function runLeaseKeepalive(
  load: LoadOptions,
  threads: number,
  options: BesideOptions,
): Promise<ScenarioReport> {
  const alone = await baseline(load, threads);
  const url = new URL(load.url);
  const ids = await grantLeases(url, options.leases, options.leaseTtlMs);
  const keepAlives = new KeepAlives(url, ids, options.leaseTtlMs);
  let result: LoadResult;
  try {
    result = await runLoadInWorkers(load, threads);
  } catch (error) {
    await keepAlives.stop();
    throw error;
  }
  const sent = await keepAlives.stop();
  const report = reportOf("lease-keepalive", load.connections, result);
  report.extra = {
    leases: sent.leases,
    "ttl-ms": sent.ttlMs,
    "alone-req/s": alone.requestsPerSecond,
    "change%": change(report.requestsPerSecond, alone.requestsPerSecond),
    "keepalives/s": sent.perSecond,
    "scheduled/s": sent.scheduledPerSecond,
    "keepalive-p99-ms": sent.latency.p99Ms,
    "lag-max-ms": sent.lagMsMax,
    lost: sent.lost,
    failed: sent.failed,
  };
  const faults = sent.lost + sent.failed + alone.errors;
  if (faults > 0) {
    report.errors += faults;
    report.firstError ||= sent.firstError || alone.firstError ||
      `${sent.lost} keep-alives found their lease expired`;
  }
  return report;
}
