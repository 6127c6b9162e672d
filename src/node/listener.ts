/**
 * What a node does when its driver reports: the operator's log lines,
 * keeping the peer book in step with the configuration and the leader,
 * waking joins when a learner becomes a voter, promoting learners on ticks.
 * An extra listener (the simulator's) hears every report after the node.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { NodeId } from "../raft/types.ts";
import type { DriverListener } from "./driver.ts";
import type { Members } from "./membership.ts";
import type { PeerBook } from "./peers.ts";

/** What the node's listener reaches. */
export interface NodeListenerParts {
  id: NodeId;
  log: Logger;
  peers(): PeerBook;
  members(): Members;
  /** On the leader, proposes the revocation of expired leases. */
  expireLeases(): void;
  /** Hears every report after the node (absent in production). */
  extra: DriverListener | undefined;
}

/**
 * The listener a node gives its driver.
 *
 * @example
 * ```ts ignore
 * const listener = nodeListener({ id: "n1", log, peers: () => peers, members: () => members, extra: undefined });
 * ```
 */
export function nodeListener(parts: NodeListenerParts): DriverListener {
  const { log, extra } = parts;
  return {
    stateChanged(now, before) {
      if (now.role !== before.role || now.term !== before.term) {
        if (now.role === "leader") log.info("became leader", { term: now.term });
        else if (before.role === "leader") log.info("stepped down", { term: now.term });
      }
      if (now.lead !== before.lead) {
        if (now.lead !== "") log.info("leader is known", { leader: now.lead, term: now.term });
        parts.peers().pruneStrangers();
      }
      extra?.stateChanged?.(now, before);
    },
    memberChanged(change, index, voter) {
      const verb = change.op === "remove"
        ? "removed"
        : change.op === "promote"
        ? "promoted"
        : "added";
      log.info(`member ${verb}`, { id: change.id, index });
      parts.members().memberChanged(change, voter);
      extra?.memberChanged?.(change, index, voter);
    },
    ticked() {
      parts.members().promoteCaughtUp();
      parts.expireLeases();
      extra?.ticked?.();
    },
    turnEnded() {
      parts.peers().sync();
      extra?.turnEnded?.();
    },
    messageStepped(m, dropped) {
      if (dropped !== null) parts.peers().dropped(m, dropped);
      extra?.messageStepped?.(m, dropped);
    },
    snapshotSaved(meta, bytes, seconds) {
      log.info("snapshot taken", {
        index: meta.index,
        bytes,
        durationMs: Math.round(seconds * 1000),
      });
      extra?.snapshotSaved?.(meta, bytes, seconds);
    },
    snapshotInstalled(meta, bytes) {
      log.info("installed snapshot", { index: meta.index, bytes });
      extra?.snapshotInstalled?.(meta, bytes);
    },
    snapshotSent(to, index, bytes, error) {
      if (error === undefined) log.info("sending snapshot", { to, index, bytes });
      else log.warn("cannot send snapshot", { to, index, error });
      extra?.snapshotSent?.(to, index, bytes, error);
    },
    entriesSaved(entries) {
      extra?.entriesSaved?.(entries);
    },
    entryApplied(entry, result) {
      extra?.entryApplied?.(entry, result);
    },
  };
}
