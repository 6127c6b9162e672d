/**
 * Benchmark scenarios by name, `write-cN`, `read-consistent-cN`, `read-stale-cN`,
 * `mixed-cN`, `cas-cN`, `txn-cN` and `scan-cN` (N the number of connections; `write-cN-Sk`
 * writes values of S KiB), `watch-fanout` and `lease-keepalive` (write-c16 beside many
 * watches or leases), and the report of their results as a table and as JSON.
 *
 * @module
 */

import { errorCount, LatencyHistogram, type LoadResult } from "./load.ts";
import type { Operation } from "./targets.ts";

/** The scenarios `deno task bench` runs when none are named. */
export const DEFAULT_SCENARIOS: readonly string[] = [
  "write-c1",
  "write-c16",
  "write-c64",
  "read-consistent-c64",
  "read-stale-c64",
];

/**
 * How a scenario runs: `load` is one operation on random keys; `watch-fanout` and
 * `lease-keepalive` run write-c16 twice, alone and beside watches or kept-alive leases.
 */
export type ScenarioKind = "load" | "watch-fanout" | "lease-keepalive";

/** One scenario: an operation on random keys over a number of connections. */
export interface Scenario {
  name: string;
  op: Operation;
  connections: number;
  kind: ScenarioKind;
  /** The size of the values it writes, when the name sets one (`write-c16-64k`). */
  valueBytes?: number;
}

/** Bytes in the `k` of a value size in a scenario name. */
const BYTES_PER_K = 1024;
/** The largest value size a scenario name may set, in KiB. */
const VALUE_KIB_MAX = 1024;

/** Connections of the writes that `watch-fanout` and `lease-keepalive` run. */
export const BESIDE_WRITE_CONNECTIONS = 16;

/**
 * Parses a scenario name.
 *
 * @example
 * ```ts
 * import { parseScenario } from "./scenarios.ts";
 * const scenario = parseScenario("read-stale-c64");
 * if (scenario.op !== "read-stale" || scenario.connections !== 64) throw new Error();
 * if (parseScenario("write-c16-64k").valueBytes !== 65_536) throw new Error();
 * ```
 */
export function parseScenario(name: string, connectionsMax = 1024): Scenario {
  if (name === "watch-fanout" || name === "lease-keepalive") {
    return { name, op: "write", connections: BESIDE_WRITE_CONNECTIONS, kind: name };
  }
  const match =
    /^(write|read-consistent|read-stale|mixed|cas|txn|scan)-c([1-9][0-9]*)(?:-([1-9][0-9]*)k)?$/
      .exec(name);
  if (match === null || (match[3] !== undefined && match[1] !== "write")) {
    throw new Error(
      `Unknown scenario "${name}"; use write-cN, write-cN-Sk, read-consistent-cN, ` +
        "read-stale-cN, mixed-cN, cas-cN, txn-cN, scan-cN, watch-fanout or lease-keepalive",
    );
  }
  const connections = Number(match[2]);
  if (connections > connectionsMax) {
    throw new Error(`Scenario "${name}" has more than ${connectionsMax} connections`);
  }
  const scenario: Scenario = { name, op: match[1] as Operation, connections, kind: "load" };
  if (match[3] === undefined) return scenario;
  const kib = Number(match[3]);
  if (kib > VALUE_KIB_MAX) throw new Error(`Scenario "${name}" has values above ${VALUE_KIB_MAX}k`);
  return { ...scenario, valueBytes: kib * BYTES_PER_K };
}

/** One row of the report. */
export interface ScenarioReport {
  scenario: string;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  errors: number;
  non2xx: number;
  misses: number;
  socketErrors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  elapsedMs: number;
  /** CPU time the load generator's process used during the run; -1 when unknown. */
  generatorCpuMs: number;
  /** CPU time of the servers the benchmark started, all nodes together; -1 when unknown. */
  serverCpuMs: number;
  firstError: string;
  /** What `watch-fanout` and `lease-keepalive` measured beside the writes, by name. */
  extra?: Record<string, number | string>;
}

/** Turns a load result into a report row. */
export function reportOf(
  scenario: string,
  connections: number,
  result: LoadResult,
): ScenarioReport {
  const summary = LatencyHistogram.fromData(result.histogram).summary();
  return {
    scenario,
    connections,
    requests: result.requests,
    requestsPerSecond: result.elapsedMs > 0 ? result.requests / (result.elapsedMs / 1000) : 0,
    p50Ms: summary.p50Ms,
    p90Ms: summary.p90Ms,
    p99Ms: summary.p99Ms,
    maxMs: summary.maxMs,
    meanMs: summary.meanMs,
    errors: errorCount(result),
    non2xx: result.non2xx,
    misses: result.misses,
    socketErrors: result.socketErrors,
    timeouts: result.timeouts,
    statusCounts: result.statusCounts,
    elapsedMs: result.elapsedMs,
    generatorCpuMs: -1,
    serverCpuMs: -1,
    firstError: result.firstError,
  };
}

function errorDetail(row: ScenarioReport): string {
  if (row.errors === 0) return "";
  const codes = Object.entries(row.statusCounts).map(([code, n]) => `${code}:${n}`).join(",");
  const parts = [
    row.non2xx > 0 ? `non-2xx=${row.non2xx} (${codes})` : "",
    row.misses > 0 ? `misses=${row.misses}` : "",
    row.socketErrors > 0 ? `socket=${row.socketErrors}` : "",
    row.timeouts > 0 ? `timeouts=${row.timeouts}` : "",
  ];
  return `${parts.filter((part) => part !== "").join(" ")}; first: ${row.firstError}`;
}

/** The report as a fixed-width text table, latencies in milliseconds. */
export function formatTable(rows: readonly ScenarioReport[]): string {
  const header = ["scenario", "conns", "requests", "req/s", "p50", "p90", "p99", "max", "errors"];
  const widths = [22, 5, 9, 9, 8, 8, 8, 8, 6];
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))
      .join(" ");
  const out = [line(header)];
  for (const row of rows) {
    const cells = [
      row.scenario,
      String(row.connections),
      String(row.requests),
      row.requestsPerSecond.toFixed(1),
      row.p50Ms.toFixed(3),
      row.p90Ms.toFixed(3),
      row.p99Ms.toFixed(3),
      row.maxMs.toFixed(3),
      String(row.errors),
    ];
    const detail = errorDetail(row);
    out.push(line(cells) + (detail === "" ? "" : `  ${detail}`));
    if (row.extra !== undefined) out.push(`  ${extraText(row.extra)}`);
  }
  return out.join("\n");
}

/**
 * `name=value` pairs, numbers rounded to what is worth reading.
 *
 * @example
 * ```ts
 * import { extraText } from "./scenarios.ts";
 * if (extraText({ watchers: 1010, "change%": -4.25 }) !== "watchers=1010 change%=-4.250") {
 *   throw new Error();
 * }
 * ```
 */
export function extraText(extra: Record<string, number | string>): string {
  return Object.entries(extra)
    .map(([name, value]) => {
      const text = typeof value === "string"
        ? value
        : Number.isInteger(value)
        ? String(value)
        : value.toFixed(Math.abs(value) >= 100 ? 1 : 3);
      return `${name}=${text}`;
    })
    .join(" ");
}
