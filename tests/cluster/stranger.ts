/**
 * A stranger on the Raft port: raw connections that say hello as anyone and
 * send hand-made frames, for the tests that attack a real cluster.
 *
 * @module
 */

import type { NodeStatus } from "../../src/api.ts";
import { newMessage } from "../../src/raft/message.ts";
import type { Message, MessageType } from "../../src/raft/types.ts";
import { encodeMessage } from "../../src/transport/codec.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import { assertEquals } from "../assert.ts";
import { frame, RawPeer } from "../transport/harness.ts";
import { type Cluster, type NodeProcess, sleep, waitFor } from "./harness.ts";

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

/** The status of every running node, by id. */
export async function statuses(cluster: Cluster): Promise<Map<string, NodeStatus>> {
  const out = new Map<string, NodeStatus>();
  for (const node of cluster.running()) {
    const status = await cluster.status(node);
    if (status === null) throw new Error(`"${node.id}" does not answer`);
    out.set(node.id, status);
  }
  return out;
}

/** A follower of `leader` once it has applied all the leader committed, with its status. */
export async function caughtUpFollower(
  cluster: Cluster,
  leader: NodeProcess,
): Promise<{ victim: NodeProcess; status: NodeStatus }> {
  const victim = cluster.nodes.find((n) => n !== leader)!;
  const status = await waitFor(async () => {
    const s = await cluster.status(victim);
    const l = await cluster.status(leader);
    return s !== null && l !== null && s.appliedIndex === l.commitIndex ? s : null;
  }, "the victim to catch up");
  return { victim, status };
}

/**
 * An append in `leader`'s name that would put key `forged` (value `value`)
 * right after the end of the victim's log (as its `status` says) and commit it.
 */
export function forgedAppend(leader: string, victim: string, status: NodeStatus): Message {
  const { term, lastLogIndex: last } = status;
  const data = new Uint8Array([1, 6, 0, 0, 0, ...new TextEncoder().encode("forgedvalue")]);
  return forge("app", leader, victim, {
    term,
    index: last,
    logTerm: term,
    entries: [{ index: last + 1, term, type: "normal", data }],
    commit: last + 1,
  });
}

/**
 * Waits until `node` has counted `count` more dropped peer inputs than in
 * `before`, lets the cluster run `settleMs` more, and checks the count did
 * not go beyond. Answers every node's status then.
 */
export async function expectDropped(
  cluster: Cluster,
  node: NodeProcess,
  before: Map<string, NodeStatus>,
  count: number,
  settleMs = 1000,
): Promise<Map<string, NodeStatus>> {
  const base = before.get(node.id)!.droppedPeerMessages;
  await waitFor(async () => {
    const now = (await cluster.status(node))?.droppedPeerMessages ?? -1;
    return now - base >= count;
  }, `${count} inputs to be counted as dropped on "${node.id}"`);
  await sleep(settleMs);
  const after = await statuses(cluster);
  assertEquals(
    after.get(node.id)!.droppedPeerMessages - base,
    count,
    `"${node.id}" dropped exactly what it was sent, and nothing else`,
  );
  return after;
}
