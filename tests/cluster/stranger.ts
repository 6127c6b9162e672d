/**
 * A stranger on the Raft port: raw connections that say hello as anyone and
 * send hand-made frames, for the tests that attack a real cluster.
 *
 * @module
 */

import { newMessage } from "../../src/raft/message.ts";
import type { Message, MessageType } from "../../src/raft/types.ts";
import { encodeMessage } from "../../src/transport/codec.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import { frame, RawPeer } from "../transport/harness.ts";

/** Bytes before a message's term: type, flags, and the two length-prefixed ids. */
function termOffset(m: Message): number {
  return 2 + 2 + new TextEncoder().encode(m.from).length + 2 +
    new TextEncoder().encode(m.to).length;
}

/**
 * The message frame of `m`, with its term replaced afterwards by `term`
 * (which the encoder itself would refuse when out of range).
 */
export function messageFrame(m: Message, term = m.term): Uint8Array {
  const body = encodeMessage({ ...m, term: Math.min(m.term, 1) }).slice();
  new DataView(body.buffer).setFloat64(termOffset(m), term, true);
  return frame(FrameKind.message, body);
}

/** A message of `type` with `fields` over the neutral ones. */
export function forge(
  type: MessageType,
  from: string,
  to: string,
  fields: Partial<Message> = {},
): Message {
  return { ...newMessage(type, from, to, 0), ...fields };
}

/** Says hello to `raftAddr` as `info`; answers the open connection, or null when refused. */
export async function hello(raftAddr: string, info: PeerInfo): Promise<RawPeer | null> {
  const raw = await RawPeer.connect(raftAddr);
  const answer = await raw.handshake(info);
  if (answer === null || answer[0] !== FrameKind.handshake) {
    raw.close();
    return null;
  }
  return raw;
}

/** Sends `frames` on `raw`, then waits until the node closes it or `waitMs` pass, and closes it. */
export async function sendAndClose(
  raw: RawPeer,
  frames: Uint8Array[],
  waitMs = 300,
): Promise<void> {
  for (const bytes of frames) await raw.write(bytes);
  await raw.closedByRemote(waitMs);
  raw.close();
}
