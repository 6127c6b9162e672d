/**
 * The app behind a real HTTPS listener (HTTP/2 when the client offers it):
 * refusals arrive whole even when the refused request's body went unread
 * by the handler.
 */

import { assertEquals } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import { CURL, curl, makeCerts, OPENSSL } from "../tls_tools.ts";
import { skipWithout } from "../tools.ts";
import { AuthStore, parseAuthFile } from "../../src/auth/mod.ts";
import { authFileText, TOKENS } from "./auth_users.ts";
import { FakeNode } from "./fake_node.ts";

/** Requests per case: the stream reset this guards against hit about half of them. */
const ATTEMPTS = 20;

Deno.test({
  name: "over HTTPS and HTTP/2, 401, 403 and 405 reach curl whole",
  ignore: skipWithout("openssl", OPENSSL) || skipWithout("curl", CURL),
  async fn() {
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
      await refusalsArriveWhole(`https://127.0.0.1:${server.addr.port}`, dir, files.ca);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function refusalsArriveWhole(base: string, dir: string, ca: string): Promise<void> {
  const big = JSON.stringify({ key: "app/x", value: "v".repeat(1024 * 1024 - 100) });
  await Deno.writeTextFile(`${dir}/big.json`, big);
  const write = ["-d", '{"key":"app/x","value":"y"}', `${base}/key`];
  const cases: [string[], number][] = [
    [write, 401],
    [["--data-binary", `@${dir}/big.json`, `${base}/key`], 401],
    [["-u", `reader:${TOKENS.reader}`, ...write], 403],
    [["-u", `ops:${TOKENS.ops}`, `${base}/remove?id=n2`], 405],
  ];
  for (const [args, status] of cases) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const answer = await curl(["--cacert", ca, ...args]);
      assertEquals([answer.code, answer.status, answer.version], [0, status, "2"], args.join(" "));
      assertEquals(typeof JSON.parse(answer.body).error, "string");
    }
  }
}
