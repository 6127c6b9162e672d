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

Deno.test("parseCommand: the cluster secret and peer TLS flags; peer TLS needs the secret", () => {
  const command = parseCommand([
    "--cluster-secret-file",
    "secret.txt",
    "--peer-tls-cert",
    "n1.pem",
    "--peer-tls-key",
    "n1.key",
    "--peer-ca",
    "ca.pem",
  ]);
  if (command.kind !== "serve") throw new Error(command.kind);
  const { clusterSecretFile, peerTlsCertFile, peerTlsKeyFile } = command.config;
  assertEquals(
    [clusterSecretFile, peerTlsCertFile, peerTlsKeyFile],
    ["secret.txt", "n1.pem", "n1.key"],
  );
  assertThrows(
    () => parseCommand(["--peer-tls-cert", "n1.pem", "--peer-tls-key", "n1.key"]),
    /Cannot use peer TLS certificate "n1.pem" without a cluster secret/,
  );
  assertThrows(
    () => parseCommand(["--cluster-secret-file", "s", "--peer-tls-cert", "n1.pem"]),
    /peer TLS certificate and key go together/,
  );
  for (const flag of ["--cluster-secret-file", "--peer-tls-cert", "--peer-tls-key"]) {
    assertTrue(HELP.includes(flag), flag);
  }
});

Deno.test("a node with an unusable cluster secret file exits 1 before touching its data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_secret_flags_" });
  try {
    const data = `${dir}/data`;
    const common = ["--data-dir", data, "--raft-addr", "127.0.0.1:7998"];
    const start = (path: string) =>
      runRafter([...common, "--http-addr", "127.0.0.1:8998", "--cluster-secret-file", path]);
    const cases: [string, string, string][] = [
      ["short", "too-short\n", "line 1 holds 9 bytes, at least 32 are needed"],
      [
        "three",
        `${"a".repeat(32)}\n${"b".repeat(32)}\n${"c".repeat(32)}\n`,
        "it holds 3 lines, at most 2",
      ],
      ["empty", "\n\n", "it holds no secret"],
    ];
    for (const [name, text, error] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const run = await start(`${dir}/${name}`);
      assertEquals(run.code, 1, name);
      const expected = `rafter: Cannot use cluster secret file "${dir}/${name}": ${error}`;
      assertTrue(run.stderr.includes(expected), run.stderr);
    }
    const missing = await start(`${dir}/none`);
    assertTrue(missing.stderr.includes(`Cannot read cluster secret file "${dir}/none"`));
    assertEquals(await Deno.stat(data).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
