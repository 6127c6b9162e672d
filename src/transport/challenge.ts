/**
 * The mutual cluster-secret challenge of the peer handshake. With a secret,
 * a connection opens with:
 *
 * ```
 * dialer   -> hello, version 3: its info and a fresh nonce
 * listener -> challenge: [32-byte nonce][str16 listener id], its own fresh nonce
 * dialer   -> proof: HMAC(secret, "dialer", hello, challenge)
 * listener    checks the proof (else: refusal, close), then admits the peer
 * listener -> hello (its info), proof: HMAC(secret, "listener", hello, challenge, its hello)
 * dialer      checks the proof (else: close)
 * ```
 *
 * Each proof covers both nonces, the cluster id and both node ids (with the
 * addresses and versions: every byte of the handshake so far). A fresh nonce
 * each way makes a proof captured on one connection useless on another, and
 * the two labels keep one side's proof from passing as the other's. The
 * listener checks the dialer before admitting it, so nothing a stranger says
 * reaches admission (or adoption), and no Raft frame is read before both
 * proofs are checked.
 *
 * @module
 */

import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { NODE_ID_BYTES_MAX } from "./codec.ts";
import { beginFrame, endFrame, FrameKind, type FrameReader } from "./frame.ts";
import { decodeHandshake, decodeRefusal, HANDSHAKE_BYTES_MAX, NONCE_BYTES } from "./handshake.ts";
import { writeAll } from "./io.ts";
import type { PeerInfo, PeerSecret } from "./types.ts";

/** Bytes of a proof (an HMAC-SHA256). */
const PROOF_BYTES = 32;
const DIALER_LABEL = "rafter peer handshake v1: dialer";
const LISTENER_LABEL = "rafter peer handshake v1: listener";

/**
 * A proof that failed, or a peer that offered none where one was needed:
 * counted as refused.
 *
 * @example
 * ```ts
 * import { PeerProofError } from "./challenge.ts";
 * const error = new PeerProofError("Cluster secret proof failed");
 * if (!(error instanceof Error) || error.name !== "PeerProofError") throw new Error();
 * ```
 */
export class PeerProofError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "PeerProofError";
  }
}

/**
 * A nonce from the platform's secure random source.
 *
 * @example
 * ```ts
 * import { freshNonce } from "./challenge.ts";
 * if (freshNonce().length !== 32) throw new Error();
 * ```
 */
export function freshNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

function frameOf(kind: number, write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(128);
  const start = beginFrame(w, kind);
  write(w);
  endFrame(w, start, HANDSHAKE_BYTES_MAX);
  return w.written().slice();
}

/**
 * The complete challenge frame: the listener's nonce and id.
 *
 * @example
 * ```ts
 * import { decodeChallenge, encodeChallenge, freshNonce } from "./challenge.ts";
 * const nonce = freshNonce();
 * const back = decodeChallenge(encodeChallenge(nonce, "n1").subarray(4));
 * if (back.id !== "n1" || back.nonce[0] !== nonce[0]) throw new Error();
 * ```
 */
export function encodeChallenge(nonce: Uint8Array, id: string): Uint8Array {
  return frameOf(FrameKind.challenge, (w) => {
    w.raw(nonce);
    w.str16(id, NODE_ID_BYTES_MAX);
  });
}

/** Decodes a challenge frame payload (kind byte first); throws when malformed (see {@link encodeChallenge}). */
export function decodeChallenge(payload: Uint8Array): { nonce: Uint8Array; id: string } {
  const r = new ByteReader(payload, "Cannot decode challenge");
  const kind = r.u8();
  if (kind !== FrameKind.challenge) r.fail(`expected a challenge frame, got kind "${kind}"`);
  const nonce = r.raw(NONCE_BYTES).slice();
  const id = r.str16("node id", NODE_ID_BYTES_MAX);
  r.end();
  return { nonce, id };
}

/**
 * The complete proof frame carrying `proof`.
 *
 * @example
 * ```ts
 * import { decodeProof, encodeProof } from "./challenge.ts";
 * const proof = new Uint8Array(32).fill(9);
 * if (decodeProof(encodeProof(proof).subarray(4))[31] !== 9) throw new Error();
 * ```
 */
export function encodeProof(proof: Uint8Array): Uint8Array {
  return frameOf(FrameKind.proof, (w) => w.raw(proof));
}

/** The proof in a proof frame payload; throws on another kind or a wrong length (see {@link encodeProof}). */
export function decodeProof(payload: Uint8Array): Uint8Array {
  const r = new ByteReader(payload, "Cannot decode proof");
  const kind = r.u8();
  if (kind !== FrameKind.proof) r.fail(`expected a proof frame, got kind "${kind}"`);
  const proof = r.raw(PROOF_BYTES).slice();
  r.end();
  return proof;
}

/** The next handshake-phase frame's payload, copied (the reader reuses its buffer). */
async function nextFrame(reader: FrameReader): Promise<Uint8Array> {
  const payload = await reader.next(HANDSHAKE_BYTES_MAX);
  if (payload === null) throw new Error("Connection closed during the handshake");
  return payload.slice();
}

/** The dialer's next frame: a refusal becomes a plain error, a malformed frame a proof error. */
async function nextFromListener<T>(reader: FrameReader, decode: (p: Uint8Array) => T): Promise<T> {
  const payload = await nextFrame(reader);
  if (payload[0] === FrameKind.refusal) throw new Error(`refused: ${decodeRefusal(payload)}`);
  try {
    return decode(payload);
  } catch (error) {
    throw new PeerProofError((error as Error).message);
  }
}

