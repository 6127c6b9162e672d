// HTTPS endpoints: the client trusts the certificates given in `caCerts` (the CLI's
// `--cacert`), and nothing else beyond the system's, against a real TLS listener.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { RafterClient, UnavailableError } from "../../src/client/mod.ts";
import { runClientCommand } from "../../src/cli/mod.ts";
import { memoryIo } from "../cli/run.ts";
import { findTool, requireTool, skipWithout } from "../tools.ts";

const OPENSSL = findTool("openssl");

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(requireTool("openssl", OPENSSL), {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

/** A CA and a certificate it signed for localhost and 127.0.0.1, as PEM files in `dir`. */
async function makeCertificates(dir: string): Promise<void> {
  const subject = (name: string) => ["-subj", `/CN=${name}`];
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    ...subject("rafter test CA"),
  ]);
  await openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "node.key",
    "-out",
    "node.csr",
    ...subject("localhost"),
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    "node.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "node.pem",
  ]);
}

Deno.test({
  name: "client over https: caCerts and --cacert are trusted, an unknown certificate is not",
  ignore: skipWithout("openssl", OPENSSL),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_tls_" });
    try {
      await makeCertificates(dir);
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
          using untrusted = new RafterClient({ endpoints: [endpoint], timeoutMs: 300 });
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
