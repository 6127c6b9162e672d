import { assertEquals, assertTrue } from "../assert.ts";
import { growthPer10Min, growthVerdicts, soakSvg } from "../../bench/soak_fit.ts";
import { parseSoakOptions, runSoak } from "../../bench/soak.ts";
import type { Sample } from "../../bench/soak_samples.ts";

const MIB = 1024 * 1024;

/** Samples every 10 s over `runS` seconds; `rss(t)` and `disk(t)` in MiB for each of two nodes. */
function samples(runS: number, rss: (t: number) => number, disk: (t: number) => number): Sample[] {
  const out: Sample[] = [];
  for (let t = 10; t <= runS; t += 10) {
    const node = { rssBytes: rss(t) * MIB, heapBytes: MIB, walBytes: disk(t) * MIB, snapBytes: 0 };
    out.push({ atS: t, phase: t < runS / 3 ? "fill" : "steady", nodes: [node, { ...node }] });
  }
  return out;
}

Deno.test("the fitted line's rise is a share of the mean per ten minutes", () => {
  assertEquals(growthPer10Min([{ x: 0, y: 5 }, { x: 600, y: 5 }]), 0);
  assertEquals(growthPer10Min([{ x: 0, y: 90 }, { x: 600, y: 110 }]), 0.2);
  assertEquals(growthPer10Min([{ x: 0, y: 1 }]), null);
  // A sawtooth around a flat level (log growing, then compacted) has next to no trend.
  const saw = Array.from({ length: 180 }, (_, i) => ({ x: i * 10, y: 100 + (i % 6) * 10 }));
  assertTrue(Math.abs(growthPer10Min(saw)!) < 0.02);
});

Deno.test("growth is judged over the last two thirds, per node and in total", () => {
  // Memory climbs fast while the keys are written, then stays flat: a pass.
  const flat = samples(1800, (t) => Math.min(1000, 2 * t), () => 300);
  assertTrue(growthVerdicts(["n1", "n2"], flat, 1800).every((g) => g.ok));
  // A steady leak of 1 MiB a minute on 1 GiB is about 1% per ten minutes: a pass; 5 MiB is not.
  const slow = growthVerdicts(["n1", "n2"], samples(1800, (t) => 1024 + t / 60, () => 300), 1800);
  assertTrue(slow.every((g) => g.ok), JSON.stringify(slow));
  const leak = growthVerdicts(["n1", "n2"], samples(1800, (t) => 1024 + t / 12, () => 300), 1800);
  assertEquals(leak.filter((g) => !g.ok).map((g) => g.series), ["rss total", "rss n1", "rss n2"]);
});

Deno.test("the plot draws memory and disk per node", () => {
  const svg = soakSvg(["n1", "n2"], samples(600, () => 100, () => 50), 600);
  assertTrue(svg.startsWith("<svg"));
  assertEquals(svg.match(/<polyline /g)?.length, 6, "rss and heap per node, then disk per node");
});

Deno.test("soak options: minutes and keys within bounds", () => {
  const options = parseSoakOptions(["--minutes", "2", "--keys", "5000"]);
  assertEquals([options.durationMs, options.keys, options.connections], [120_000, 5000, 64]);
  let refused = "";
  try {
    parseSoakOptions(["--minutes", "0"]);
  } catch (error) {
    refused = (error as Error).message;
  }
  assertTrue(refused.includes('"0"'), refused);
});

Deno.test("a short soak writes samples, a CSV, a plot and a summary", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "rafter_soak_" });
  try {
    const result = await runSoak({
      durationMs: 9_000,
      keys: 2_000,
      connections: 16,
      threads: 1,
      sampleEveryMs: 1_000,
      outDir,
    });
    assertEquals(result.problems, [], result.summary);
    assertTrue(result.samples.length >= 5, `${result.samples.length} samples`);
    assertTrue(result.samples.every((s) => s.nodes.every((n) => n.rssBytes > 0 && n.walBytes > 0)));
    const csv = await Deno.readTextFile(`${outDir}/samples.csv`);
    assertEquals(csv.trim().split("\n").length, result.samples.length + 1);
    assertTrue((await Deno.readTextFile(`${outDir}/plot.svg`)).includes("<polyline"));
    assertTrue((await Deno.readTextFile(`${outDir}/summary.txt`)).includes("rss total"));
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
