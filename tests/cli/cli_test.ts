import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { HELP, parseCommand, UsageError } from "../../src/cli.ts";
import type { NodeConfig } from "../../src/config.ts";
import { withCluster } from "../cluster/harness.ts";
import { PERMISSIONS, runRafter, type RunResult } from "./run.ts";

function serve(args: string[]): NodeConfig {
  const command = parseCommand(args);
  if (command.kind !== "serve") throw new Error(`Expected serve, got "${command.kind}"`);
  return command.config;
}

function usageError(args: string[], pattern: RegExp): void {
  assertThrows(() => parseCommand(args), pattern);
  try {
    parseCommand(args);
  } catch (error) {
    assertTrue(error instanceof UsageError, `${args.join(" ")}: ${error}`);
  }
}

Deno.test("parseCommand: no flags serve n1 on the documented defaults", () => {
  const config = serve([]);
  assertEquals(config.id, "n1");
  assertEquals(config.raftAddr, "127.0.0.1:7001");
  assertEquals(config.httpAddr, "127.0.0.1:8001");
  assertEquals(config.advertiseHttpAddr, "127.0.0.1:8001");
  assertEquals(config.dataDir, "data/n1");
  assertEquals(config.bootstrap, false);
  assertEquals(config.join, "");
  assertEquals(config.heartbeatMs, 50);
  assertEquals(config.electionMs, 500);
  assertEquals(config.snapshotEntries, 10_000);
  assertEquals(config.logLevel, "info");
  assertEquals(serve(["serve"]), config);
});

Deno.test("parseCommand: every flag lands in its field", () => {
  const config = serve([
    "serve",
    "--id",
    "n2",
    "--raft-addr",
    "127.0.0.1:7002",
    "--http-addr",
    "127.0.0.1:8002",
    "--data-dir",
    "/tmp/n2",
    "--bootstrap",
    "--heartbeat-ms",
    "20",
    "--election-ms",
    "200",
    "--snapshot-entries",
    "50",
    "--log-level",
    "warn",
  ]);
  assertEquals(
    [config.id, config.raftAddr, config.httpAddr, config.dataDir, config.bootstrap],
    ["n2", "127.0.0.1:7002", "127.0.0.1:8002", "/tmp/n2", true],
  );
  assertEquals(
    [config.heartbeatMs, config.electionMs, config.snapshotEntries, config.logLevel],
    [20, 200, 50, "warn"],
  );
  // A small snapshot interval also shortens what is kept behind a snapshot.
  assertTrue(config.snapshotCatchUpEntries <= 50, String(config.snapshotCatchUpEntries));
});

Deno.test("parseCommand: --node-id is an alias of --id and names the data directory", () => {
  const config = serve(["--node-id", "n3"]);
  assertEquals(config.id, "n3");
  assertEquals(config.dataDir, "data/n3");
  assertEquals(serve(["--id", "n3", "--node-id", "n3"]).id, "n3");
  usageError(["--id", "n3", "--node-id", "n4"], /disagree/);
});

Deno.test("parseCommand: a bare :port listens everywhere and advertises loopback", () => {
  const config = serve(["--raft-addr", ":7002", "--http-addr", ":8002"]);
  assertEquals(config.raftAddr, ":7002");
  assertEquals(config.httpAddr, ":8002");
  assertEquals(config.advertiseHttpAddr, "127.0.0.1:8002");
  const advertised = serve(["--http-addr", ":8002", "--advertise-http", "10.0.0.2:8002"]);
  assertEquals(advertised.advertiseHttpAddr, "10.0.0.2:8002");
});

Deno.test("parseCommand: --join takes a URL and refuses other schemes", () => {
  assertEquals(serve(["--join", "http://127.0.0.1:8001"]).join, "http://127.0.0.1:8001");
  usageError(["--join", "ftp://127.0.0.1:8001"], /http/);
  usageError(["--join", "http://"], /Join address/);
});

Deno.test("parseCommand: --join host:port and a trailing slash become a base URL", () => {
  assertEquals(serve(["--join", "http://127.0.0.1:8001/"]).join, "http://127.0.0.1:8001");
  assertEquals(serve(["--join", "127.0.0.1:8001"]).join, "http://127.0.0.1:8001");
  assertEquals(serve(["--join", "localhost:8001"]).join, "http://localhost:8001");
});

