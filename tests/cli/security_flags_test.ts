import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { HELP, parseCommand } from "../../src/cli.ts";
import { runRafter } from "./run.ts";

Deno.test("parseCommand: the TLS, CA, auth and in-flight flags land in their fields", () => {
  const command = parseCommand([
    "--tls-cert",
    "n1.pem",
    "--tls-key",
    "n1.key",
    "--peer-ca",
    "ca.pem",
    "--auth-file",
    "auth.json",
    "--http-requests-inflight-max",
    "64",
  ]);
  if (command.kind !== "serve") throw new Error(command.kind);
  const { tlsCertFile, tlsKeyFile, peerCaFile, authFile, httpRequestsInflightMax } = command.config;
  assertEquals(
    [tlsCertFile, tlsKeyFile, peerCaFile, authFile, httpRequestsInflightMax],
    ["n1.pem", "n1.key", "ca.pem", "auth.json", 64],
  );
  const defaults = parseCommand([]);
  if (defaults.kind !== "serve") throw new Error(defaults.kind);
  assertEquals(defaults.config.httpRequestsInflightMax, 4096);
  assertEquals([defaults.config.tlsCertFile, defaults.config.authFile], ["", ""]);
  for (const flag of ["--tls-cert", "--peer-ca", "--auth-file", "--http-requests-inflight-max"]) {
    assertTrue(HELP.includes(flag), flag);
  }
});

Deno.test("parseCommand: a certificate without its key, or a zero bound, is a usage error", () => {
  assertThrows(() => parseCommand(["--tls-cert", "n1.pem"]), /certificate and key go together/);
  assertThrows(() => parseCommand(["--tls-key", "n1.key"]), /certificate and key go together/);
  assertThrows(
    () => parseCommand(["--http-requests-inflight-max", "0"]),
    /"httpRequestsInflightMax" must be a positive integer, got "0"/,
  );
  assertEquals(parseCommand(["hash-token"]), { kind: "hash-token" });
  assertThrows(() => parseCommand(["hash-token", "secret"]), /the token comes on stdin/);
});

Deno.test("a node with an unusable auth file or certificate exits 1 before touching its data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_flags_" });
  try {
    const data = `${dir}/data`;
    const common = [
      "--data-dir",
      data,
      "--raft-addr",
      "127.0.0.1:7999",
      "--http-addr",
      "127.0.0.1:8999",
    ];
    const missing = await runRafter([...common, "--auth-file", `${dir}/none.json`]);
    assertEquals(missing.code, 1);
    assertTrue(missing.stderr.includes(`rafter: Cannot read auth file "${dir}/none.json"`));
    await Deno.writeTextFile(`${dir}/auth.json`, '{"users":[{"name":"a","tokenSha256":"x"}]}');
    const broken = await runRafter([...common, "--auth-file", `${dir}/auth.json`]);
    assertEquals(broken.code, 1);
    assertTrue(
      broken.stderr.includes('"users[0].tokenSha256" must be 64 hex digits'),
      broken.stderr,
    );
    await Deno.writeTextFile(`${dir}/cert.pem`, "not a certificate");
    const cert = await runRafter([
      ...common,
      "--tls-cert",
      `${dir}/cert.pem`,
      "--tls-key",
      "k.pem",
    ]);
    assertEquals(cert.code, 1);
    assertTrue(cert.stderr.includes(`Cannot use TLS certificate "${dir}/cert.pem"`), cert.stderr);
    assertEquals(await Deno.stat(data).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
