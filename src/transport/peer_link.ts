/**
 * One outbound link: the connection we send a peer's messages on. Frames
 * accumulate in a bounded buffer while a write is in flight; the next write
 * sends all of them at once, then the queued snapshot, if any (one at a
 * time): its head, then its chunks read from storage as the connection takes
 * them; frames queued meanwhile wait, so nothing comes between a head and its
 * chunks. A link whose peer stays silent dials again (`reply_silence.ts`); a
 * failed link drops what it held (Raft resends) and reconnects with backoff.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Message } from "../raft/types.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { messageBytesEstimate } from "./codec.ts";
import { PeerProofError } from "./challenge.ts";
import { dial, type Dialed } from "./dial.ts";
import { FrameReader } from "./frame.ts";
import { HANDSHAKE_BYTES_MAX } from "./handshake.ts";
import { closeQuietly, errorText, writeAll } from "./io.ts";
import type { TransportLimits } from "./limits.ts";
import { writeMessageFrames } from "./snapshot_chunks.ts";
import { type PeerAnswers, ReplySilence } from "./reply_silence.ts";
import { SnapshotTransfer } from "./snapshot_stream.ts";
import type { PeerInfo, PeerMeter, PeerSecret, PeerStats, PeerTls } from "./types.ts";
import type { SnapshotSource } from "./types.ts";

/** What a link needs from its transport. */
export interface LinkEnv {
  limits: TransportLimits;
  logger: Logger;
  /** The cluster secret links prove and ask for; null: none. */
  secret: PeerSecret | null;
  /** Links over TLS when set. */
  tls: PeerTls | null;
  /** Our handshake as of now (the cluster id may change). */
  ours(): PeerInfo;
  /** Why the peer that answered our handshake must be refused, or null to accept. */
  check(info: PeerInfo): string | null;
  /** A peer failed the cluster secret proof: count it and log it, rate-limited. */
  dropped(what: "handshake", remote: string, peer: string, reason: string): void;
  /** Tells the node about a peer whose handshake was accepted. */
  announce(info: PeerInfo): void;
  /** When peers last answered us, and what to do once one went silent. */
  answers: PeerAnswers;
  /** Counts what is sent and dropped, if anything does. */
  meter: PeerMeter | undefined;
}

/**
 * Sends messages to one peer over one connection, reconnecting as needed.
 * Created by the transport; `close()` ends it and its connection.
 */
export class PeerLink {
  /** The peer's node id. */
  readonly id: string;
  private addr: string;
  private readonly env: LinkEnv;
  /** Frames waiting for the next write, and the buffer being written. */
  private pending = new ByteWriter();
  private writing = new ByteWriter();
  private pendingCount = 0;
  private writingCount = 0;
  /** Requests written since the peer was last heard from. */
  private readonly silence: ReplySilence;
  /** The snapshot queued or being sent: its head frame, and where its chunks come from. */
  private transfer: SnapshotTransfer | null = null;
  private dropped = 0;
  private connected = false;
  private closed = false;
  /** "peer unreachable" was logged and "peer reachable" not yet. */
  private outage = false;
  private overflowLogged = false;
  private delayMs: number;
  private conn: Deno.Conn | null = null;
  private dialAbort: AbortController | null = null;
  private wakeup: (() => void) | null = null;
  private cutSleep: (() => void) | null = null;
  private readonly done: Promise<void>;

  /**
   * @param id the peer's node id
   * @param addr the peer's raft `host:port`
   * @param env limits, logger and callbacks of the transport
   */
  constructor(id: string, addr: string, env: LinkEnv) {
    this.id = id;
    this.addr = addr;
    this.env = env;
    this.delayMs = env.limits.reconnectMsMin;
    this.silence = new ReplySilence(id, env.answers, env.limits.replySilenceMsMax);
    this.done = this.run();
  }

  /** The peer's current raft address. */
  get raftAddr(): string {
    return this.addr;
  }

  /** Queues `messages` for the next write, dropping what does not fit. Never blocks. */
  enqueue(messages: Message[]): void {
    if (this.closed) return;
    for (const m of messages) this.enqueueOne(m);
    this.wake();
  }