/**
 * The listener's side, after the dialer's `hello` (a payload, with `nonce`):
 * sends the challenge and checks the dialer's proof. Throws a
 * {@link PeerProofError} when the dialer offered no proof or a wrong one.
 * Answers the challenge payload, which the listener's own proof covers.
 *
 * @example
 * ```ts ignore
 * const challenge = await challengeDialer(conn, reader, secret, { bytes: hello, nonce, ourId: "n1" });
 * // admit the peer, then:
 * await writeAll(conn, await listenerAnswer(secret, { hello, challenge }, encodeHandshake(ours)));
 * ```
 */
export async function challengeDialer(
  conn: Deno.Conn,
  reader: FrameReader,
  secret: PeerSecret,
  hello: { bytes: Uint8Array; nonce: Uint8Array | null; ourId: string },
): Promise<Uint8Array> {
  if (hello.nonce === null) {
    throw new PeerProofError(
      "This node requires the cluster secret: the peer's handshake offers no proof",
    );
  }
  const frame = encodeChallenge(freshNonce(), hello.ourId);
  await writeAll(conn, frame);
  const challenge = frame.subarray(4);
  const payload = await nextFrame(reader);
  let proof: Uint8Array;
  try {
    proof = decodeProof(payload);
  } catch (error) {
    throw new PeerProofError((error as Error).message);
  }
  if (!(await secret.verify(DIALER_LABEL, [hello.bytes, challenge], proof))) {
    throw new PeerProofError("Cluster secret proof failed");
  }
  return challenge;
}

/**
 * The listener's answer once the dialer is admitted: its handshake frame
 * `answer` followed by the proof frame, as one write.
 *
 * @example
 * ```ts
 * import { listenerAnswer } from "./challenge.ts";
 * const secret = { prove: () => Promise.resolve(new Uint8Array(32)), verify: () => Promise.resolve(true) };
 * const answer = Uint8Array.of(1, 0, 0, 0, 1);
 * const out = await listenerAnswer(secret, { hello: new Uint8Array(), challenge: new Uint8Array() }, answer);
 * if (out.length !== answer.length + 4 + 1 + 32) throw new Error();
 * ```
 */
export async function listenerAnswer(
  secret: PeerSecret,
  transcript: { hello: Uint8Array; challenge: Uint8Array },
  answer: Uint8Array,
): Promise<Uint8Array> {
  const parts = [transcript.hello, transcript.challenge, answer.subarray(4)];
  const proof = encodeProof(await secret.prove(LISTENER_LABEL, parts));
  const out = new Uint8Array(answer.length + proof.length);
  out.set(answer);
  out.set(proof, answer.length);
  return out;
}

/**
 * The dialer's proof for its `hello` and the listener's `challenge` (both
 * payloads, kind byte first).
 *
 * @example
 * ```ts
 * import { proveDialer } from "./challenge.ts";
 * import { ClusterSecret } from "../secret/mod.ts";
 * const secret = await ClusterSecret.parse("s".repeat(32), "example");
 * const a = await proveDialer(secret, Uint8Array.of(1), Uint8Array.of(6, 1));
 * const b = await proveDialer(secret, Uint8Array.of(1), Uint8Array.of(6, 2));
 * if (a.length !== 32 || a.every((x, i) => x === b[i])) throw new Error("another challenge, another proof");
 * ```
 */
export function proveDialer(
  secret: PeerSecret,
  hello: Uint8Array,
  challenge: Uint8Array,
): Promise<Uint8Array> {
  return secret.prove(DIALER_LABEL, [hello, challenge]);
}

/**
 * The dialer's side, after sending `hello` (a payload): answers the
 * challenge, then reads and checks the listener's hello and proof. Throws
 * a {@link PeerProofError} when the listener asks for no proof (it has no
 * secret) or proves the wrong one; a refusal throws a plain error.
 *
 * @example
 * ```ts ignore
 * const hello = encodeHandshake(ours, PROTOCOL_VERSION, freshNonce());
 * await writeAll(conn, hello);
 * const info = await proveToListener(conn, reader, secret, hello.subarray(4));
 * ```
 */
export async function proveToListener(
  conn: Deno.Conn,
  reader: FrameReader,
  secret: PeerSecret,
  hello: Uint8Array,
): Promise<PeerInfo> {
  const challenge = await nextFromListener(reader, (payload) => {
    if (payload[0] === FrameKind.handshake) {
      throw new Error("the peer did not ask for the cluster secret: it has none");
    }
    return { payload, id: decodeChallenge(payload).id };
  });
  await writeAll(conn, encodeProof(await proveDialer(secret, hello, challenge.payload)));
  const answer = await nextFromListener(reader, (payload) => ({
    payload,
    info: decodeHandshake(payload),
  }));
  const { info } = answer;
  if (info.id !== challenge.id) {
    throw new PeerProofError(
      `the peer's challenge names "${challenge.id}", its handshake "${info.id}"`,
    );
  }
  const proof = await nextFromListener(reader, decodeProof);
  if (!(await secret.verify(LISTENER_LABEL, [hello, challenge.payload, answer.payload], proof))) {
    throw new PeerProofError("the peer failed the cluster secret proof");
  }
  return info;
}
