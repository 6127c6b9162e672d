/**
 * Metrics of a rafter node: counters, gauges and fixed-bucket histograms
 * changed in place, rendered in the Prometheus text format only when
 * scraped; the process metrics; the leader history and recent operation
 * rates the dashboard draws; and the reports that become log lines.
 *
 * @module
 */

export { Counter, Gauge } from "./counter.ts";
export { Family, LABEL_SETS_MAX, OVERFLOW_LABEL } from "./family.ts";
export { exponentialBuckets, Histogram } from "./histogram.ts";
export { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";
export { Registry } from "./registry.ts";
export { createMetrics, type RafterMetrics } from "./rafter_metrics.ts";
export { type LeaderSeen } from "./leader_history.ts";
export { type OpKind, type OpsSeries } from "./recent_ops.ts";
export { type MemberOp, NodeEvents, type NodeEventsOptions } from "./node_events.ts";
export { dataDirSizes, sampleDataDir } from "./data_dir_sizes.ts";
