/**
 * What the TLS tests need from outside: certificates made at test time with
 * `openssl` (never committed), a private CA and a server certificate it
 * signs for 127.0.0.1 and localhost, in a directory the caller removes; and
 * `curl`, to call nodes as users do. Tests that use them skip without the
 * tool outside CI (`skipWithout("openssl", OPENSSL)`).
 *
 * @module
 */

import { findTool, requireTool } from "./tools.ts";

/** Where `openssl` is, or null. */
export const OPENSSL = findTool("openssl");
/** Where `curl` is, or null: the TLS tests call nodes with it as users do. */
export const CURL = findTool("curl");

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
  const { code, stderr } = await new Deno.Command(requireTool("openssl", OPENSSL), {
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

/**
 * Writes a CA and a server certificate into `dir`, for 127.0.0.1 and
 * localhost unless `altNames` (a `subjectAltName` list) says otherwise.
 */
export async function makeCerts(
  dir: string,
  altNames = "IP:127.0.0.1,DNS:localhost",
): Promise<CertFiles> {
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
    `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`,
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

/** A finished curl call. */
export interface CurlAnswer {
  /** curl's exit code: 0, or why the transfer failed (60: certificate not trusted). */
  code: number;
  /** The HTTP status (0 when there was no answer). */
  status: number;
  /** The HTTP version of the answer: `1.1` or `2`. */
  version: string;
  body: string;
}

/** Longest a single curl call may take, in seconds. */
const CURL_SECONDS_MAX = 10;

/** Runs `curl -s args...` (bounded in time) and reads status, version and body. */
export async function curl(args: string[]): Promise<CurlAnswer> {
  const output = await new Deno.Command(requireTool("curl", CURL), {
    args: ["-s", "--max-time", String(CURL_SECONDS_MAX), "-w", "\n%{http_code} %{http_version}"]
      .concat(args),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const cut = text.lastIndexOf("\n");
  const [status, version] = text.slice(cut + 1).split(" ");
  return {
    code: output.code,
    status: Number(status),
    version: version ?? "",
    body: text.slice(0, cut),
  };
}
