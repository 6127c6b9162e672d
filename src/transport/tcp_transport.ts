/**
 * Peer links over TCP, or TLS: a listener that serves inbound connections,
 * and one outbound link per peer. Messages are one-way, as in the Raft core:
 * we send on our outbound link to a peer and receive on the connections
 * peers open to us. With a cluster secret every link opens with a mutual
 * proof (`challenge.ts`).
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { RateLimitedLog } from "../log_rate.ts";
import type { Message } from "../raft/types.ts";
import { formatAddr, parseAddr, remoteOf } from "./address.ts";
import { PeerProofError } from "./challenge.ts";
import { dial } from "./dial.ts";
import { clustersConflict } from "./handshake.ts";
import { type InboundEnv, serveInbound } from "./inbound.ts";
import { isAnswer } from "./reply_silence.ts";
import { closeQuietly, errorText } from "./io.ts";
import { resolveLimits, type TransportLimits } from "./limits.ts";
import { type LinkEnv, PeerLink } from "./peer_link.ts";
import type {
  InboundStats,
  PeerInfo,
  PeerStats,
  SnapshotSource,
  TransportHandlers,
  TransportOptions,
} from "./types.ts";

/** Least time between two log lines about bad input from one remote address. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The TCP transport of one node.
 *
 * @example
 * ```ts
 * import { TcpTransport } from "./tcp_transport.ts";
 * const received: string[] = [];
 * const options = { raftAddr: "127.0.0.1:0", httpAddr: "", clusterId: () => "c1" };
 * const a = new TcpTransport({ ...options, nodeId: "a" }, { onMessage() {} });
 * const b = new TcpTransport({ ...options, nodeId: "b" }, {
 *   onMessage: (m) => received.push(m.type),
 * });
 * await a.listen();
 * await b.listen();
 * const info = await a.probe(b.listenAddr, 2000);
 * await a.close();
 * await b.close();
 * if (info.id !== "b") throw new Error();
 * ```
 */
export class TcpTransport {
  private readonly options: TransportOptions;
  private readonly handlers: TransportHandlers;
  private readonly limits: TransportLimits;
  private readonly logger: Logger;
  private listener: Deno.Listener<Deno.Conn, Deno.NetAddr> | null = null;
  private readonly links = new Map<string, PeerLink>();
  /** Open inbound connections, with the peer each is from (`""` until its handshake). */
  private readonly inbound = new Map<Deno.Conn, string>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly dials = new Set<AbortController>();
  private closed = false;
  private readonly env: LinkEnv & InboundEnv;
  private readonly dropLog: RateLimitedLog;
  private readonly drops: InboundStats = { handshakesRefused: 0, framesDropped: 0 };
  /** How many answers to our requests each peer has sent. */
  private readonly answers = new Map<string, number>();

  /**
   * @param options identity, addresses and bounds (see {@link TransportOptions})
   * @param handlers where messages and peer handshakes go
   */
  constructor(options: TransportOptions, handlers: TransportHandlers) {
    if (options.nodeId === "") throw new Error(`Invalid node id "": must not be empty`);
    parseAddr(options.raftAddr);
    this.options = options;
    this.handlers = handlers;
    this.limits = resolveLimits(options);
    this.logger = options.logger ?? silentLogger;
    this.dropLog = new RateLimitedLog(this.logger, DROP_LOG_INTERVAL_MS);
    this.env = {
      limits: this.limits,
      logger: this.logger,
      secret: options.secret ?? null,
      tls: options.tls ?? null,
      ours: () => this.ours(),
      admit: (info) => this.admit(info, true),
      check: (info) => this.admit(info, false),
      dropped: (what, remote, peer, reason) => this.dropped(what, remote, peer, reason),
      announce: (info) => this.announce(info),
      deliver: (message) => this.deliver(message),
      answers: {
        answered: (id) => this.answers.get(id) ?? 0,
        silent: (id) => this.closeInboundFrom(id),
      },
      opened: (id, conn) => this.inbound.set(conn, id),
      closing: () => this.closed,
      meter: options.meter,
    };
  }

  /** The bound `host:port`; throws before {@link listen}. */
  get listenAddr(): string {
    if (this.listener === null) throw new Error("Transport is not listening");
    return formatAddr(this.listener.addr);
  }

  /** Binds the raft address and starts accepting peers. Throws a clear error if it is taken. */
  // deno-lint-ignore require-await
  async listen(): Promise<void> {
    if (this.closed) throw new Error("Transport is closed");
    if (this.listener !== null) {
      throw new Error(`Transport already listens on "${this.listenAddr}"`);
    }
    const { hostname, port } = parseAddr(this.options.raftAddr);
    const tls = this.options.tls ?? null;
    try {
      this.listener = tls === null
        ? Deno.listen({ hostname, port, transport: "tcp" })
        : Deno.listenTls({ hostname, port, transport: "tcp", cert: tls.cert, key: tls.key });
    } catch (error) {
      const reason = error instanceof Deno.errors.AddrInUse ? "address in use" : errorText(error);
      throw new Error(`Cannot listen on raft address "${this.options.raftAddr}": ${reason}`);
    }
    this.track(this.accept(this.listener));
  }

  /** Adds an outbound destination, or moves an existing one to `raftAddr`. */
  setPeer(id: string, raftAddr: string): void {
    if (this.closed) return;
    parseAddr(raftAddr);
    if (id === this.options.nodeId) return;
    const link = this.links.get(id);
    if (link !== undefined) return link.setAddr(raftAddr);
    this.links.set(id, new PeerLink(id, raftAddr, this.env));
  }

