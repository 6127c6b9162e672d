/**
 * Transports on 127.0.0.1 for the tests: a node that records what it
 * receives and logs, bounded waiting, and raw connections that speak the
 * wire protocol by hand.
 *
 * @module
 */

import { createLogger } from "../../src/log.ts";
import type { Message } from "../../src/raft/types.ts";
import { TcpTransport } from "../../src/transport/tcp_transport.ts";
import type { PeerInfo, TransportHandlers, TransportOptions } from "../../src/transport/types.ts";
import { encodeProof, freshNonce, proveDialer } from "../../src/transport/challenge.ts";
import { FrameKind, FrameReader } from "../../src/transport/frame.ts";
import {
  decodeHandshake,
  encodeHandshake,
  PROTOCOL_VERSION,
} from "../../src/transport/handshake.ts";
import type { PeerSecret } from "../../src/transport/types.ts";

/** A transport with everything it received and logged. */
export interface TestNode {
  transport: TcpTransport;
  inbox: Message[];
  peers: PeerInfo[];
  logs: string[];
  addr: string;
}

/** Starts a listening transport for node `id` on a free port (or `raftAddr`). */
export async function startNode(
  id: string,
  options: Partial<TransportOptions> = {},
  handlers: Partial<TransportHandlers> = {},
): Promise<TestNode> {
  const inbox: Message[] = [];
  const peers: PeerInfo[] = [];
  const logs: string[] = [];
  const transport = new TcpTransport({
    nodeId: id,
    raftAddr: "127.0.0.1:0",
    httpAddr: `127.0.0.1:80${id.slice(-1)}`,
    clusterId: () => "c1",
    // Unescape quoted field values so tests can match error texts as written.
    logger: createLogger("debug", { sink: (line) => logs.push(line.replaceAll('\\"', '"')) }),
    ...options,
  }, {
    onMessage: (m) => inbox.push(m),
    onPeer: (info) => peers.push(info),
    ...handlers,
  });
  await transport.listen();
  return { transport, inbox, peers, logs, addr: transport.listenAddr };
}

/** Resolves once `condition()` holds; throws `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Calls `step()` every 20 ms until `condition()` holds (resending across an outage). */
export async function repeatUntil(
  step: () => void,
  condition: () => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    step();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a dialer holding the secret sent, and the listener's answer. */
export interface Proven {
  /** The hello frame and the proof frame, as written: what a replay sends again. */
  sent: Uint8Array[];
  /** The listener's answer after the proof: its handshake, or a refusal; null when it hung up. */
  answer: Uint8Array | null;
}

/** A hand-driven connection to a transport. */
export class RawPeer {
  readonly conn: Deno.Conn;
  readonly reader: FrameReader;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.reader = new FrameReader(conn, 64 * 1024 * 1024);
  }

  /** Drives a connection opened elsewhere (the accepting end of a fake peer). */
  static of(conn: Deno.Conn): RawPeer {
    return new RawPeer(conn);
  }

  /** Connects to `addr`, over TLS trusting `caCert` when given. */
  static async connect(addr: string, caCert?: string): Promise<RawPeer> {
    const port = Number(addr.slice(addr.lastIndexOf(":") + 1));
    if (caCert === undefined) {
      return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    return new RawPeer(await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caCert] }));
  }

  /** Sends a handshake as `info` (version overridable) and returns the answer's payload. */
  async handshake(info: PeerInfo, version?: number): Promise<Uint8Array | null> {
    await this.write(encodeHandshake(info, version));
    return await this.reader.next();
  }

  /**
   * The dialer's side of the cluster-secret handshake as `info`: hello with a
   * nonce, the proof of `secret` for the listener's challenge (or `proof`
   * as given: a replay), then the listener's answer.
   */
  async proveHandshake(
    info: PeerInfo,
    secret: PeerSecret,
    proof?: Uint8Array,
  ): Promise<Proven> {
    const hello = encodeHandshake(info, PROTOCOL_VERSION, freshNonce());
    await this.write(hello);
    const challenge = (await this.reader.next())?.slice() ?? null;
    if (challenge === null || challenge[0] !== FrameKind.challenge) {
      return { sent: [hello], answer: challenge };
    }
    const proofFrame = proof ??
      encodeProof(await proveDialer(secret, hello.subarray(4), challenge));
    await this.write(proofFrame);
    const answer = (await this.reader.next())?.slice() ?? null;
    // The listener's own proof follows its handshake; a dialer reads it before sending.
    if (answer?.[0] === FrameKind.handshake) await this.reader.next();
    return { sent: [hello, proofFrame], answer };
  }

  /** Sends a handshake and decodes the accepted answer. */
  async handshakeOk(info: PeerInfo): Promise<PeerInfo> {
    const answer = await this.handshake(info);
    if (answer === null) throw new Error("Connection closed instead of a handshake");
    return decodeHandshake(answer);
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Resolves true once the remote has closed the connection, false if it stays open `timeoutMs`. */
  async closedByRemote(timeoutMs = 3000): Promise<boolean> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, timeoutMs);
    const buf = new Uint8Array(4096);
    try {
      for (let reads = 0; reads < 100_000; reads++) {
        if (await this.conn.read(buf) === null) return true;
      }
      return false;
    } catch {
      return !timedOut;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes our end. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** A framed message, as a transport would write it. */
export function frame(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  new DataView(out.buffer).setUint32(0, body.length + 1, true);
  out[4] = kind;
  out.set(body, 5);
  return out;
}
