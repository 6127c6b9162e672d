/**
 * What `deno task bench --tls` adds to the cluster it starts: a private CA
 * and a certificate for 127.0.0.1 (made with `openssl` at run time), a
 * cluster secret, and an auth file whose one user reads and writes every key;
 * the nodes then serve HTTPS with auth on, and their peer links run over TLS
 * with the secret. The load generator trusts the CA and sends the user's
 * token with every request.
 *
 * @module
 */

import { hashToken, toHex } from "../src/auth/mod.ts";
import { makeCerts } from "../tests/tls_tools.ts";

/** How the nodes of a secure cluster start and how clients reach them. */
export interface SecureSetup {
  /** Flags every node gets: HTTPS, the CA, auth, the secret and peer TLS. */
  nodeArgs: string[];
  /** PEM of the CA clients trust. */
  caCert: string;
  /** The `Authorization` header every request of the load carries: a user with every key. */
  authorization: string;
  /** The admin's `Authorization`, for the full `/status` the cluster's readiness is read from. */
  adminAuthorization: string;
}

/** Random bytes as hex, for the token and the secret. */
function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Writes the certificates, the secret and the auth file into `dir`. */
export async function makeSecureSetup(dir: string): Promise<SecureSetup> {
  const files = await makeCerts(dir);
  const token = randomHex(32);
  const adminToken = randomHex(32);
  const users = [
    {
      name: "bench",
      tokenSha256: hashToken(token),
      permissions: [{ prefix: "", read: true, write: true }],
    },
    { name: "ops", tokenSha256: hashToken(adminToken), admin: true },
  ];
  await Deno.writeTextFile(`${dir}/auth.json`, JSON.stringify({ users }));
  await Deno.writeTextFile(`${dir}/cluster.secret`, `${randomHex(32)}\n`);
  return {
    nodeArgs: [
      ...["--tls-cert", files.cert, "--tls-key", files.key, "--peer-ca", files.ca],
      ...["--auth-file", `${dir}/auth.json`, "--cluster-secret-file", `${dir}/cluster.secret`],
      ...["--peer-tls-cert", files.cert, "--peer-tls-key", files.key],
    ],
    caCert: await Deno.readTextFile(files.ca),
    authorization: `Bearer ${token}`,
    adminAuthorization: `Bearer ${adminToken}`,
  };
}
