/**
 * The proof a joining node attaches to its `POST /join`: an HMAC with the
 * cluster secret over the time it was made and the exact body, in the
 * `Rafter-Join-Proof: <ms since the epoch>.<64 hex digits>` header. With auth
 * on, `/join` accepts it instead of an admin token, so a node started with
 * `--join` and the secret joins without holding a token. A proof is good for
 * {@link JOIN_PROOF_AGE_MS_MAX} either side of the checker's clock.
 *
 * @module
 */

import { digestFromHex, toHex } from "../auth/token_hash.ts";
import type { ClusterSecret } from "./cluster_secret.ts";

/** The header that carries the proof (HTTP header names are case-insensitive). */
export const JOIN_PROOF_HEADER = "rafter-join-proof";
/** Longest a proof stays good, and how far ahead of the checker's clock it may be dated. */
export const JOIN_PROOF_AGE_MS_MAX = 5 * 60_000;

const LABEL = "rafter join proof v1";
const HEADER_PATTERN = /^(\d{1,15})\.([0-9a-f]{64})$/;

function timeBytes(atMs: number): Uint8Array {
  return new TextEncoder().encode(String(atMs));
}

/**
 * The header value proving that whoever sends `body` at `atMs` (milliseconds
 * since the epoch) holds the cluster secret.
 *
 * @example
 * ```ts
 * import { ClusterSecret } from "./cluster_secret.ts";
 * import { checkJoinProof, joinProof } from "./join_proof.ts";
 * const secret = await ClusterSecret.parse("s".repeat(32), "example");
 * const body = new TextEncoder().encode('{"id":"n4","addr":"127.0.0.1:7004"}');
 * const header = await joinProof(secret, body, 1_000_000);
 * if ((await checkJoinProof(secret, header, body, 1_000_500)) !== null) throw new Error();
 * const other = new TextEncoder().encode('{"id":"n5","addr":"127.0.0.1:7004"}');
 * if ((await checkJoinProof(secret, header, other, 1_000_500)) === null) throw new Error();
 * ```
 */
export async function joinProof(
  secret: ClusterSecret,
  body: Uint8Array,
  atMs: number,
): Promise<string> {
  return `${atMs}.${toHex(await secret.prove(LABEL, [timeBytes(atMs), body]))}`;
}

/**
 * Why `header` does not prove that its sender holds the secret for `body`
 * at `nowMs`, or null when it does.
 *
 * @example
 * ```ts
 * import { ClusterSecret } from "./cluster_secret.ts";
 * import { checkJoinProof, joinProof } from "./join_proof.ts";
 * const secret = await ClusterSecret.parse("s".repeat(32), "example");
 * const body = new TextEncoder().encode("{}");
 * const stale = await joinProof(secret, body, 0);
 * const why = await checkJoinProof(secret, stale, body, 10 * 60_000);
 * if (why === null || !why.includes("dated")) throw new Error(String(why));
 * ```
 */
export async function checkJoinProof(
  secret: ClusterSecret,
  header: string,
  body: Uint8Array,
  nowMs: number,
): Promise<string | null> {
  const match = HEADER_PATTERN.exec(header.trim());
  if (match === null) {
    return `Invalid join proof "${header.slice(0, 100)}": expected <ms>.<64 hex digits>`;
  }
  const atMs = Number(match[1]);
  if (Math.abs(nowMs - atMs) > JOIN_PROOF_AGE_MS_MAX) {
    const seconds = Math.round((nowMs - atMs) / 1000);
    return `Join proof is dated ${seconds} s from this node's clock, beyond ${
      JOIN_PROOF_AGE_MS_MAX / 1000
    } s: replayed, or the clocks differ`;
  }
  const good = await secret.verify(LABEL, [timeBytes(atMs), body], digestFromHex(match[2]!)!);
  return good ? null : "Join proof does not match: the caller does not hold the cluster secret";
}
