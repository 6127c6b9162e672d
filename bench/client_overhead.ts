/**
 * `deno task bench:client`: what the TypeScript client costs per call over a bare `fetch`
 * of the same route on the same server. Starts a 3-node cluster on loopback (or uses
 * `--url`), then runs interleaved rounds: N reads and N writes through `fetch` plus
 * `response.json()`, then the same through `RafterClient` (the order alternates per round).
 * Prints each side's latency (medians of the rounds) and the client's overhead as the median
 * of the rounds' ratios, so that a slow moment of a busy machine weighs on both sides alike.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RafterClient } from "../src/client/mod.ts";
import { RafterCluster } from "./cluster.ts";
import { LatencyHistogram } from "./histogram.ts";
import { median } from "./median.ts";

/** Keys read and written; preloaded so reads find them. */
const KEYS = 1_000;
/** Bytes per written value. */
const VALUE_BYTES = 100;
const USAGE = `Usage: deno task bench:client [--rounds N] [--calls N] [--concurrency N] [--url URL]

  --rounds N        interleaved rounds of fetch and client (default 20)
  --calls N         calls per operation, side and round (default 500)
  --concurrency N   calls in flight at once (default 1)
  --url URL         an existing leader's HTTP address instead of a fresh local cluster`;

type Side = "fetch" | "client";
type Op = "get" | "put";

interface Options {
  rounds: number;
  calls: number;
  concurrency: number;
  url: string;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: "string", default: "20" },
      calls: { type: "string", default: "500" },
      concurrency: { type: "string", default: "1" },
      url: { type: "string", default: "" },
    },
  });
  const positive = (name: string, text: string) => {
    if (!/^[1-9]\d*$/.test(text)) {
      throw new Error(`--${name} must be a positive integer, got "${text}"\n${USAGE}`);
    }
    return Number(text);
  };
  return {
    rounds: positive("rounds", values.rounds),
    calls: positive("calls", values.calls),
    concurrency: positive("concurrency", values.concurrency),
    url: values.url.replace(/\/+$/, ""),
  };
}

/** One call of `op` on `key` through `side`. */
function caller(url: string, client: RafterClient, value: string) {
  const json = { "content-type": "application/json" };
  return async (side: Side, op: Op, key: string): Promise<void> => {
    if (side === "client") {
      await (op === "get" ? client.get(key) : client.put(key, value));
      return;
    }
    const response = op === "get"
      ? await fetch(`${url}/key?key=${encodeURIComponent(key)}&level=default`)
      : await fetch(`${url}/key`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ key, value }),
      });
    const body = await response.json();
    if (!response.ok) throw new Error(`${op} "${key}" answered ${response.status}: ${body.error}`);
  };
}

/** Runs `calls` calls with `concurrency` in flight; answers their latency histogram. */
async function measure(
  call: (key: string) => Promise<void>,
  calls: number,
  concurrency: number,
): Promise<LatencyHistogram> {
  const histogram = new LatencyHistogram();
  let next = 0;
  const lane = async () => {
    while (next < calls) {
      const key = `bench-${next++ % KEYS}`;
      const started = performance.now();
      await call(key);
      histogram.record(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return histogram;
}

async function run(options: Options, url: string): Promise<void> {
  using client = new RafterClient({ endpoints: [url] });
  const call = caller(url, client, "x".repeat(VALUE_BYTES));
  for (let i = 0; i < KEYS; i++) await call("fetch", "put", `bench-${i}`);
  const means: Record<string, number[]> = {};
  const p99s: Record<string, number[]> = {};
  for (let round = 0; round < options.rounds; round++) {
    const sides: Side[] = round % 2 === 0 ? ["fetch", "client"] : ["client", "fetch"];
    for (const op of ["get", "put"] as const) {
      for (const side of sides) {
        const h = await measure((key) => call(side, op, key), options.calls, options.concurrency);
        (means[`${op} ${side}`] ??= []).push(h.meanMs);
        (p99s[`${op} ${side}`] ??= []).push(h.percentile(99));
      }
    }
  }
  console.log(
    `${options.rounds} rounds x ${options.calls} calls, concurrency ${options.concurrency}; ` +
      "medians of the rounds, ms; overhead: median of the rounds' client/fetch ratios",
  );
  console.log("op   fetch-mean  client-mean  overhead  fetch-p99  client-p99");
  for (const op of ["get", "put"] as const) {
    const raw = means[`${op} fetch`]!;
    const ours = means[`${op} client`]!;
    const overhead = ((median(ours.map((ms, i) => ms / raw[i]!)) - 1) * 100).toFixed(1);
    const cells = [raw, ours, p99s[`${op} fetch`]!, p99s[`${op} client`]!]
      .map((values) => median(values).toFixed(3).padStart(10));
    console.log(
      `${op}  ${cells[0]}   ${cells[1]}  ${`${overhead}%`.padStart(8)}  ${cells[2]}  ${cells[3]}`,
    );
  }
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  if (options.url !== "") {
    await run(options, options.url);
  } else {
    const cluster = await RafterCluster.create();
    try {
      await cluster.start();
      await run(options, cluster.leaderUrl);
    } finally {
      await cluster.stop();
    }
  }
}
