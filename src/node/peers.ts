/**
 * Whom a node talks to: the transport's address book kept equal to the
 * configuration, the strangers a node answers outside it (while waiting to
 * be added, or a leader added while it was away), who is admitted at the
 * handshake, which messages reach the loop, and everything refused or
 * dropped from peers, counted and logged with a rate limit.
 *
 * @module
 */

import { decodeSnapshot, type SnapshotContent } from "../kv/snapshot.ts";
import type { Logger } from "../log.ts";
import { RateLimitedLog } from "../log_rate.ts";
import { findMember } from "../raft/membership.ts";
import type { Membership, Message, NodeId, Snapshot } from "../raft/types.ts";
import { clustersConflict } from "../transport/handshake.ts";
import type { PeerInfo } from "../transport/types.ts";
import type { PeerTransport } from "./ports.ts";

/** Most peers outside its configuration a node answers (while waiting to be added or lagging). */
const STRANGERS_MAX = 16;
/** How far ahead of ours a stranger's term may be for its message to be heard. */
const STRANGER_TERMS_AHEAD_MAX = 1000;
/** What a stranger may send a member: what a leader or a candidate sends. */
const STRANGER_TYPES: ReadonlySet<string> = new Set(["app", "hb", "snap", "vote", "preVote"]);
/** Least time between two log lines about bad messages from one peer. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The members of the latest configuration in the log and of the committed
 * one: an uncommitted change (which a new leader may overwrite) must not cut
 * a node off from a member the cluster still has. Memoized per pair.
 */
export class KnownMembers {
  private memo: { latest: Membership; committed: Membership; known: Membership } | null = null;

  /** The union for `latest` and `committed` (the same array while they do not change). */
  of(latest: Membership, committed: Membership): Membership {
    const memo = this.memo;
    if (memo !== null && memo.latest === latest && memo.committed === committed) return memo.known;
    const known = latest === committed
      ? latest
      : [...latest, ...committed.filter((c) => !latest.some((m) => m.id === c.id))];
    this.memo = { latest, committed, known };
    return known;
  }
}

/** A peer outside the configuration, as its handshake announced it. */
interface Stranger {
  raftAddr: string;
  /** Whether the transport links to it now. */
  linked: boolean;
}

/** What the peer book needs to know about its node, as of now. */
export interface PeerView {
  readonly id: NodeId;
  membership(): Membership;
  /** Term and leader as the core believes them. */
  core(): { term: number; lead: NodeId };
  clusterId(): string;
  /** Nodes this leader is adding: admitted before the log names them. */
  joining(): ReadonlySet<NodeId>;
  /** Whether this node may be adopted by `info`'s cluster: true, or why not. */
  mayAdopt(info: PeerInfo): true | string;
}

/**
 * The peers of one node.
 *
 * @example
 * ```ts ignore
 * const peers = new PeerBook(view, transport, logger);
 * peers.sync();
 * const refused = peers.filter(message); // null: hand it to the loop
 * ```
 */
export class PeerBook {
  private readonly view: PeerView;
  private readonly transport: PeerTransport;
  private readonly log: Logger;
  private readonly dropLog: RateLimitedLog;
  private readonly strangers = new Map<NodeId, Stranger>();
  private readonly decodedSnapshots = new WeakMap<Uint8Array, SnapshotContent>();
  private syncedFor: Membership | null = null;
  private messagesDropped = 0;
  /** The command version each peer announced in its last handshake. */
  private readonly versions = new Map<NodeId, number>();

  /**
   * @param view what the node believes now
   * @param transport whose address book this keeps
   * @param log where drops and removals are reported
   */
  constructor(view: PeerView, transport: PeerTransport, log: Logger) {
    this.view = view;
    this.transport = transport;
    this.log = log;
    this.dropLog = new RateLimitedLog(log, DROP_LOG_INTERVAL_MS);
  }

  /** Links to every member of the current configuration and no longer to anyone else. */
  sync(): void {
    const membership = this.view.membership();
    if (membership === this.syncedFor) return;
    const previous = this.syncedFor ?? [];
    this.syncedFor = membership;
    for (const m of membership) {
      if (m.id !== this.view.id) this.transport.setPeer(m.id, m.raftAddr);
    }
    for (const m of previous) {
      if (findMember(membership, m.id) === undefined) this.transport.removePeer(m.id);
    }
    this.pruneStrangers();
    const self = this.view.id;
    if (findMember(previous, self) !== undefined && findMember(membership, self) === undefined) {
      this.log.warn("this node was removed from the cluster");
    }
  }

  /** Forgets the synced configuration, so the next `sync` links to every member again. */
  reset(): void {
    this.syncedFor = null;
  }

  /**
   * A peer completed a handshake. A node answers a stranger at the address
   * it announced while it waits to be added, or while it follows that peer
   * as leader; once its log names the members, those links go.
   */
  handshake(info: PeerInfo): void {
    this.versions.set(info.id, info.commandVersion ?? 1);
    const membership = this.view.membership();
    if (info.id === this.view.id || findMember(membership, info.id) !== undefined) return;
    if (!this.strangers.has(info.id) && !this.roomForStranger()) return;
    this.strangers.set(info.id, { raftAddr: info.raftAddr, linked: true });
    this.transport.setPeer(info.id, info.raftAddr);
  }