Deno.test("parseCommand: unknown flags, commands and bad values are usage errors", () => {
  usageError(["--bogus"], /bogus/);
  usageError(["frobnicate"], /Unknown command "frobnicate"/);
  usageError(["--id"], /id/);
  usageError(["--heartbeat-ms", "fast"], /--heartbeat-ms must be a positive integer, got "fast"/);
  usageError(["--election-ms", "-5"], /election-ms/);
  usageError(["--snapshot-entries", "1.5"], /snapshot-entries/);
  usageError(["--heartbeat-ms", "50", "--election-ms", "100"], /at least 3 heartbeats/);
  usageError(["--heartbeat-ms", "0"], /heartbeat/i);
  usageError(["--log-level", "chatty"], /chatty/);
  usageError(["--raft-addr", "nowhere"], /nowhere/);
  usageError(["--http-addr", "127.0.0.1:99999"], /99999/);
  usageError(["--id", "bad id"], /bad id/);
  usageError(["serve", "extra"], /extra/);
});

Deno.test("parseCommand: --bootstrap with --join is refused", () => {
  usageError(["--bootstrap", "--join", "http://127.0.0.1:8001"], /--bootstrap and --join/);
});

Deno.test("parseCommand: --help and -h ask for help, whatever else is given", () => {
  assertEquals(parseCommand(["--help"]), { kind: "help" });
  assertEquals(parseCommand(["-h"]), { kind: "help" });
  assertEquals(parseCommand(["serve", "--id", "n2", "--help"]), { kind: "help" });
  assertTrue(HELP.includes("--snapshot-entries"));
});

/** Runs the program with the permissions of `deno task start`. */
function run(args: string[]): Promise<RunResult> {
  return runRafter(args, { permissions: PERMISSIONS.filter((p) => p !== "--allow-run") });
}

Deno.test("the program exits 2 with one line on stderr for an unknown flag", async () => {
  const { code, stdout, stderr } = await run(["--bogus"]);
  assertEquals(code, 2);
  assertEquals(stdout, "");
  const lines = stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, stderr);
  assertTrue(/^rafter: .*bogus/.test(lines[0]!), stderr);
});

Deno.test("the program exits 2 for --bootstrap with --join", async () => {
  const { code, stderr } = await run(["--bootstrap", "--join", "127.0.0.1:8001"]);
  assertEquals(code, 2);
  assertEquals(stderr.trimEnd().split("\n").length, 1, stderr);
});

Deno.test("the program prints the help and exits 0 for --help", async () => {
  const { code, stdout, stderr } = await run(["--help"]);
  assertEquals(code, 0);
  assertEquals(stdout.trimEnd(), HELP.trimEnd());
  assertEquals(stderr, "");
});

Deno.test("a running node exits 0 on SIGTERM and on SIGINT", async () => {
  await withCluster({}, async (cluster) => {
    for (const [id, signal] of [["n1", "SIGTERM"], ["n2", "SIGINT"]] as const) {
      const node = cluster.add(id, { bootstrap: true });
      await cluster.leader({ among: [node], voters: 1 });
      const status = await cluster.stop(node, signal);
      assertEquals(status.code, 0, `${signal}: ${node.lines.slice(-5).join("\n")}`);
      assertTrue(node.lines.some((line) => line.includes(" info stopped")), signal);
    }
  });
});

Deno.test("parseCommand: --log-format and --slow-fsync-ms", () => {
  const defaults = serve([]);
  assertEquals([defaults.logFormat, defaults.slowFsyncMs], ["text", 1000]);
  const config = serve(["--log-format", "json", "--slow-fsync-ms", "250"]);
  assertEquals([config.logFormat, config.slowFsyncMs], ["json", 250]);
  usageError(["--log-format", "xml"], /Log format must be one of text, json, got "xml"/);
  usageError(["--slow-fsync-ms", "0"], /slowFsyncMs/);
  usageError(["--slow-fsync-ms", "soon"], /--slow-fsync-ms must be a positive integer, got "soon"/);
  assertTrue(HELP.includes("--log-format") && HELP.includes("--slow-fsync-ms"));
  assertTrue(HELP.includes("/readyz") && HELP.includes("/ui"));
});

Deno.test("parseCommand: --metrics on|off", () => {
  assertEquals(serve([]).metrics, true);
  assertEquals(serve(["--metrics", "off"]).metrics, false);
  assertEquals(serve(["--metrics", "on"]).metrics, true);
  usageError(["--metrics", "no"], /--metrics must be on or off, got "no"/);
  assertTrue(HELP.includes("--metrics on|off"));
});
