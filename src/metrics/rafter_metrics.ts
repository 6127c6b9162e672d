/**
 * Every metric a rafter node exports, as one typed object handed to the
 * driver, storage, transport and HTTP layer, so that a counting point is one
 * line: `metrics.disk.walFsyncSeconds.observe(seconds)`. Names follow etcd's
 * where etcd has one.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";
import type { Counter, Gauge } from "./counter.ts";
import type { Family } from "./family.ts";
import { exponentialBuckets, type Histogram } from "./histogram.ts";
import { LeaderHistory } from "./leader_history.ts";
import { registerProcessMetrics } from "./process.ts";
import { RecentOps } from "./recent_ops.ts";
import { Registry } from "./registry.ts";
import { registerStatusGauges, type StatusSource } from "./status_gauges.ts";

/** WAL fsync buckets: 1 ms to about 8 s (etcd's). */
export const FSYNC_BUCKETS_SECONDS = exponentialBuckets(0.001, 2, 14);
/** Snapshot save buckets: 10 ms to about 82 s. */
export const SNAPSHOT_BUCKETS_SECONDS = exponentialBuckets(0.01, 2, 14);
/** Peer round trip buckets: 0.1 ms to about 3.3 s (etcd's). */
export const ROUND_TRIP_BUCKETS_SECONDS = exponentialBuckets(0.0001, 2, 16);
/** HTTP request buckets: 0.5 ms to about 8 s. */
export const HTTP_BUCKETS_SECONDS = exponentialBuckets(0.0005, 2, 15);

/** The metrics of one node. */
export interface RafterMetrics {
  /** Renders everything for `GET /metrics`. */
  readonly registry: Registry;
  readonly server: {
    /** Driver: proposals waiting to commit (set each turn). */
    readonly proposalsPending: Gauge;
    /** Driver: proposals that failed (leader change, timeout, refused). */
    readonly proposalsFailed: Counter;
    /** Counted by {@link RafterMetrics.leaders}: moves to a new leader. */
    readonly leaderChangesSeen: Counter;
  };
  readonly disk: {
    /** Storage: seconds of each WAL `syncData()`. */
    readonly walFsyncSeconds: Histogram;
    /** Storage: bytes written to the WAL. */
    readonly walWriteBytes: Counter;
    /** Bytes of WAL segments on disk (sampled from the data directory). */
    readonly walSizeBytes: Gauge;
  };
  readonly snapshot: {
    /** Driver: seconds to encode and save one snapshot. */
    readonly saveSeconds: Histogram;
    /** Bytes of the newest snapshot file (sampled from the data directory). */
    readonly sizeBytes: Gauge;
  };
  readonly network: {
    /** Transport: bytes written to peer `to`. */
    readonly peerSentBytes: Family<Counter>;
    /** Transport: bytes read from peer `from`. */
    readonly peerReceivedBytes: Family<Counter>;
    /** Transport: messages to peer `to` that could not be sent (dropped, link down). */
    readonly peerSentFailures: Family<Counter>;
    /** Driver: seconds from a heartbeat to its answer, per peer `to`. */
    readonly peerRoundTripSeconds: Family<Histogram>;
  };
  readonly http: {
    /** Middleware: requests by `method`, `route` pattern and status `code`. */
    readonly requests: Family<Counter>;
    /** Middleware: seconds to answer, by `method` and `route` pattern. */
    readonly requestSeconds: Family<Histogram>;
  };
  readonly kv: {
    /** Driver: keys in the state machine. */
    readonly keys: Gauge;
    /** Driver: bytes of keys and values in the state machine. */
    readonly bytes: Gauge;
  };
  readonly watch: { readonly watchers: Gauge };
  readonly lease: { readonly active: Gauge };
  /** Leaders seen, for the dashboard; counts `leaderChangesSeen`. */
  readonly leaders: LeaderHistory;
  /** Reads and writes per second of the last minutes, for the dashboard. */
  readonly recent: RecentOps;
  /** Takes in a status: refreshes the status gauges and notes the leader. */
  observeStatus(status: NodeStatus, nowMs: number): void;
}