  /**
   * Links to the strangers this node waits for, follows, or may need (it
   * follows no leader: one of them may lead, added while this node was
   * away), and no longer to the others. A stranger that joined the
   * configuration is a member now; the others stay known, unlinked: their
   * connection is still open and will not shake hands again, so one that
   * leads later must still be heard (`knowsSender` decides when).
   */
  pruneStrangers(): void {
    const membership = this.view.membership();
    const waiting = findMember(membership, this.view.id) === undefined;
    const { lead } = this.view.core();
    for (const [id, stranger] of this.strangers) {
      if (findMember(membership, id) !== undefined) {
        this.strangers.delete(id);
        continue;
      }
      const linked = waiting || lead === "" || id === lead;
      if (linked === stranger.linked) continue;
      stranger.linked = linked;
      if (linked) this.transport.setPeer(id, stranger.raftAddr);
      else this.transport.removePeer(id);
    }
  }

  /** Whether one more stranger fits: when the book is full, the oldest unlinked one makes way. */
  private roomForStranger(): boolean {
    if (this.strangers.size < STRANGERS_MAX) return true;
    for (const [id, stranger] of this.strangers) {
      if (stranger.linked) continue;
      this.strangers.delete(id);
      return true;
    }
    return false;
  }

  /**
   * Whom the transport talks to. Inbound, a peer must name our cluster and
   * be one we can place: a member, a node this leader is adding, or (while
   * this node waits to be added or knows no leader) a possible leader. A
   * fresh node admits the member that is adding it; a node of another
   * cluster only when this node may be adopted. Outbound, we chose the peer:
   * only a conflicting cluster id is refused.
   */
  admit(info: PeerInfo, inbound: boolean): string | null {
    const ours = this.view.clusterId();
    const conflict = `Peer "${info.id}" is in cluster "${info.clusterId}", not "${ours}"`;
    if (!inbound) return clustersConflict(ours, info.clusterId) ? conflict : null;
    if (info.clusterId === "") return `Peer "${info.id}" names no cluster`;
    if (ours === "") return null;
    if (info.clusterId !== ours) {
      const verdict = this.view.mayAdopt(info);
      return verdict === true ? null : `${conflict}: ${verdict}`;
    }
    if (this.canPlace(info.id)) return null;
    return `Node "${info.id}" is not a member of cluster "${ours}"`;
  }

  /** Why a peer's message must not reach the loop (it was counted and logged), or null. */
  filter(m: Message): string | null {
    const refused = this.knowsSender(m)
      ? (m.type === "snap" && m.snapshot !== null ? this.checkSnapshot(m.snapshot) : null)
      : `"${m.from}" is not a member of this node's configuration`;
    if (refused !== null) this.dropped(m, refused);
    return refused;
  }

  /** Counts and logs (rate-limited) a peer message dropped here or by the core. */
  dropped(m: Message, reason: string): void {
    this.messagesDropped++;
    this.dropLog.warn(m.from, "dropped a peer message", {
      from: m.from,
      type: m.type,
      term: m.term,
      reason,
    });
  }

  /**
   * The newest command version every member can apply: the lowest any
   * member announced, and `ours` for this node. A member not heard from
   * since this node started is taken to run `ours` (a dead member must not
   * hold the cluster back); one that comes back older stops with a clear
   * error on the first command it cannot apply.
   */
  commandVersion(ours: number): number {
    let version = ours;
    for (const m of this.view.membership()) {
      if (m.id !== this.view.id) version = Math.min(version, this.versions.get(m.id) ?? ours);
    }
    return version;
  }

  /** Everything refused or dropped from peers: handshakes, frames and messages. */
  droppedTotal(): number {
    const inbound = this.transport.inboundStats();
    return this.messagesDropped + inbound.handshakesRefused + inbound.framesDropped;
  }

  /** The content of a snapshot from the network, decoded when it arrived. */
  decoded(snapshot: Snapshot): SnapshotContent | undefined {
    return this.decodedSnapshots.get(snapshot.data);
  }

  private canPlace(id: NodeId): boolean {
    const membership = this.view.membership();
    if (findMember(membership, id) !== undefined || this.view.joining().has(id)) return true;
    if (this.strangers.has(id)) return true;
    return findMember(membership, this.view.id) === undefined || this.view.core().lead === "";
  }

  /**
   * Members are heard. A node waiting to be added hears the strangers it
   * answers. A member hears a stranger only as a possible leader or
   * candidate (one added while this node was away, which the cluster may
   * need), only while it follows no other leader, and only a bounded number
   * of terms ahead, so no stranger can push its term toward the limit.
   */
  private knowsSender(m: Message): boolean {
    const membership = this.view.membership();
    if (findMember(membership, m.from) !== undefined) return true;
    if (!this.strangers.has(m.from)) return false;
    if (findMember(membership, this.view.id) === undefined) return true;
    const { lead, term } = this.view.core();
    if ((lead !== "" && lead !== m.from) || m.term > term + STRANGER_TERMS_AHEAD_MAX) return false;
    return STRANGER_TYPES.has(m.type);
  }

  /**
   * A snapshot is decoded and checked against its metadata before the core
   * sees it, so a corrupt one is dropped instead of being installed. The
   * decoded state is kept for the restore.
   */
  private checkSnapshot(snapshot: Snapshot): string | null {
    let content: SnapshotContent;
    try {
      content = decodeSnapshot(snapshot.data);
    } catch (error) {
      return (error as Error).message;
    }
    if (content.appliedIndex !== snapshot.meta.index) {
      return `snapshot data is at index ${content.appliedIndex}, its metadata says ${snapshot.meta.index}`;
    }
    if (JSON.stringify(content.membership) !== JSON.stringify(snapshot.meta.membership)) {
      return "snapshot data and metadata name different members";
    }
    this.decodedSnapshots.set(snapshot.data, content);
    return null;
  }
}
