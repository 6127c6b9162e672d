/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP` and
 * `# TYPE` lines, samples with escaped label values, histograms as
 * cumulative `_bucket{le}` lines plus `_sum` and `_count`.
 *
 * @module
 */

import type { Histogram } from "./histogram.ts";

/** The `Content-Type` of a scrape answer. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metric types this format names. */
export type MetricType = "counter" | "gauge" | "histogram";

/**
 * A sample value as the format spells it: `+Inf`, `-Inf`, `NaN` or a decimal.
 *
 * @example
 * ```ts
 * import { formatValue } from "./exposition.ts";
 * if (formatValue(Infinity) !== "+Inf" || formatValue(0.25) !== "0.25") throw new Error();
 * ```
 */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value !== value) return "NaN";
  return String(value);
}

/**
 * A label value with `\`, `"` and newlines escaped.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./exposition.ts";
 * if (escapeLabelValue('a"b\\c\nd') !== 'a\\"b\\\\c\\nd') throw new Error();
 * ```
 */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")
    : value;
}

function escapeHelp(help: string): string {
  return help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/**
 * Appends the `# HELP` and `# TYPE` lines of a metric.
 *
 * @example
 * ```ts
 * import { writeHeader } from "./exposition.ts";
 * const out: string[] = [];
 * writeHeader(out, "demo_total", "Demo.", "counter");
 * if (out.join("") !== "# HELP demo_total Demo.\n# TYPE demo_total counter\n") throw new Error();
 * ```
 */
export function writeHeader(out: string[], name: string, help: string, type: MetricType): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
}

function labelText(names: readonly string[], values: readonly string[], le?: string): string {
  if (names.length === 0 && le === undefined) return "";
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? "")}"`);
  if (le !== undefined) pairs.push(`le="${le}"`);
  return `{${pairs.join(",")}}`;
}

/**
 * Appends one sample line.
 *
 * @example
 * ```ts
 * import { writeSample } from "./exposition.ts";
 * const out: string[] = [];
 * writeSample(out, "demo_sent_bytes_total", { names: ["to"], values: ["n2"] }, 512);
 * if (out.join("") !== 'demo_sent_bytes_total{to="n2"} 512\n') throw new Error(out.join(""));
 * ```
 */
export function writeSample(
  out: string[],
  name: string,
  labels: { names: readonly string[]; values: readonly string[] },
  value: number,
): void {
  out.push(`${name}${labelText(labels.names, labels.values)} ${formatValue(value)}\n`);
}

/**
 * Appends the `_bucket`, `_sum` and `_count` lines of one histogram.
 *
 * @example
 * ```ts
 * import { writeHistogram } from "./exposition.ts";
 * import { Histogram } from "./histogram.ts";
 * const histogram = new Histogram([0.5]);
 * histogram.observe(0.25);
 * const out: string[] = [];
 * writeHistogram(out, "demo_seconds", { names: [], values: [] }, histogram);
 * if (!out.join("").includes('demo_seconds_bucket{le="+Inf"} 1')) throw new Error();
 * ```
 */
export function writeHistogram(
  out: string[],
  name: string,
  labels: { names: readonly string[]; values: readonly string[] },
  histogram: Histogram,
): void {
  const cumulative = histogram.cumulative();
  for (let i = 0; i < cumulative.length; i++) {
    const le = i < histogram.bounds.length ? formatValue(histogram.bounds[i]!) : "+Inf";
    out.push(
      `${name}_bucket${labelText(labels.names, labels.values, le)} ${
        formatValue(cumulative[i]!)
      }\n`,
    );
  }
  const plain = labelText(labels.names, labels.values);
  out.push(`${name}_sum${plain} ${formatValue(histogram.sum)}\n`);
  out.push(`${name}_count${plain} ${formatValue(histogram.count)}\n`);
}
