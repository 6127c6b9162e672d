/**
 * `deno task bench:secure-parts`: what each part of a secure node costs on
 * its own. Starts one node at a time, four ways (plain; `--auth-file` only;
 * HTTPS only; both), in interleaved rounds so a slow moment of a busy machine
 * weighs on every side alike, and drives each with the benchmark's load
 * generator (a token on every request when auth is on, the CA trusted when
 * HTTPS is). Prints req/s per round and the medians as a share of plain,
 * and beside them the node's own CPU time per request (every thread of its
 * process, from `/proc`): the load generator shares the machine's cores and
 * pays for its side of TLS too, so req/s alone mixes the two sides' costs.
 * Peer links play no part: one node has none.
 *
 * @module
 */

import { integer, parseFlags, UsageError } from "./options.ts";
import { nodeRunOptions } from "../src/node_flags.ts";
import { type LoadOptions, type LoadResult } from "./load.ts";
import { runLoadInWorkers, terminateLoadWorkers } from "./load_workers.ts";
import { makeSecureSetup, type SecureSetup } from "./secure.ts";
import { median } from "./median.ts";
import { processesCpuMs } from "./process_cpu.ts";

const USAGE = `Usage: deno task bench:secure-parts [--rounds N] [--duration S] [--scenarios LIST]

  --rounds N        interleaved rounds, each running every setup once (default 3)
  --duration S      seconds of load per scenario (default 5)
  --scenarios LIST  read-stale-cN and write-cN, comma-separated
                    (default read-stale-c64,write-c16)`;

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const SETUPS = ["plain", "auth", "https", "https+auth"] as const;
type Setup = typeof SETUPS[number];
/** Keys the reads are spread over (written once before each read scenario). */
const KEYS = 10_000;
const VALUE_BYTES = 100;
const REQUEST_TIMEOUT_MS = 5_000;
/** How long a node gets to answer `/readyz` after it starts. */
const READY_TIMEOUT_MS = 20_000;
/** First HTTP port used; each node takes the next two (HTTP, Raft). */
const PORT_FIRST = 19_400;

/** The node's flags for `setup`: the CA, certificate and key for HTTPS, the auth file for auth. */
function nodeFlags(setup: Setup, secure: SecureSetup): string[] {
  const flag = (name: string) => {
    const at = secure.nodeArgs.indexOf(name);
    return [name, secure.nodeArgs[at + 1]!];
  };
  const https = [...flag("--tls-cert"), ...flag("--tls-key")];
  const auth = flag("--auth-file");
  return setup === "plain" ? [] : setup === "auth" ? auth : setup === "https" ? https : [
    ...https,
    ...auth,
  ];
}

async function waitReady(url: string, client: Deno.HttpClient): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`, { client });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The node at "${url}" was not ready within ${READY_TIMEOUT_MS} ms`);
}

function parseScenario(name: string): { op: "write" | "read-stale"; connections: number } {
  const match = /^(write|read-stale)-c([1-9][0-9]*)$/.exec(name);
  if (match === null) {
    throw new UsageError(`Unknown scenario "${name}": use read-stale-cN or write-cN`);
  }
  return { op: match[1] as "write" | "read-stale", connections: Number(match[2]) };
}

/** One run of a scenario: req/s, and the node's CPU microseconds per request (NaN if unknown). */
interface Run {
  rate: number;
  cpuMicros: number;
}

