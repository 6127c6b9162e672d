import { assertEquals, assertTrue } from "../assert.ts";
import { freePorts, waitFor } from "../cluster/harness.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

Deno.test("a node started with --log-format json writes only JSON lines with ts, level, node, msg", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_logjson_" });
  const [raftPort, httpPort] = freePorts(2);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "--id",
      "j1",
      "--raft-addr",
      `127.0.0.1:${raftPort}`,
      "--http-addr",
      `127.0.0.1:${httpPort}`,
      "--data-dir",
      `${dir}/j1`,
      "--log-format",
      "json",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, "the node to be ready");
  } finally {
    child.kill("SIGTERM");
  }
  const { stderr, stdout } = await child.output();
  await Deno.remove(dir, { recursive: true });
  assertEquals(new TextDecoder().decode(stdout), "");
  const lines = new TextDecoder().decode(stderr).trim().split("\n");
  const parsed = lines.map((line) => JSON.parse(line));
  for (const line of parsed) {
    assertEquals(Object.keys(line).slice(0, 4), ["ts", "level", "node", "msg"]);
    assertEquals(line.node, "j1");
  }
  const messages = parsed.map((line) => line.msg);
  for (const msg of ["bootstrapped a new cluster", "serving", "became leader", "stopped"]) {
    assertTrue(messages.includes(msg), `${msg} in ${messages.join(", ")}`);
  }
});
