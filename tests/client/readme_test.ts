// The README's client examples, run as written against a real three-node cluster: only the
// addresses (ports chosen at run time) and the import path (the repository's) change.
import { assertEquals } from "../assert.ts";
import { withCluster } from "../cluster/harness.ts";
import { readmeBlocks } from "../readme_blocks.ts";

const ROOT = new URL("../../", import.meta.url);
const README_PORTS = ["8001", "8002", "8003"];

async function runSnippet(code: string, httpAddrs: string[]): Promise<string> {
  let program = code.replaceAll("./src/client/mod.ts", new URL("src/client/mod.ts", ROOT).href);
  README_PORTS.forEach((port, i) => {
    program = program.replaceAll(`127.0.0.1:${port}`, httpAddrs[i]!);
  });
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, program);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", file],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, stderr);
    return new TextDecoder().decode(output.stdout);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("README: the quick start and the client examples run against three processes", async () => {
  await withCluster({}, async (cluster) => {
    await cluster.form(3);
    const addrs = cluster.nodes.map((n) => n.httpAddr);
    const [quickStart] = await readmeBlocks("Quick start", "ts");
    assertEquals(await runSnippet(quickStart!, addrs), "hello\n");
    const [useFromCode] = await readmeBlocks("Use from code", "ts");
    assertEquals(await runSnippet(useFromCode!, addrs), "blue true\n");
  });
});