/** One node of `setup`: each scenario's run. */
async function runSetup(
  setup: Setup,
  port: number,
  dir: string,
  secure: SecureSetup,
  options: { scenarios: string[]; durationMs: number },
): Promise<Run[]> {
  const args = nodeFlags(setup, secure);
  const https = args.includes("--tls-cert");
  const url = `${https ? "https" : "http"}://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    // Started as every node is: its V8 flags and its permissions.
    args: [
      "run",
      ...nodeRunOptions(),
      MAIN,
      "--id",
      "n1",
      "--bootstrap",
      "--data-dir",
      `${dir}/${port}`,
    ]
      .concat(["--http-addr", `127.0.0.1:${port}`, "--raft-addr", `127.0.0.1:${port + 1}`], args),
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = Deno.createHttpClient({ caCerts: [secure.caCert] });
  try {
    await waitReady(url, client);
    const runs: Run[] = [];
    for (const name of options.scenarios) {
      const { op, connections } = parseScenario(name);
      const base: Omit<LoadOptions, "op" | "mode" | "durationMs"> = {
        url,
        target: "rafter",
        connections,
        keys: KEYS,
        valueBytes: VALUE_BYTES,
        timeoutMs: REQUEST_TIMEOUT_MS,
        client: "raw",
        caCert: https ? secure.caCert : null,
        authorization: args.includes("--auth-file") ? secure.authorization : null,
      };
      if (op === "read-stale") {
        await runLoadInWorkers({ ...base, op: "write", mode: "preload", durationMs: 60_000 }, 1);
      }
      const cpuBefore = await processesCpuMs([child.pid]);
      const result = await runLoadInWorkers(
        { ...base, op, mode: "random", durationMs: options.durationMs },
        1,
      );
      const cpuAfter = await processesCpuMs([child.pid]);
      const { ok } = checked(result, setup, name);
      const cpuMs = cpuBefore === null || cpuAfter === null ? NaN : cpuAfter - cpuBefore;
      runs.push({ rate: ok / (result.elapsedMs / 1000), cpuMicros: cpuMs * 1000 / ok });
    }
    return runs;
  } finally {
    client.close();
    child.kill("SIGTERM");
    await child.status;
  }
}

function checked(result: LoadResult, setup: Setup, scenario: string): LoadResult {
  const errors = result.non2xx + result.socketErrors + result.timeouts + result.misses;
  if (errors > 0) {
    throw new Error(`${setup} ${scenario}: ${errors} errors, first: ${result.firstError}`);
  }
  return result;
}

/** Runs the rounds and prints each run and the medians; answers the exit status. */
export async function main(argv: string[]): Promise<number> {
  let flags;
  let rounds: number;
  let durationMs: number;
  try {
    flags = parseFlags(argv, {
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "5" },
      scenarios: { type: "string", default: "read-stale-c64,write-c16" },
      help: { type: "boolean", default: false },
    });
    flags.scenarios.split(",").forEach(parseScenario);
    rounds = integer("rounds", flags.rounds, 1, 20);
    durationMs = integer("duration", flags.duration, 1, 600) * 1000;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const scenarios = flags.scenarios.split(",");
  const dir = await Deno.makeTempDir({ prefix: "rafter-secure-parts-" });
  const runs = new Map<Setup, Run[][]>(SETUPS.map((s) => [s, []]));
  try {
    const secure = await makeSecureSetup(dir);
    let port = PORT_FIRST;
    for (let round = 1; round <= rounds; round++) {
      for (const setup of SETUPS) {
        const got = await runSetup(setup, port, dir, secure, { scenarios, durationMs });
        port += 2;
        runs.get(setup)!.push(got);
        const text = scenarios.map((s, i) =>
          `${s}=${got[i]!.rate.toFixed(0)} (node ${got[i]!.cpuMicros.toFixed(1)} µs/req)`
        ).join(" ");
        console.log(`round ${round} ${setup}: ${text} (load ${Deno.loadavg()[0]!.toFixed(1)})`);
      }
    }
  } finally {
    terminateLoadWorkers();
    await Deno.remove(dir, { recursive: true });
  }
  scenarios.forEach((scenario, i) => {
    const rate = (s: Setup) => median(runs.get(s)!.map((r) => r[i]!.rate));
    const cpu = (s: Setup) => median(runs.get(s)!.map((r) => r[i]!.cpuMicros));
    const shares = SETUPS.map((s) => `${s} ${(rate(s) / rate("plain")).toFixed(2)}`);
    const costs = SETUPS.map((s) => `${s} ${cpu(s).toFixed(1)}`);
    console.log(
      `${scenario}: plain ${rate("plain").toFixed(0)} req/s; ${shares.join(", ")}; ` +
        `node CPU µs/req ${costs.join(", ")}`,
    );
  });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
