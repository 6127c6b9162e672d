/**
 * A link whose connection went silent: after a partition, a connection
 * whose packets were lost can stay quiet for as long as TCP's
 * retransmission backoff. A link that sent requests and heard nothing from
 * the peer for `replySilenceMsMax` dials again; one whose peer answers
 * keeps its connection.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { makeMessage } from "./messages.ts";
import { repeatUntil, startNode, type TestNode, waitUntil } from "./harness.ts";

const SILENCE_MS = 300;

/**
 * A TCP relay to `target` that can swallow, from some moment on, what the
 * connections open at that moment carry towards the target, while they stay
 * open: what a lost route does to a connection. New connections pass.
 */
class BlackHole {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  /** Connections accepted so far. */
  accepted = 0;
  private readonly swallowing = new Set<number>();
  private readonly conns: Deno.Conn[] = [];

  constructor(private readonly target: string) {
    this.serve();
  }

  get addr(): string {
    return `127.0.0.1:${(this.listener.addr as Deno.NetAddr).port}`;
  }

  /** Every connection open now swallows what it carries to the target from now on. */
  swallowOpen(): void {
    for (let i = 0; i < this.accepted; i++) this.swallowing.add(i);
  }

  close(): void {
    this.listener.close();
    for (const conn of this.conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }

  private async serve(): Promise<void> {
    for await (const inbound of this.listener) {
      const number = this.accepted++;
      const [hostname, port] = this.target.split(":");
      const outbound = await Deno.connect({ hostname: hostname!, port: Number(port) });
      this.conns.push(inbound, outbound);
      this.pipe(inbound, outbound, () => this.swallowing.has(number));
      this.pipe(outbound, inbound, () => false);
    }
  }

  private async pipe(from: Deno.Conn, to: Deno.Conn, swallow: () => boolean): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (!swallow()) await to.write(buffer.subarray(0, n));
      }
    } catch { /* the other side closed */ }
    try {
      to.close();
    } catch { /* already closed */ }
  }
}

/** n2 answers every vote n1 sends it, as a correct peer does. */
async function pair(): Promise<{ a: TestNode; b: TestNode; hole: BlackHole }> {
  // n2 never gives up on its own link in these tests: only n1's checks are under test.
  const b = await startNode("n2", { replySilenceMsMax: 60_000 }, {
    onMessage: (m) => {
      b.inbox.push(m);
      if (m.type === "vote") {
        b.transport.send([makeMessage("voteResp", "n2", "n1", { term: m.term })]);
      }
    },
  });
  const a = await startNode("n1", { replySilenceMsMax: SILENCE_MS, reconnectMsMax: 100 });
  const hole = new BlackHole(b.addr);
  a.transport.setPeer("n2", hole.addr);
  b.transport.setPeer("n1", a.addr);
  return { a, b, hole };
}

const vote = (term: number) => makeMessage("vote", "n1", "n2", { term, index: 1, logTerm: 1 });

Deno.test("a link that hears nothing after its requests dials again; one that is answered does not", async () => {
  const { a, b, hole } = await pair();
  try {
    // Answered requests over several silence periods: the one connection stays.
    for (let term = 1; term <= 8; term++) {
      a.transport.send([vote(term)]);
      await waitUntil(() => a.inbox.length === term, `the answer to vote ${term}`);
      await new Promise((resolve) => setTimeout(resolve, SILENCE_MS / 2));
    }
    assertEquals(hole.accepted, 1, "an answered link keeps its connection");
    // The route is lost for the open connection: requests vanish, and no answer comes.
    hole.swallowOpen();
    const before = b.inbox.length;
    await repeatUntil(
      () => a.transport.send([vote(100)]),
      () => b.inbox.length > before,
      "a vote over a new connection",
    );
    assertTrue(hole.accepted >= 2, "the silent connection was replaced");
    assertTrue(
      a.logs.some((line) => line.includes(`no answer from the peer for ${SILENCE_MS} ms`)),
      "the link says why it dialed again",
    );
  } finally {
    hole.close();
    await a.transport.close();
    await b.transport.close();
  }
});

Deno.test("the peer's own requests reaching us do not count as answers to ours", async () => {
  const { a, b, hole } = await pair();
  try {
    a.transport.send([vote(1)]);
    await waitUntil(() => a.inbox.length === 1, "the answer to vote 1");
    hole.swallowOpen();
    const before = b.inbox.length;
    // n2 keeps sending n1 heartbeats over its own link, which works: n1 hears from n2, but
    // nothing n1 asks is answered, so its link must still be replaced.
    await repeatUntil(
      () => {
        a.transport.send([vote(100)]);
        b.transport.send([makeMessage("hb", "n2", "n1", { term: 100, seq: 1 })]);
      },
      () => b.inbox.length > before,
      "a vote over a new connection",
    );
    assertTrue(hole.accepted >= 2, "the silent connection was replaced");
  } finally {
    hole.close();
    await a.transport.close();
    await b.transport.close();
  }
});
