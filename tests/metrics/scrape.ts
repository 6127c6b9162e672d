/**
 * Reading a node's `GET /metrics` in tests: every sample by its series
 * (`name{labels}` as rendered), and promtool's verdict on the text.
 *
 * @module
 */

import { request } from "../cluster/harness.ts";
import { requireTool } from "../tools.ts";

/** One scrape: the text and every sample by series. */
export interface Scrape {
  text: string;
  samples: Map<string, number>;
}

/** Parses the samples of an exposition (comments skipped). */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Scrapes the node serving HTTP on `httpAddr`; throws unless it answers 200. */
export async function scrape(httpAddr: string): Promise<Scrape> {
  const answer = await request(`http://${httpAddr}/metrics`);
  if (answer.status !== 200) throw new Error(`GET /metrics answered ${answer.status}`);
  return { text: answer.text, samples: parseExposition(answer.text) };
}

/** The value of `series` (0 when absent, as Prometheus reads a counter not yet exported). */
export function sample(scraped: Scrape, series: string): number {
  return scraped.samples.get(series) ?? 0;
}

/** How much `series` moved from `before` to `after`. */
export function moved(before: Scrape, after: Scrape, series: string): number {
  return sample(after, series) - sample(before, series);
}

/** Runs `promtool check metrics` on `text`: its exit code and everything it printed. */
export async function promtoolCheck(
  promtool: string | null,
  text: string,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(requireTool("promtool", promtool), {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
