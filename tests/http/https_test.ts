/**
 * The app behind a real HTTPS listener (HTTP/2 when the client offers it):
 * refusals arrive whole even when the refused request's body went unread
 * by the handler.
 */

import { assertEquals } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import { makeCerts } from "../tls_certs.ts";
import { AuthStore, parseAuthFile } from "../../src/auth/mod.ts";
import { authFileText, TOKENS } from "./auth_users.ts";
import { FakeNode } from "./fake_node.ts";

/** Requests per case: the stream reset this guards against hit about half of them. */
const ATTEMPTS = 20;

async function curl(args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command("curl", {
    args: ["-s", "--max-time", "10", "-w", " %{http_code} %{http_version}", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: output.code, out: new TextDecoder().decode(output.stdout) };
}

Deno.test("over HTTPS and HTTP/2, 401, 403 and 405 reach curl whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rafter_https_" });
  const files = await makeCerts(dir);
  // No anonymous permissions: a call without credentials is refused before its body is read.
  const file = JSON.parse(authFileText());
  delete file.anonymous;
  const auth = new AuthStore(parseAuthFile(JSON.stringify(file)));
  const app = createApp(new FakeNode(), { auth, scheme: "https" });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(files.cert),
    key: await Deno.readTextFile(files.key),
    onListen: () => {},
  }, app.fetch);
  try {
    const base = `https://127.0.0.1:${server.addr.port}`;
    const big = JSON.stringify({ key: "app/x", value: "v".repeat(1024 * 1024 - 100) });
    await Deno.writeTextFile(`${dir}/big.json`, big);
    const cases: [string[], string][] = [
      [["-d", '{"key":"app/x","value":"y"}', `${base}/key`], "401 2"],
      [["--data-binary", `@${dir}/big.json`, `${base}/key`], "401 2"],
      [
        ["-u", `reader:${TOKENS.reader}`, "-d", '{"key":"app/x","value":"y"}', `${base}/key`],
        "403 2",
      ],
      [["-u", `ops:${TOKENS.ops}`, `${base}/remove?id=n2`], "405 2"],
    ];
    for (const [args, expected] of cases) {
      for (let i = 0; i < ATTEMPTS; i++) {
        const answer = await curl(["--cacert", files.ca, ...args]);
        assertEquals(answer.code, 0, `curl ${args.join(" ")}`);
        assertEquals(answer.out.endsWith(` ${expected}`), true, answer.out);
        assertEquals(typeof JSON.parse(answer.out.slice(0, -expected.length - 1)).error, "string");
      }
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
