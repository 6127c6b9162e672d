/**
 * Seeded hostile input for the Raft port of a cluster with a cluster
 * secret. Strangers who cannot prove the secret: garbage, the old hello, a
 * proof made with another secret, a garbled or missing proof. Holders of the
 * secret the node cannot place: an id outside the configuration, another
 * cluster id. And, after an authenticated handshake as a member, frames the
 * node must refuse or may only answer: unknown kinds, garbage, corrupted
 * messages (see `frames.ts`), and real messages of an older term mutated byte
 * by byte. A mutation that still decodes into a current-term message from
 * the member is not sent: a member that lies is what Raft cannot tolerate
 * and no secret keeps out.
 *
 * @module
 */

import type { Rng } from "../../src/raft/rng.ts";
import { decodeMessage, encodeMessage } from "../../src/transport/codec.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import { encodeHandshake, PROTOCOL_VERSION } from "../../src/transport/handshake.ts";
import { freshNonce } from "../../src/transport/challenge.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import { bytes, frame, pick, plausible, refusedFrame, type Target } from "./frames.ts";

/** One connection's worth of input against a node that asks for the secret. */
export type SecureCase =
  | { kind: "raw"; writes: Uint8Array[]; label: string }
  | {
    kind: "prove";
    as: PeerInfo;
    /** Prove with the cluster's secret, or with another one. */
    secret: "right" | "wrong";
    /** A proof frame sent in place of the real one (garbled), or null. */
    proof: Uint8Array | null;
    /** Frames after the handshake. */
    frames: Uint8Array[];
    label: string;
  };

/** Tries at finding a byte mutation that is safe to send before falling back. */
const MUTATION_TRIES = 10;

function addrOf(rng: Rng): string {
  return `10.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}:${1 + rng.int(65535)}`;
}

/** Flips, overwrites, cuts or extends bytes of `body`. */
function mutateBytes(rng: Rng, body: Uint8Array): Uint8Array {
  let out = body.slice();
  for (let n = 1 + rng.int(4); n > 0 && out.length > 0; n--) {
    const roll = rng.int(5);
    const at = rng.int(out.length);
    if (roll === 0) out[at] = out[at]! ^ (1 << rng.int(8));
    else if (roll === 1) out[at] = rng.int(256);
    else if (roll === 2) out = out.subarray(0, at).slice();
    else if (roll === 3) out = Uint8Array.from([...out, ...bytes(rng, 1 + rng.int(16))]);
    else out.set(bytes(rng, Math.min(8, out.length - at)), at);
  }
  return out;
}

/**
 * A real message of an older term from `as`, mutated; sent only when the
 * node must refuse it (it does not decode, or names another sender) or may
 * only answer it (an older term).
 */
function mutatedFrame(rng: Rng, as: string, target: Target): Uint8Array {
  for (let attempt = 0; attempt < MUTATION_TRIES; attempt++) {
    const stale = plausible(rng, as, target.id, rng.int(target.term));
    const body = mutateBytes(rng, encodeMessage(stale).slice());
    let decoded;
    try {
      decoded = decodeMessage(body);
    } catch {
      return frame(FrameKind.message, body);
    }
    if (decoded.from !== as || decoded.term < target.term) return frame(FrameKind.message, body);
  }
  return refusedFrame(rng, as, target);
}

/** Frames an authenticated member's connection carries: none may change the node's state. */
function memberFrames(rng: Rng, as: string, target: Target): Uint8Array[] {
  return Array.from(
    { length: 1 + rng.int(6) },
    () => rng.int(2) === 0 ? refusedFrame(rng, as, target) : mutatedFrame(rng, as, target),
  );
}

function proofOf(rng: Rng): Uint8Array {
  const roll = rng.int(3);
  if (roll === 0) return frame(FrameKind.proof, bytes(rng, 32));
  if (roll === 1) return frame(FrameKind.proof, bytes(rng, rng.int(64)));
  return frame(rng.int(8), bytes(rng, rng.int(40)));
}

/**
 * A case against `target` (a member of a cluster whose secret the fuzzer
 * holds): half are authenticated members sending bad frames, the rest
 * strangers and holders of the secret the node cannot place.
 */
export function secureCase(rng: Rng, target: Target): SecureCase {
  const roll = rng.int(20);
  const members = target.members.filter((m) => m !== target.id);
  const member: PeerInfo = {
    id: pick(rng, members),
    clusterId: target.clusterId,
    raftAddr: addrOf(rng),
    httpAddr: "",
  };
  const after = () =>
    Array.from({ length: rng.int(4) }, () => refusedFrame(rng, member.id, target));
  if (roll === 0) {
    return { kind: "raw", writes: [bytes(rng, 1 + rng.int(64))], label: "garbage" };
  }
  if (roll <= 2) {
    const writes = [encodeHandshake(member), ...memberFrames(rng, member.id, target)];
    return { kind: "raw", writes, label: `the old hello as "${member.id}"` };
  }
  if (roll === 3) {
    const hello = encodeHandshake(member, PROTOCOL_VERSION, freshNonce());
    return { kind: "raw", writes: [hello, ...after()], label: "a hello, then no proof" };
  }
  const prove = (fields: Partial<Extract<SecureCase, { kind: "prove" }>>, label: string) => ({
    kind: "prove" as const,
    as: member,
    secret: "right" as const,
    proof: null,
    frames: after(),
    label,
    ...fields,
  });
  if (roll <= 5) return prove({ secret: "wrong" }, `a wrong secret as "${member.id}"`);
  if (roll === 6) return prove({ proof: proofOf(rng) }, "a garbled proof");
  if (roll === 7) {
    const stranger = { ...member, id: `stranger-${rng.int(1000)}` };
    return prove({ as: stranger }, `the secret as non-member "${stranger.id}"`);
  }
  if (roll === 8) {
    const foreign = { ...member, clusterId: pick(rng, ["", "another-cluster"]) };
    return prove({ as: foreign }, `the secret from cluster "${foreign.clusterId}"`);
  }
  const frames = memberFrames(rng, member.id, target);
  return prove({ frames }, `bad frames from authenticated "${member.id}"`);
}
