// HTTPS endpoints: the client trusts the certificates given in `caCerts` (the CLI's
// `--cacert`), and nothing else beyond the system's, against a real TLS listener.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { RafterClient, UnavailableError } from "../../src/client/mod.ts";
import { runClientCommand } from "../../src/cli/mod.ts";
import { memoryIo } from "../cli/run.ts";
import { makeCerts, OPENSSL } from "../tls_tools.ts";
import { skipWithout } from "../tools.ts";

Deno.test({
  name: "client over https: caCerts and --cacert are trusted, an unknown certificate is not",
  ignore: skipWithout("openssl", OPENSSL),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_tls_" });
    try {
      await makeCerts(dir);
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(`${dir}/node.pem`),
        key: await Deno.readTextFile(`${dir}/node.key`),
        onListen: () => {},
      }, (request) => Response.json({ id: "n1", seen: new URL(request.url).pathname }));
      try {
        const endpoint = `https://localhost:${server.addr.port}`;
        const caCerts = [await Deno.readTextFile(`${dir}/ca.pem`)];
        {
          using trusted = new RafterClient({ endpoints: [endpoint], caCerts });
          assertEquals((await trusted.status()).id, "n1");
        }
        {
          // The client tries until its deadline; the deadline leaves a loaded machine room for
          // a handshake to fail on the certificate (300 ms once ran out before the first did).
          using untrusted = new RafterClient({ endpoints: [endpoint], timeoutMs: 2_000 });
          const error = await assertRejectsWith(untrusted.status(), UnavailableError);
          assertTrue(/certificate|UnknownIssuer/i.test(error.message), error.message);
        }
        const io = memoryIo();
        const args = ["status", "--endpoints", endpoint, "--cacert", `${dir}/ca.pem`, "--json"];
        assertEquals(await runClientCommand(args, io), 0, io.stderr.join("\n"));
        assertEquals(JSON.parse(io.stdout.join(""))[0].id, "n1");
      } finally {
        await server.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
