/**
 * A node's security material, read once at start with clear errors before
 * any data is touched: the HTTPS certificate and key, the CA the other
 * members' certificates are checked against, the auth file, the cluster
 * secret and the Raft listener's certificate and key. Also the `fetch` the
 * node uses to call the other members over HTTPS.
 *
 * @module
 */

import { AuthStore } from "./auth/mod.ts";
import type { NodeConfig } from "./config.ts";
import type { Logger } from "./log.ts";
import { ClusterSecret } from "./secret/mod.ts";

/** What `startServer` serves with; every field is null when its flag is absent. */
export interface Security {
  /** PEM certificate and key for `Deno.serve`. */
  tls: { cert: string; key: string } | null;
  /** PEM of `--peer-ca`. */
  peerCa: string | null;
  auth: AuthStore | null;
  /** The secrets of `--cluster-secret-file`. */
  secret: ClusterSecret | null;
  /** PEM certificate and key of the Raft listener (`--peer-tls-cert`, `--peer-tls-key`). */
  peerTls: { cert: string; key: string } | null;
}

/** A `fetch` for calls to other members, and how to release it. */
export interface PeerFetch {
  fetch: typeof fetch;
  close(): void;
}

/**
 * Reads a PEM file; throws naming `what` and the path when it cannot be
 * read or holds no PEM block.
 *
 * @example
 * ```ts
 * import { readPem } from "./security.ts";
 * let message = "";
 * try {
 *   await readPem("/nonexistent.pem", "TLS certificate");
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * if (!message.startsWith('Cannot read TLS certificate "/nonexistent.pem"')) throw new Error(message);
 * ```
 */
export async function readPem(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read ${what} "${path}": ${(error as Error).message}`);
  }
  if (!text.includes("-----BEGIN ")) {
    throw new Error(`Cannot use ${what} "${path}": it holds no PEM block`);
  }
  return text;
}

/** Reads every file the config names; throws on the first that cannot be used. */
export async function loadSecurity(config: NodeConfig, logger: Logger): Promise<Security> {
  const tls = config.tlsCertFile === "" ? null : {
    cert: await readPem(config.tlsCertFile, "TLS certificate"),
    key: await readPem(config.tlsKeyFile, "TLS key"),
  };
  const peerCa = config.peerCaFile === "" ? null : await readPem(config.peerCaFile, "peer CA");
  const auth = config.authFile === "" ? null : await AuthStore.load(config.authFile, logger);
  const secret = config.clusterSecretFile === ""
    ? null
    : await ClusterSecret.load(config.clusterSecretFile);
  const peerTls = config.peerTlsCertFile === "" ? null : {
    cert: await readPem(config.peerTlsCertFile, "peer TLS certificate"),
    key: await readPem(config.peerTlsKeyFile, "peer TLS key"),
  };
  return { tls, peerCa, auth, secret, peerTls };
}

/**
 * The `fetch` for calls to other members: with a CA, only certificates it
 * signed are trusted (one private CA per cluster); without, the system's.
 * Connections are never reused: when a pooled connection closes after a
 * request went out on it, fetch sends the request again on a new connection
 * and reports only that attempt's error, so a forwarded write the leader
 * received could look refused (never sent). On a fresh connection a refused
 * connect proves nothing was sent.
 *
 * @example
 * ```ts
 * import { peerFetch } from "./security.ts";
 * const peer = peerFetch(null);
 * if (typeof peer.fetch !== "function") throw new Error();
 * peer.close();
 * ```
 */
export function peerFetch(caPem: string | null): PeerFetch {
  const client = Deno.createHttpClient({
    poolMaxIdlePerHost: 0,
    ...(caPem === null ? {} : { caCerts: [caPem] }),
  });
  return {
    fetch: (input, init) => fetch(input, { ...init, client }),
    close: () => client.close(),
  };
}
