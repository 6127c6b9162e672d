/**
 * The cluster secret: the file `--cluster-secret-file` names (one secret, or
 * two for a rotation: current then next, one per line), turned into HMAC-SHA256
 * keys with WebCrypto. A node proves with the first secret and accepts a
 * proof made with either, so a cluster rotates its secret by two rolling
 * restarts. Proofs are compared in constant time.
 *
 * @module
 */

import { constantTimeEqual } from "../auth/token_hash.ts";
import { ByteWriter } from "../bytes/writer.ts";

/** Fewest bytes a secret may have: as many as the HMAC-SHA256 key it becomes. */
export const CLUSTER_SECRET_BYTES_MIN = 32;
/** Most secrets one file may hold: the current one and the next. */
export const CLUSTER_SECRETS_MAX = 2;
/** Bytes of every proof (an HMAC-SHA256). */
export const PROOF_BYTES = 32;
/** Largest secret file read, so a wrong path to a huge file fails fast. */
const SECRET_FILE_BYTES_MAX = 64 * 1024;

const HMAC = { name: "HMAC", hash: "SHA-256" } as const;

/**
 * Proves and checks knowledge of the cluster secret.
 *
 * @example
 * ```ts
 * import { ClusterSecret } from "./cluster_secret.ts";
 * const current = await ClusterSecret.parse("a".repeat(32), "example");
 * const rotating = await ClusterSecret.parse(`${"b".repeat(32)}\n${"a".repeat(32)}`, "example");
 * const part = new TextEncoder().encode("hello");
 * const proof = await current.prove("test", [part]);
 * if (!(await rotating.verify("test", [part], proof))) throw new Error("either secret is accepted");
 * if (await current.verify("other label", [part], proof)) throw new Error("labels differ");
 * ```
 */
export class ClusterSecret {
  private readonly keys: readonly CryptoKey[];

  private constructor(keys: readonly CryptoKey[]) {
    this.keys = keys;
  }

  /** How many secrets are accepted (1, or 2 during a rotation). */
  get count(): number {
    return this.keys.length;
  }

  /**
   * Reads the secret file at `path`; throws naming the file and what is
   * wrong with it.
   */
  static async load(path: string): Promise<ClusterSecret> {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw new Error(`Cannot read cluster secret file "${path}": ${(error as Error).message}`);
    }
    if (bytes.length > SECRET_FILE_BYTES_MAX) {
      throw new Error(
        `Cannot use cluster secret file "${path}": it holds ${bytes.length} bytes, at most ${SECRET_FILE_BYTES_MAX} are read`,
      );
    }
    return await ClusterSecret.parse(new TextDecoder().decode(bytes), path);
  }

  /**
   * The secrets in `text`: one or two non-empty lines (surrounding blanks
   * ignored), each at least {@link CLUSTER_SECRET_BYTES_MIN} bytes. `source`
   * names the file in errors.
   */
  static async parse(text: string, source: string): Promise<ClusterSecret> {
    const fail = (problem: string) =>
      new Error(`Cannot use cluster secret file "${source}": ${problem}`);
    const lines = text.split("\n").map((line) => line.trim());
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    if (lines.length === 0) throw fail("it holds no secret");
    if (lines.length > CLUSTER_SECRETS_MAX) {
      throw fail(`it holds ${lines.length} lines, at most ${CLUSTER_SECRETS_MAX} (current, next)`);
    }
    const keys: CryptoKey[] = [];
    for (const [i, line] of lines.entries()) {
      const secret = new TextEncoder().encode(line);
      if (secret.length < CLUSTER_SECRET_BYTES_MIN) {
        throw fail(
          `line ${
            i + 1
          } holds ${secret.length} bytes, at least ${CLUSTER_SECRET_BYTES_MIN} are needed`,
        );
      }
      keys.push(await crypto.subtle.importKey("raw", secret, HMAC, false, ["sign"]));
    }
    return new ClusterSecret(keys);
  }

  /** The HMAC-SHA256, with the first secret, of `label` and `parts` (each length-prefixed). */
  async prove(label: string, parts: readonly Uint8Array[]): Promise<Uint8Array> {
    return await sign(this.keys[0]!, label, parts);
  }

  /**
   * True when `proof` is the HMAC of `label` and `parts` under any of the
   * secrets. Every secret is tried and compared in constant time, so the
   * time taken says neither which secret matched nor how close a guess came.
   */
  async verify(label: string, parts: readonly Uint8Array[], proof: Uint8Array): Promise<boolean> {
    let matched = false;
    for (const key of this.keys) {
      const expected = await sign(key, label, parts);
      if (constantTimeEqual(expected, proof)) matched = true;
    }
    return matched;
  }
}

/** What is signed: `[label][u32 length][part]...`, so parts cannot run into each other. */
function signedBytes(label: string, parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(64 + parts.reduce((sum, p) => sum + 4 + p.length, 0));
  w.str16(label, 256);
  for (const part of parts) {
    w.u32(part.length);
    w.raw(part);
  }
  return w.written().slice();
}

async function sign(
  key: CryptoKey,
  label: string,
  parts: readonly Uint8Array[],
): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, signedBytes(label, parts)));
}
