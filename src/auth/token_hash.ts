/**
 * Token hashing and comparison: only a token's SHA-256 is ever stored, and
 * digests are compared in time that does not depend on where they differ.
 *
 * Hashing is on every authenticated request, so it uses `node:crypto`'s
 * synchronous SHA-256 (about 1.3 µs a token here) rather than WebCrypto's
 * `digest`, whose asynchronous round trip costs about 12 µs.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Bytes of a SHA-256 digest. */
export const DIGEST_BYTES = 32;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

/**
 * The SHA-256 of `token`'s UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { tokenDigest } from "./token_hash.ts";
 * if (tokenDigest("secret").length !== 32) throw new Error();
 * ```
 */
export function tokenDigest(token: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(token, "utf8").digest());
}

/**
 * The SHA-256 of `token` as 64 lowercase hex digits: what an auth file's
 * `tokenSha256` holds and `rafter hash-token` prints.
 *
 * @example
 * ```ts
 * import { hashToken } from "./token_hash.ts";
 * const hash = hashToken("abc");
 * if (hash !== "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") throw new Error();
 * ```
 */
export function hashToken(token: string): string {
  return toHex(tokenDigest(token));
}

/**
 * Parses 64 hex digits (either case) into a digest; null when malformed.
 *
 * @example
 * ```ts
 * import { digestFromHex } from "./token_hash.ts";
 * if (digestFromHex("AB".repeat(32))?.[0] !== 0xab) throw new Error();
 * if (digestFromHex("ab") !== null) throw new Error();
 * ```
 */
export function digestFromHex(hex: string): Uint8Array | null {
  const lower = hex.toLowerCase();
  if (!HEX_DIGEST.test(lower)) return null;
  const digest = new Uint8Array(DIGEST_BYTES);
  for (let i = 0; i < DIGEST_BYTES; i++) digest[i] = parseInt(lower.slice(2 * i, 2 * i + 2), 16);
  return digest;
}

/**
 * `bytes` as lowercase hex digits, two per byte.
 *
 * @example
 * ```ts
 * import { toHex } from "./token_hash.ts";
 * if (toHex(Uint8Array.of(0, 171)) !== "00ab") throw new Error();
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * True when `a` and `b` hold the same bytes; for equal lengths it reads
 * every byte whatever it finds, so the time taken says nothing about where
 * they differ.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./token_hash.ts";
 * if (!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))) throw new Error();
 * if (constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))) throw new Error();
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