  /** Forgets a destination and closes its link. */
  removePeer(id: string): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    this.links.delete(id);
    this.track(link.close());
  }

  /**
   * Queues messages for their destinations without waiting: all the
   * messages of one call for one peer go out in one write. Messages to an
   * unknown peer are dropped.
   */
  send(messages: Message[]): void {
    if (this.closed) return;
    if (messages.length === 1) return this.sendTo(messages[0]!.to, messages);
    const byPeer = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of byPeer) this.sendTo(to, list);
  }

  /**
   * Queues snapshot message `m` whose data `source` gives, read a chunk at a
   * time as the peer's connection takes it; dropped (and `source` closed)
   * when the peer is unknown or a transfer to it is under way.
   */
  sendSnapshot(m: Message, source: SnapshotSource): void {
    const link = this.closed ? undefined : this.links.get(m.to);
    if (link !== undefined) return link.enqueueSnapshot(m, source);
    source.close();
    this.options.meter?.sendFailed(m.to, 1);
  }

  /**
   * Connects to `raftAddr`, exchanges handshakes and returns what the
   * remote said about itself; throws if it does not answer within
   * `timeoutMs` or refuses us.
   */
  async probe(raftAddr: string, timeoutMs: number): Promise<PeerInfo> {
    if (this.closed) throw new Error("Transport is closed");
    const abort = new AbortController();
    this.dials.add(abort);
    try {
      const { conn, info } = await dial(raftAddr, this.ours(), {
        timeoutMs,
        frameBytesMax: this.limits.frameBytesMax,
        signal: abort.signal,
        secret: this.env.secret,
        tls: this.env.tls,
      });
      closeQuietly(conn);
      return info;
    } catch (error) {
      if (error instanceof PeerProofError) this.dropped("handshake", raftAddr, "", error.message);
      throw error;
    } finally {
      this.dials.delete(abort);
    }
  }

  /** Counters of every outbound link. */
  stats(): PeerStats[] {
    return [...this.links.values()].map((link) => link.stats());
  }

  /** What the listener refused or dropped since it started. */
  inboundStats(): InboundStats {
    return { ...this.drops };
  }

  /** Closes the listener and every link; resolves once nothing of the transport runs. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      this.listener?.close();
    } catch {
      // Already closed.
    }
    for (const abort of this.dials) abort.abort();
    for (const conn of this.inbound.keys()) closeQuietly(conn);
    for (const link of this.links.values()) this.track(link.close());
    this.links.clear();
    // Bounded: closing stops every task, and no new task starts once closed.
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private sendTo(to: string, messages: Message[]): void {
    const link = this.links.get(to);
    if (link !== undefined) return link.enqueue(messages);
    this.options.meter?.sendFailed(to, messages.length);
    this.logger.debug("dropping messages to an unknown peer", {
      peer: to,
      count: messages.length,
    });
  }

  private ours(): PeerInfo {
    return {
      id: this.options.nodeId,
      clusterId: this.options.clusterId(),
      raftAddr: this.listener === null ? this.options.raftAddr : this.listenAddr,
      httpAddr: this.options.httpAddr,
      commandVersion: this.options.commandVersion ?? 1,
    };
  }

  private admit(info: PeerInfo, inbound: boolean): string | null {
    if (info.id === this.options.nodeId) {
      return `Peer id "${info.id}" is this node's own id`;
    }
    if (this.handlers.admit !== undefined) return this.handlers.admit(info, inbound);
    const ours = this.options.clusterId();
    if (!clustersConflict(ours, info.clusterId)) return null;
    return `Peer "${info.id}" is in cluster "${info.clusterId}", not "${ours}"`;
  }

  private dropped(
    what: "handshake" | "frame",
    remote: string,
    peer: string,
    reason: string,
  ): void {
    if (what === "handshake") this.drops.handshakesRefused++;
    else this.drops.framesDropped++;
    const message = what === "handshake" ? "refused a peer" : "closing peer connection";
    this.dropLog.warn(`${what} ${remote.slice(0, remote.lastIndexOf(":"))}`, message, {
      remote,
      ...(peer === "" ? {} : { peer }),
      error: reason,
    });
  }

  private announce(info: PeerInfo): void {
    try {
      this.handlers.onPeer?.(info);
    } catch (error) {
      this.logger.error("peer handler failed", { peer: info.id, error: errorText(error) });
    }
  }

  private deliver(message: Message): void {
    if (isAnswer(message.type)) {
      this.answers.set(message.from, (this.answers.get(message.from) ?? 0) + 1);
    }
    if (message.to !== this.options.nodeId) {
      this.logger.debug("dropping a message for another node", {
        from: message.from,
        to: message.to,
      });
      return;
    }
    try {
      this.handlers.onMessage(message);
    } catch (error) {
      this.logger.error("message handler failed", {
        from: message.from,
        type: message.type,
        error: errorText(error),
      });
    }
  }

  private async accept(listener: Deno.Listener<Deno.Conn, Deno.NetAddr>): Promise<void> {
    try {
      for await (const conn of listener) this.admitConn(conn);
    } catch (error) {
      if (!this.closed) this.logger.error("raft listener failed", { error: errorText(error) });
    }
  }

  private admitConn(conn: Deno.Conn): void {
    if (this.closed || this.inbound.size >= this.limits.inboundConnsMax) {
      if (!this.closed) {
        this.logger.warn("too many peer connections, refusing one", { remote: remoteOf(conn) });
      }
      closeQuietly(conn);
      return;
    }
    this.inbound.set(conn, "");
    this.track(serveInbound(conn, this.env).finally(() => this.inbound.delete(conn)));
  }

  /** Closes the connections peer `id` opened to us: it dials again when it next sends. */
  private closeInboundFrom(id: string): void {
    for (const [conn, peer] of this.inbound) if (peer === id) closeQuietly(conn);
  }

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    const forget = () => this.tasks.delete(task);
    task.then(forget, forget);
  }
}
