import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { ClusterSecret } from "../../src/secret/mod.ts";
import { encodeChallenge, freshNonce } from "../../src/transport/challenge.ts";
import { encodeMessage } from "../../src/transport/codec.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import { decodeRefusal, encodeHandshake } from "../../src/transport/handshake.ts";
import type { PeerInfo, TransportOptions } from "../../src/transport/types.ts";
import { frame, RawPeer, repeatUntil, startNode, type TestNode, waitUntil } from "./harness.ts";
import { makeMessage } from "./messages.ts";

const A = "a".repeat(32);
const B = "b".repeat(32);
const C = "c".repeat(32);

function secret(text: string): Promise<ClusterSecret> {
  return ClusterSecret.parse(text, "test");
}

/** A transport whose admission calls are counted: none may happen before a proof. */
async function node(id: string, options: Partial<TransportOptions>) {
  const admitted: string[] = [];
  const started = await startNode(id, options, {
    admit: (info) => {
      admitted.push(info.id);
      return null;
    },
  });
  return { ...started, admitted };
}

async function closeAll(...nodes: TestNode[]): Promise<void> {
  for (const n of nodes) await n.transport.close();
}

const hb = (from: string, to: string, seq: number) => makeMessage("hb", from, to, { term: 1, seq });

/** Sends heartbeats both ways until each side has one. */
async function talk(a: TestNode, aId: string, b: TestNode, bId: string): Promise<void> {
  a.transport.setPeer(bId, b.addr);
  b.transport.setPeer(aId, a.addr);
  await repeatUntil(
    () => {
      a.transport.send([hb(aId, bId, 1)]);
      b.transport.send([hb(bId, aId, 2)]);
    },
    () => a.inbox.length > 0 && b.inbox.length > 0,
    "messages both ways",
  );
}