/**
 * A fresh set of metrics, the process metrics included.
 *
 * @example
 * ```ts
 * import { createMetrics } from "./rafter_metrics.ts";
 * const metrics = createMetrics();
 * metrics.disk.walFsyncSeconds.observe(0.004);
 * metrics.network.peerSentBytes.labels("n2").inc(512);
 * const text = metrics.registry.render();
 * if (!text.includes('rafter_network_peer_sent_bytes_total{to="n2"} 512')) throw new Error();
 * ```
 */
export function createMetrics(): RafterMetrics {
  const r = new Registry();
  const source: StatusSource = { latest: null };
  const leaderChangesSeen = r.counter(
    "rafter_server_leader_changes_seen_total",
    "The number of leader changes seen.",
  );
  registerStatusGauges(r, source);
  const leaders = new LeaderHistory(leaderChangesSeen);
  const metrics: RafterMetrics = {
    registry: r,
    server: {
      leaderChangesSeen,
      proposalsPending: r.gauge(
        "rafter_server_proposals_pending",
        "The number of pending proposals to commit.",
      ),
      proposalsFailed: r.counter(
        "rafter_server_proposals_failed_total",
        "The total number of failed proposals seen.",
      ),
    },
    disk: {
      walFsyncSeconds: r.histogram(
        "rafter_disk_wal_fsync_duration_seconds",
        "The latency distributions of fsync called by WAL.",
        FSYNC_BUCKETS_SECONDS,
      ),
      walWriteBytes: r.counter(
        "rafter_disk_wal_write_bytes_total",
        "Total number of bytes written in WAL.",
      ),
      walSizeBytes: r.gauge("rafter_disk_wal_size_bytes", "Bytes of WAL segments on disk."),
    },
    snapshot: {
      saveSeconds: r.histogram(
        "rafter_snapshot_save_duration_seconds",
        "The total latency distributions of save called by snapshot.",
        SNAPSHOT_BUCKETS_SECONDS,
      ),
      sizeBytes: r.gauge("rafter_snapshot_size_bytes", "Bytes of the newest snapshot file."),
    },
    network: networkMetrics(r),
    http: {
      requests: r.counterFamily(
        "rafter_http_requests_total",
        "HTTP requests answered, by method, route pattern and status code.",
        ["method", "route", "code"],
      ),
      requestSeconds: r.histogramFamily(
        "rafter_http_request_duration_seconds",
        "Seconds to answer an HTTP request, by method and route pattern.",
        ["method", "route"],
        HTTP_BUCKETS_SECONDS,
      ),
    },
    kv: {
      keys: r.gauge("rafter_kv_keys", "Keys in the state machine."),
      bytes: r.gauge("rafter_kv_bytes", "Bytes of keys and values in the state machine."),
    },
    watch: { watchers: r.gauge("rafter_watch_watchers", "Open watch streams.") },
    lease: { active: r.gauge("rafter_lease_active", "Leases granted and not yet expired.") },
    leaders,
    recent: new RecentOps(),
    observeStatus(status, nowMs) {
      source.latest = status;
      leaders.observe(status.term, status.leaderId, nowMs);
    },
  };
  registerProcessMetrics(r);
  return metrics;
}

function networkMetrics(r: Registry): RafterMetrics["network"] {
  return {
    peerSentBytes: r.counterFamily(
      "rafter_network_peer_sent_bytes_total",
      "The total number of bytes sent to peers.",
      ["to"],
    ),
    peerReceivedBytes: r.counterFamily(
      "rafter_network_peer_received_bytes_total",
      "The total number of bytes received from peers.",
      ["from"],
    ),
    peerSentFailures: r.counterFamily(
      "rafter_network_peer_sent_failures_total",
      "The total number of send failures to peers.",
      ["to"],
    ),
    peerRoundTripSeconds: r.histogramFamily(
      "rafter_network_peer_round_trip_time_seconds",
      "Round-Trip-Time histogram between peers.",
      ["to"],
      ROUND_TRIP_BUCKETS_SECONDS,
    ),
  };
}
