// The README's curl examples of the data model, run as written by bash against a real
// three-node cluster: only the addresses change (ports chosen at run time), and a watch's
// stream is cut after half a second. Each call must answer the status its comment names, or 2xx.
import { assertEquals, assertTrue } from "../assert.ts";
import { findTool, skipWithout } from "../tools.ts";
import { readmeBlocks } from "../readme_blocks.ts";
import { STEADY_TIMING } from "./data_model.ts";
import { withCluster } from "./harness.ts";

const SECTION = "Scans, compare-and-swap, transactions, leases and watch";
const README_ADDRS = ["localhost:8001", "localhost:8002", "localhost:8003"];

/** `curl` as the examples run it: quiet, bounded, each status on stderr; a cut watch is fine. */
const CURL = `curl() {
  local max=10
  case " $* " in *" -N "*) max=0.5;; esac
  local code=0
  command curl -s --max-time "$max" -w '%{stderr}%{http_code}\\n' "$@" || code=$?
  if [ "$code" = 28 ]; then return 0; fi
  return "$code"
}`;

/** The status each call of `block` must answer, in order: its comment's, else "2xx". */
function expectedStatuses(block: string): string[] {
  return block.split("\n")
    .filter((line) => !line.trimStart().startsWith("#") && /\bcurl /.test(line))
    .map((line) => /\s#\s+(\d{3})\b/.exec(line)?.[1] ?? "2xx");
}

const JQ = findTool("jq");
const CURL_PATH = findTool("curl");

Deno.test({
  name: "README: every data-model curl example answers as its comment says on three processes",
  ignore: skipWithout("jq", JQ) || skipWithout("curl", CURL_PATH),
}, async () => {
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(3);
    const addrs = [leader, ...cluster.running().filter((n) => n !== leader)].map((n) => n.httpAddr);
    const examples = await readmeBlocks(SECTION, "");
    assertTrue(examples.length >= 5, `${examples.length} examples`);
    let script = ["set -e", CURL, ...examples].join("\n");
    README_ADDRS.forEach((addr, i) => script = script.replaceAll(addr, addrs[i]!));
    const dir = await Deno.makeTempDir({ dir: cluster.dir });
    const output = await new Deno.Command("bash", {
      args: ["-c", script],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, `${stderr}\n${stdout}`);

    const statuses = stderr.split("\n").filter((line) => /^\d{3}$/.test(line));
    const expected = examples.flatMap(expectedStatuses);
    assertEquals(statuses.length, expected.length, stderr);
    const wrong = statuses
      .map((status, i) => ({ status, expected: expected[i]!, i }))
      .filter(({ status, expected }) =>
        expected === "2xx" ? !status.startsWith("2") : status !== expected
      );
    assertEquals(wrong, [], `calls whose status differs from the README:\n${stdout}`);

    const parts = ['"succeeded":true', '"keys":["svc/api/n1"]', "worker-7", "quotaBytes"];
    // The watches from an index streamed the changes made since.
    for (const part of [...parts, 'event: change\ndata: {"index":']) {
      assertTrue(stdout.includes(part), `"${part}" in:\n${stdout}`);
    }
    const [logo, copy] = await Promise.all(
      ["logo.png", "copy.png"].map((name) => Deno.readFile(`${dir}/${name}`)),
    );
    assertEquals(copy, logo, "GET /kv/ answered the bytes PUT wrote");
  });
});