Deno.test("peers holding the cluster secret prove it both ways, then exchange messages", async () => {
  const a = await node("n1", { secret: await secret(A) });
  const b = await node("n2", { secret: await secret(A) });
  try {
    await talk(a, "n1", b, "n2");
    assertEquals(a.transport.inboundStats(), { handshakesRefused: 0, framesDropped: 0 });
    assertEquals(b.transport.inboundStats(), { handshakesRefused: 0, framesDropped: 0 });
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("rotation: current-then-next and next-then-current files talk; another secret is refused both ways", async () => {
  const old = await node("n1", { secret: await secret(`${A}\n${B}`) });
  const rotated = await node("n2", { secret: await secret(`${B}\n${A}`) });
  const stranger = await node("n3", { secret: await secret(C) });
  try {
    await talk(old, "n1", rotated, "n2");
    old.transport.setPeer("n3", stranger.addr);
    stranger.transport.setPeer("n1", old.addr);
    await waitUntil(
      () =>
        old.transport.inboundStats().handshakesRefused >= 2 &&
        stranger.transport.inboundStats().handshakesRefused >= 2,
      "each side to refuse the other's proof, as listener and as dialer",
    );
    stranger.transport.send([hb("n3", "n1", 7)]);
    old.transport.send([hb("n1", "n3", 8)]);
    assertTrue(old.inbox.every((m) => m.from === "n2"), "nothing from the stranger");
    assertEquals(stranger.inbox, []);
    assertEquals(stranger.admitted, [], "no unproven peer reached admission");
    assertTrue(!old.admitted.includes("n3"));
    assertTrue(stranger.logs.some((l) => /refused a peer .*Cluster secret proof failed/.test(l)));
    assertTrue(
      old.logs.some((l) => /peer unreachable .*peer=n3 .*refused: Cluster secret/.test(l)),
    );
  } finally {
    await closeAll(old, rotated, stranger);
  }
});

Deno.test("a listener with a secret refuses a peer without one before admitting it; and the other way", async () => {
  const guarded = await node("n1", { secret: await secret(A) });
  const open = await node("n2", {});
  try {
    await assertRejects(
      open.transport.probe(guarded.addr, 2000),
      /refused: This node requires the cluster secret/,
    );
    await assertRejects(
      guarded.transport.probe(open.addr, 2000),
      /refused: Node "n2" has no cluster secret/,
    );
    assertEquals(guarded.admitted, []);
    assertEquals(guarded.transport.inboundStats().handshakesRefused, 1);
    assertEquals(open.transport.inboundStats().handshakesRefused, 1);
  } finally {
    await closeAll(guarded, open);
  }
});

const member: PeerInfo = { id: "n2", clusterId: "c1", raftAddr: "127.0.0.1:1", httpAddr: "" };

Deno.test("the old handshake, and a replayed proof, get no frame decoded or delivered", async () => {
  const target = await node("n1", { secret: await secret(A) });
  const message = frame(FrameKind.message, encodeMessage(hb("n2", "n1", 5)).slice());
  try {
    const old = await RawPeer.connect(target.addr);
    const refused = await old.handshake(member);
    assertEquals(refused?.[0], FrameKind.refusal);
    await old.write(message).catch(() => {});
    assertTrue(await old.closedByRemote());
    old.close();
    // An honest exchange, to capture its hello and proof.
    const honest = await RawPeer.connect(target.addr);
    const captured = await honest.proveHandshake(member, await secret(A));
    assertEquals(captured.answer?.[0], FrameKind.handshake);
    honest.close();
    const replay = await RawPeer.connect(target.addr);
    await replay.write(captured.sent[0]!);
    assertEquals((await replay.reader.next())?.[0], FrameKind.challenge, "a fresh challenge");
    await replay.write(captured.sent[1]!);
    const answer = await replay.reader.next();
    assertEquals(answer?.[0], FrameKind.refusal);
    assertEquals(decodeRefusal(answer!), "Cluster secret proof failed");
    await replay.write(message).catch(() => {});
    assertTrue(await replay.closedByRemote());
    replay.close();
    assertEquals(target.inbox, []);
    assertEquals(target.admitted, ["n2"], "only the honest connection was admitted");
    assertEquals(target.transport.inboundStats(), { handshakesRefused: 2, framesDropped: 0 });
  } finally {
    await target.transport.close();
  }
});

Deno.test("a dialer that offers a wrong proof, or none after the hello, is refused and counted", async () => {
  const target = await node("n1", { secret: await secret(A), handshakeTimeoutMs: 300 });
  try {
    const wrong = await RawPeer.connect(target.addr);
    const proven = await wrong.proveHandshake(member, await secret(B));
    assertEquals(decodeRefusal(proven.answer!), "Cluster secret proof failed");
    wrong.close();
    const silent = await RawPeer.connect(target.addr);
    await silent.write(encodeHandshake(member, 3, freshNonce()));
    assertEquals((await silent.reader.next())?.[0], FrameKind.challenge);
    assertTrue(await silent.closedByRemote(2000), "closed when no proof comes in time");
    silent.close();
    const garbled = await RawPeer.connect(target.addr);
    await garbled.write(encodeHandshake(member, 3, freshNonce()));
    await garbled.reader.next();
    await garbled.write(frame(FrameKind.proof, Uint8Array.of(1, 2, 3)));
    assertTrue(/Cannot decode proof/.test(decodeRefusal((await garbled.reader.next())!)));
    garbled.close();
    // The silent one timed out: counted as a broken connection, the other two as refusals.
    await waitUntil(() => {
      const stats = target.transport.inboundStats();
      return stats.handshakesRefused === 2 && stats.framesDropped === 1;
    }, "every bad dialer to be counted");
    assertEquals(target.admitted, []);
  } finally {
    await target.transport.close();
  }
});

Deno.test("a listener that answers with a wrong proof gets no message and is counted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dialer = await node("n1", { secret: await secret(A), reconnectMsMax: 100 });
  const served = (async () => {
    const conn = await listener.accept();
    const raw = RawPeer.of(conn);
    await raw.reader.next();
    await raw.write(encodeChallenge(freshNonce(), "n2"));
    await raw.reader.next();
    const info = { ...member, raftAddr: "" };
    await raw.write(encodeHandshake(info));
    await raw.write(frame(FrameKind.proof, new Uint8Array(32)));
    const after = await raw.reader.next().catch(() => null);
    raw.close();
    return after;
  })();
  try {
    dialer.transport.setPeer("n2", `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
    dialer.transport.send([hb("n1", "n2", 1)]);
    assertEquals(await served, null, "the dialer sent nothing after the bad proof");
    await waitUntil(() => dialer.transport.inboundStats().handshakesRefused >= 1, "counted");
    assertTrue(dialer.logs.some((l) => /failed the cluster secret proof/.test(l)));
  } finally {
    await dialer.transport.close();
    listener.close();
  }
});
