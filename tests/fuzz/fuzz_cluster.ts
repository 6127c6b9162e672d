/**
 * The three-node cluster the fuzzers attack: plain, or secured with a
 * cluster secret (which the fuzzer also holds, to attack from inside an
 * authenticated handshake) and an auth file with an admin and a `fuzz` user
 * who reads and writes under `fuzz/` only. The admin's calls write and check
 * the model; the fuzz user's and strangers' calls are the attack.
 *
 * @module
 */

import { hashToken } from "../../src/auth/mod.ts";
import { ClusterSecret } from "../../src/secret/mod.ts";
import { type Answer, type Cluster, request, waitFor, withCluster } from "../cluster/harness.ts";
import type { NodeProcess } from "../cluster/harness.ts";

/** Made up here for the fuzz cluster only. */
const ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef";
const USER_TOKEN = "fuzz-user-token-0123456789abcdef";
const SECRET = "fuzz-cluster-secret-0123456789abcdef0123456789";
/** Where the fuzz user may read and write; the model lives outside it. */
export const FUZZ_PREFIX = "fuzz/";

/** A running fuzz cluster and how to talk to it. */
export interface FuzzCluster {
  cluster: Cluster;
  /** The secret every node holds, or null for a plain cluster. */
  secret: ClusterSecret | null;
  /** `Authorization` of the admin; empty for a plain cluster. */
  admin: Record<string, string>;
  /** Bearer token of the `fuzz` user; null for a plain cluster. */
  userToken: string | null;
  /**
   * A write of `key` as the admin on `node` (the leader, or a follower that
   * forwards), retried while the cluster answers 503 (an election under load).
   */
  put(node: NodeProcess, key: string, value: string): Promise<Answer>;
  /** A consistent read of `key` as the admin on `node`, retried past leadership changes. */
  read(node: NodeProcess, key: string): Promise<Answer>;
}

function authFile(): string {
  return JSON.stringify({
    users: [
      { name: "admin", tokenSha256: hashToken(ADMIN_TOKEN), admin: true },
      {
        name: "fuzz",
        tokenSha256: hashToken(USER_TOKEN),
        metrics: true,
        permissions: [{ prefix: FUZZ_PREFIX, read: true, write: true }],
      },
    ],
  });
}

/** Runs `body` against a fresh three-node cluster; `secure` turns on the secret and auth. */
export async function withFuzzCluster(
  secure: boolean,
  body: (fuzz: FuzzCluster) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rafter_fuzz_" });
  try {
    const extraArgs: string[] = [];
    if (secure) {
      await Deno.writeTextFile(`${dir}/cluster.secret`, `${SECRET}\n`);
      await Deno.writeTextFile(`${dir}/auth.json`, authFile());
      extraArgs.push("--cluster-secret-file", `${dir}/cluster.secret`);
      extraArgs.push("--auth-file", `${dir}/auth.json`);
    }
    const admin: Record<string, string> = secure ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {};
    const access = secure
      ? { scheme: "http" as const, authorization: `Bearer ${ADMIN_TOKEN}` }
      : { scheme: "http" as const };
    await withCluster({ heartbeatMs: 50, electionMs: 500, extraArgs, access }, async (cluster) => {
      await cluster.form(3);
      await body({
        cluster,
        secret: secure ? await ClusterSecret.parse(SECRET, "fuzz") : null,
        admin,
        userToken: secure ? USER_TOKEN : null,
        put: (node, key, value) =>
          waitFor(async () => {
            const answer = await request(`http://${node.httpAddr}/key`, {
              method: "POST",
              headers: { ...admin, "content-type": "application/json" },
              body: JSON.stringify({ key, value }),
              redirect: "follow",
            });
            // A 503 promises the write was never proposed (or says whether it may have been):
            // the client retries, as the status asks. Overwriting with the same value is safe.
            return answer.status === 503 ? null : answer;
          }, `a write of "${key}" on "${node.id}"`),
        read: (node, key) =>
          waitFor(async () => {
            const query = new URLSearchParams({ key, level: "consistent" });
            const answer = await request(`http://${node.httpAddr}/key?${query}`, {
              headers: admin,
              redirect: "follow",
            });
            return answer.status === 503 ? null : answer;
          }, `a consistent read of "${key}" on "${node.id}"`),
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
