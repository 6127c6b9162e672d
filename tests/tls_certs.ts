/**
 * Certificates made at test time with `openssl` (never committed): a private
 * CA and a server certificate it signs for 127.0.0.1 and localhost, in a
 * directory the caller removes.
 *
 * @module
 */

/** Paths of the files {@link makeCerts} writes. */
export interface CertFiles {
  /** The CA's certificate: what `--peer-ca` and `curl --cacert` take. */
  ca: string;
  /** The server certificate, signed by the CA. */
  cert: string;
  /** The server certificate's private key. */
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
  }
}

/** Writes a CA and a server certificate for 127.0.0.1 into `dir`. */
export async function makeCerts(dir: string): Promise<CertFiles> {
  const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...curve,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=rafter test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl(
    ["req", ...curve, "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=node"],
    dir,
  );
  await Deno.writeTextFile(
    `${dir}/node.ext`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "node.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "node.pem",
    "-days",
    "2",
    "-extfile",
    "node.ext",
  ], dir);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/node.pem`, key: `${dir}/node.key` };
}
