import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { ClusterSecret } from "../../src/secret/mod.ts";
import type { PeerTls } from "../../src/transport/types.ts";
import { makeCerts, OPENSSL } from "../tls_tools.ts";
import { skipWithout } from "../tools.ts";
import { RawPeer, repeatUntil, startNode, type TestNode, waitUntil } from "./harness.ts";
import { makeMessage } from "./messages.ts";

const ignore = skipWithout("openssl", OPENSSL);

/** Certificates for 127.0.0.1 (`good`), and one signed by another CA for another name. */
async function withCerts(
  body: (tls: { good: PeerTls; otherCa: string; misnamed: PeerTls }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rafter_peer_tls_" });
  try {
    await Deno.mkdir(`${dir}/good`);
    await Deno.mkdir(`${dir}/other`);
    const good = await makeCerts(`${dir}/good`);
    const other = await makeCerts(`${dir}/other`, "DNS:elsewhere.example");
    const read = (path: string) => Deno.readTextFile(path);
    await body({
      good: {
        cert: await read(good.cert),
        key: await read(good.key),
        caCerts: [await read(good.ca)],
      },
      otherCa: await read(other.ca),
      misnamed: {
        cert: await read(other.cert),
        key: await read(other.key),
        caCerts: [await read(other.ca)],
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function closeAll(...nodes: TestNode[]): Promise<void> {
  for (const n of nodes) await n.transport.close();
}

Deno.test({
  name: "peer links over TLS with the cluster secret carry messages both ways",
  ignore,
  async fn() {
    await withCerts(async ({ good }) => {
      const secret = await ClusterSecret.parse("s".repeat(32), "test");
      const a = await startNode("n1", { tls: good, secret });
      const b = await startNode("n2", { tls: good, secret });
      try {
        a.transport.setPeer("n2", b.addr);
        b.transport.setPeer("n1", a.addr);
        await repeatUntil(
          () => {
            a.transport.send([makeMessage("hb", "n1", "n2", { term: 1, seq: 1 })]);
            b.transport.send([makeMessage("hbResp", "n2", "n1", { term: 1, seq: 1 })]);
          },
          () => a.inbox.length > 0 && b.inbox.length > 0,
          "messages both ways over TLS",
        );
        assertEquals(b.inbox[0]?.type, "hb");
        assertEquals(a.inbox[0]?.type, "hbResp");
      } finally {
        await closeAll(a, b);
      }
    });
  },
});

Deno.test({
  name: "a TLS dialer checks the listener's CA and name; plain TCP to a TLS port is refused",
  ignore,
  async fn() {
    await withCerts(async ({ good, otherCa, misnamed }) => {
      const secret = await ClusterSecret.parse("s".repeat(32), "test");
      const listener = await startNode("n1", { tls: good, secret });
      const misnamedListener = await startNode("n3", { tls: misnamed, secret });
      const dialer = await startNode("n2", { tls: { ...good, caCerts: [otherCa] }, secret });
      try {
        await assertRejects(
          dialer.transport.probe(listener.addr, 2000),
          /invalid peer certificate/,
        );
        const trusting = await startNode("n4", { tls: misnamed, secret });
        try {
          // Signed by the CA it trusts, but for "elsewhere.example", not 127.0.0.1.
          await assertRejects(
            trusting.transport.probe(misnamedListener.addr, 2000),
            /certificate not valid for name "127.0.0.1"/,
          );
        } finally {
          await trusting.transport.close();
        }
        const plain = await RawPeer.connect(listener.addr);
        await plain.write(new TextEncoder().encode("not a TLS client hello, just bytes"));
        assertTrue(await plain.closedByRemote(), "a plain connection is closed");
        plain.close();
        await waitUntil(
          () => listener.transport.inboundStats().handshakesRefused === 2,
          "the untrusting dialer and the plain client to be counted",
        );
        assertEquals(listener.inbox, []);
      } finally {
        await closeAll(listener, misnamedListener, dialer);
      }
    });
  },
});