  /**
   * Queues snapshot message `m` whose data `source` gives: its chunks are
   * read as the connection takes them. One transfer at a time: while one is
   * queued or under way, another is dropped (Raft sends it again).
   */
  enqueueSnapshot(m: Message, source: SnapshotSource): void {
    if (this.closed || this.transfer !== null) {
      source.close();
      return this.drop(1);
    }
    try {
      this.transfer = new SnapshotTransfer(m, source, this.env.limits.frameBytesMax);
    } catch (error) {
      this.drop(1);
      this.env.logger.warn("dropping a snapshot that cannot be sent", {
        peer: this.id,
        error: errorText(error),
      });
      return;
    }
    this.wake();
  }

  /** Points the link at a new address: the current connection closes and a new one opens. */
  setAddr(addr: string): void {
    if (addr === this.addr) return;
    this.addr = addr;
    this.delayMs = this.env.limits.reconnectMsMin;
    this.interrupt();
  }

  /** Counters for status and tests. */
  stats(): PeerStats {
    return {
      id: this.id,
      raftAddr: this.addr,
      connected: this.connected,
      queuedBytes: this.pending.length,
      dropped: this.dropped,
    };
  }

  /** Closes the connection and ends the link; resolves when nothing of it runs. */
  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    await this.done;
  }

  private enqueueOne(m: Message): void {
    const { queueBytesMax } = this.env.limits;
    const start = this.pending.length;
    if (start + messageBytesEstimate(m) > queueBytesMax) return this.overflow(m);
    try {
      writeMessageFrames(this.pending, m, this.env.limits);
    } catch (error) {
      this.drop(1);
      this.env.logger.warn("dropping a message that cannot be sent", {
        peer: this.id,
        type: m.type,
        error: errorText(error),
      });
      return;
    }
    if (this.pending.length > queueBytesMax) {
      this.pending.length = start;
      return this.overflow(m);
    }
    this.pendingCount++;
    this.silence.queued(m);
  }

  private overflow(m: Message): void {
    this.drop(1);
    if (this.overflowLogged) return;
    this.overflowLogged = true;
    this.env.logger.warn("peer queue full, dropping messages", {
      peer: this.id,
      type: m.type,
      queuedBytes: this.pending.length,
    });
  }

  /** Connects, serves, backs off; until closed. */
  private async run(): Promise<void> {
    while (!this.closed) {
      const served = await this.connectAndServe();
      if (this.closed) break;
      if (served) this.delayMs = this.env.limits.reconnectMsMin;
      await this.sleep(this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, this.env.limits.reconnectMsMax);
    }
    this.dropQueued();
  }

  /** One connection's life; true if its handshake succeeded. */
  private async connectAndServe(): Promise<boolean> {
    const addr = this.addr;
    let dialed: Dialed;
    this.dialAbort = new AbortController();
    try {
      dialed = await dial(addr, this.env.ours(), {
        timeoutMs: this.env.limits.handshakeTimeoutMs,
        frameBytesMax: HANDSHAKE_BYTES_MAX,
        signal: this.dialAbort.signal,
        secret: this.env.secret,
        tls: this.env.tls,
      });
    } catch (error) {
      if (error instanceof PeerProofError) {
        this.env.dropped("handshake", addr, this.id, error.message);
      }
      this.failed(addr, errorText(error));
      return false;
    } finally {
      this.dialAbort = null;
    }
    const refusal = this.closed || addr !== this.addr ? "link changed" : this.check(dialed.info);
    if (refusal !== null) {
      closeQuietly(dialed.conn);
      this.failed(addr, refusal);
      return false;
    }
    this.up(dialed);
    const reason = await this.serve(dialed);
    this.down(reason);
    return true;
  }

  private check(info: PeerInfo): string | null {
    if (info.id !== this.id) return `Peer at "${this.addr}" is node "${info.id}", not "${this.id}"`;
    return this.env.check(info);
  }

  private failed(addr: string, reason: string): void {
    this.dropQueued();
    if (this.closed || addr !== this.addr) return;
    if (this.outage) {
      this.env.logger.debug("peer still unreachable", { peer: this.id, addr, error: reason });
      return;
    }
    this.outage = true;
    this.env.logger.warn("peer unreachable", { peer: this.id, addr, error: reason });
  }

  private up({ conn, info }: Dialed): void {
    this.conn = conn;
    this.connected = true;
    const fields = { peer: this.id, addr: this.addr };
    if (this.outage) this.env.logger.info("peer reachable", fields);
    else this.env.logger.debug("peer connected", fields);
    this.outage = false;
    this.env.announce(info);
  }

  private down(reason: string | null): void {
    this.conn = null;
    this.connected = false;
    this.dropQueued();
    if (reason !== null) {
      this.env.logger.info("peer connection lost", {
        peer: this.id,
        addr: this.addr,
        error: reason,
      });
    }
  }

  /** Writes queued frames until the connection breaks, the address changes or the link closes. */
  private async serve({ conn, reader }: Dialed): Promise<string | null> {
    const addr = this.addr;
    const state: { broken: string | null } = { broken: null };
    const watching = this.watch(reader, state);
    const stopWatching = this.silence.watch((reason) => {
      state.broken ??= reason;
      closeQuietly(conn);
    });
    while (!this.closed && this.addr === addr && state.broken === null) {
      if (this.pending.length === 0 && this.transfer === null) {
        await new Promise<void>((resolve) => this.wakeup = resolve);
        continue;
      }
      try {
        await this.flush(conn);
      } catch (error) {
        state.broken ??= errorText(error);
      }
    }
    stopWatching();
    const reason = this.closed || this.addr !== addr ? null : state.broken;
    closeQuietly(conn);
    await watching;
    return reason;
  }

  /** Outbound links carry nothing back: any frame or EOF means the link is over. */
  private async watch(reader: FrameReader, state: { broken: string | null }): Promise<void> {
    try {
      const payload = await reader.next();
      state.broken ??= payload === null
        ? "peer closed the connection"
        : `unexpected frame kind "${payload[0]}" on an outbound link`;
    } catch (error) {
      state.broken ??= errorText(error);
    }
    this.wake();
  }

  /**
   * Sends everything queued in one write, then the queued snapshot, if any;
   * while they run, new frames queue in the other buffer.
   */
  private async flush(conn: Deno.Conn): Promise<void> {
    const out = this.pending;
    this.pending = this.writing;
    this.writing = out;
    this.writingCount = this.pendingCount;
    this.pendingCount = 0;
    const transfer = this.transfer;
    this.silence.writing(transfer !== null);
    try {
      const bytes = out.written();
      if (bytes.length > 0) await writeAll(conn, bytes);
      this.silence.flowed(bytes.length);
      this.env.meter?.sent(this.id, bytes.length);
      this.overflowLogged = false;
      if (transfer !== null) {
        await transfer.send(conn, this.env.limits, (bytes) => {
          this.silence.flowed(bytes);
          this.env.meter?.sent(this.id, bytes);
        });
      }
    } catch (error) {
      this.drop(this.writingCount + (transfer === null ? 0 : 1));
      throw error;
    } finally {
      if (transfer !== null) this.endTransfer();
      this.writingCount = 0;
      out.reset();
    }
  }

  private endTransfer(): void {
    this.transfer?.source.close();
    this.transfer = null;
  }

  private dropQueued(): void {
    this.drop(this.pendingCount);
    this.pendingCount = 0;
    this.silence.dropped();
    this.pending.reset();
    // A snapshot not started yet goes with the queue; one under way ends with its write.
    if (this.transfer !== null && !this.transfer.started) {
      this.drop(1);
      this.endTransfer();
    }
  }

  private drop(messages: number): void {
    if (messages === 0) return;
    this.dropped += messages;
    this.env.meter?.sendFailed(this.id, messages);
  }

  private wake(): void {
    const wakeup = this.wakeup;
    this.wakeup = null;
    wakeup?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cutSleep = null;
        resolve();
      }, ms);
      this.cutSleep = () => {
        clearTimeout(timer);
        this.cutSleep = null;
        resolve();
      };
    });
  }

  /** Stops whatever the link is waiting on so that its loop notices a change. */
  private interrupt(): void {
    this.dialAbort?.abort();
    if (this.conn !== null) closeQuietly(this.conn);
    this.wake();
    this.cutSleep?.();
  }
}
