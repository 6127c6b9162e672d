/**
 * The soak's verdict on growth: a least-squares line through a series over
 * the last two thirds of the run, its rise expressed as a share of the
 * series' mean per ten minutes, and the small SVG plot of the run.
 *
 * @module
 */

import type { Sample } from "./soak_samples.ts";

/** A point of a series: seconds, value. */
export interface Point {
  x: number;
  y: number;
}

/** The most a fitted line may rise per ten minutes, as a share of the mean. */
export const GROWTH_PER_10_MIN_MAX = 0.02;
/** Seconds in ten minutes. */
const TEN_MINUTES_S = 600;

/**
 * The rise of the least-squares line through `points` per ten minutes, as a
 * share of the mean of y (0.01 is 1%). Null with fewer than two points or a
 * zero mean.
 *
 * @example
 * ```ts
 * import { growthPer10Min } from "./soak_fit.ts";
 * // 100 at t=0 rising by 1 every minute: 10 per ten minutes on a mean of 105.
 * const points = Array.from({ length: 11 }, (_, i) => ({ x: i * 60, y: 100 + i }));
 * if (Math.abs(growthPer10Min(points)! - 10 / 105) > 1e-9) throw new Error();
 * ```
 */
export function growthPer10Min(points: readonly Point[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0, sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n, my = sy / n;
  let sxy = 0, sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) * (p.x - mx);
  }
  if (sxx === 0 || my === 0) return null;
  return (sxy / sxx) * TEN_MINUTES_S / my;
}

/** One series the verdict checks, and what its fitted line says. */
export interface Growth {
  series: string;
  /** Share of the mean per ten minutes, or null when it cannot be fitted. */
  growth: number | null;
  ok: boolean;
}

/**
 * Fits RSS and disk use (log plus snapshots) over the samples of the last
 * two thirds of a run of `runS` seconds: for each node and for the sum of
 * all nodes. A series passes when it rises less than
 * {@link GROWTH_PER_10_MIN_MAX} per ten minutes.
 *
 * @example
 * ```ts
 * import { growthVerdicts } from "./soak_fit.ts";
 * const node = { rssBytes: 100, heapBytes: 50, walBytes: 10, snapBytes: 10 };
 * const samples = [300, 400, 500].map((atS) => ({ atS, phase: "steady" as const, nodes: [node] }));
 * if (!growthVerdicts(["n1"], samples, 600).every((g) => g.ok)) throw new Error("flat fails");
 * ```
 */
export function growthVerdicts(ids: readonly string[], samples: readonly Sample[], runS: number) {
  const late = samples.filter((s) => s.atS >= runS / 3);
  const series: [string, (s: Sample) => number][] = [
    ["rss total", (s) => s.nodes.reduce((sum, n) => sum + n.rssBytes, 0)],
    ["disk total", (s) => s.nodes.reduce((sum, n) => sum + n.walBytes + n.snapBytes, 0)],
  ];
  ids.forEach((id, i) => {
    series.push([`rss ${id}`, (s) => s.nodes[i]!.rssBytes]);
    series.push([`disk ${id}`, (s) => s.nodes[i]!.walBytes + s.nodes[i]!.snapBytes]);
  });
  return series.map(([name, value]): Growth => {
    const growth = growthPer10Min(late.map((s) => ({ x: s.atS, y: value(s) })));
    return { series: name, growth, ok: growth !== null && growth < GROWTH_PER_10_MIN_MAX };
  });
}

const WIDTH = 720;
const PANEL_HEIGHT = 180;
const MARGIN = 40;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

/** One panel: a polyline per series, scaled to the panel, with its title and top value. */
function panel(
  title: string,
  top: number,
  samples: readonly Sample[],
  lines: { value: (s: Sample) => number; color: string; dashed: boolean }[],
): string {
  const maxX = Math.max(1, ...samples.map((s) => s.atS));
  const maxY = Math.max(1, ...lines.flatMap((l) => samples.map(l.value)));
  const x = (s: number) => MARGIN + (s / maxX) * (WIDTH - 2 * MARGIN);
  const y = (v: number) => top + PANEL_HEIGHT - (v / maxY) * PANEL_HEIGHT;
  const polylines = lines.map((l) => {
    const points = samples.map((s) => `${x(s.atS).toFixed(1)},${y(l.value(s)).toFixed(1)}`);
    const dash = l.dashed ? ' stroke-dasharray="4 3"' : "";
    return `<polyline fill="none" stroke="${l.color}"${dash} points="${points.join(" ")}"/>`;
  });
  return [
    `<text x="${MARGIN}" y="${top - 6}">${title} (top: ${(maxY / 1048576).toFixed(0)} MiB)</text>`,
    `<rect x="${MARGIN}" y="${top}" width="${WIDTH - 2 * MARGIN}" height="${PANEL_HEIGHT}" ` +
    `fill="none" stroke="#999"/>`,
    ...polylines,
  ].join("\n");
}

/**
 * A small SVG of the run: resident memory (solid) and heap (dashed) per
 * node, then disk use per node, against time; the last two thirds, where
 * growth is judged, are shaded.
 */
export function soakSvg(ids: readonly string[], samples: readonly Sample[], runS: number): string {
  const memory = ids.flatMap((_, i) => [
    {
      value: (s: Sample) => s.nodes[i]!.rssBytes,
      color: COLORS[i % COLORS.length]!,
      dashed: false,
    },
    {
      value: (s: Sample) => s.nodes[i]!.heapBytes,
      color: COLORS[i % COLORS.length]!,
      dashed: true,
    },
  ]);
  const disk = ids.map((_, i) => ({
    value: (s: Sample) => s.nodes[i]!.walBytes + s.nodes[i]!.snapBytes,
    color: COLORS[i % COLORS.length]!,
    dashed: false,
  }));
  const height = 2 * PANEL_HEIGHT + 3 * MARGIN;
  const maxX = Math.max(1, ...samples.map((s) => s.atS));
  const shadeX = MARGIN + (Math.min(runS / 3, maxX) / maxX) * (WIDTH - 2 * MARGIN);
  const legend = ids.map((id, i) =>
    `<text x="${MARGIN + i * 60}" y="${height - 8}" fill="${
      COLORS[i % COLORS.length]
    }">${id}</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect x="${shadeX.toFixed(1)}" y="0" width="${(WIDTH - MARGIN - shadeX).toFixed(1)}" ` +
    `height="${height - 20}" fill="#f3f3f3"/>`,
    panel("memory: RSS (solid), heap (dashed)", MARGIN, samples, memory),
    panel("disk: log + snapshots", 2 * MARGIN + PANEL_HEIGHT, samples, disk),
    ...legend,
    `<text x="${WIDTH - MARGIN - 160}" y="${height - 8}">time: 0 to ${
      (maxX / 60).toFixed(1)
    } min</text>`,
    "</svg>",
  ].join("\n") + "\n";
}
