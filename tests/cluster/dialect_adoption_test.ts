/**
 * Adoption of a node started plainly (docs/COMPATIBILITY.md, "Forming a
 * cluster the dialect way"), seen from the wire: a fake leader speaks the
 * transport handshake to a real node process.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { dial } from "../../src/transport/dial.ts";
import { FrameReader } from "../../src/transport/frame.ts";
import { decodeHandshake, HANDSHAKE_BYTES_MAX } from "../../src/transport/handshake.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import { startAlone, statusOf } from "./dialect_helpers.ts";
import { waitFor, withCluster } from "./harness.ts";

/** Time the node may take to answer or to dial back. */
const HANDSHAKE_TIMEOUT_MS = 5_000;

/**
 * The first handshake a peer sends on a connection accepted by `listener`.
 * A connection closed before any frame (a dial the node abandoned, say on a
 * busy machine) sent no handshake, so the next one is awaited.
 */
async function firstHandshake(listener: Deno.TcpListener): Promise<PeerInfo> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("No handshake from a dial-back within the time limit")),
      HANDSHAKE_TIMEOUT_MS,
    );
  });
  try {
    for (;;) {
      const conn = await Promise.race([listener.accept(), timeout]);
      try {
        const payload = await Promise.race([
          new FrameReader(conn, HANDSHAKE_BYTES_MAX).next(),
          timeout,
        ]);
        if (payload !== null) return decodeHandshake(payload);
      } finally {
        conn.close();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "a node that accepts adoption introduces itself with the adopted cluster id at once",
  // The node once switched its cluster id only in its loop, after
  // `storage.reset`, while it answered the handshake and dialed the leader
  // back with its old id; when the dial-back reached a still pristine leader,
  // that leader adopted the joining node's old cluster and no leader was left.

  fn: async () => {
    await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
      const [loner] = await startAlone(cluster, ["n2"]);
      assertTrue(loner !== undefined);
      const own = (await statusOf(loner)).clusterId;
      const adopted = crypto.randomUUID();
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const leader: PeerInfo = {
          id: "n1",
          clusterId: adopted,
          raftAddr: `127.0.0.1:${listener.addr.port}`,
          httpAddr: "",
        };
        const dialBack = firstHandshake(listener);
        const { conn, info } = await dial(loner.raftAddr, leader, {
          timeoutMs: HANDSHAKE_TIMEOUT_MS,
          frameBytesMax: HANDSHAKE_BYTES_MAX,
        });
        conn.close();
        const back = await dialBack;
        await waitFor(
          async () => (await statusOf(loner)).clusterId === adopted,
          `${loner.id} to adopt cluster "${adopted}"`,
        );
        assertEquals(
          { answer: info.clusterId, dialBack: back.clusterId },
          { answer: adopted, dialBack: adopted },
          `the node's own cluster was "${own}"`,
        );
      } finally {
        listener.close();
      }
    });
  },
});
