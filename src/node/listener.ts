/**
 * What a node does when its driver reports: the operator's log lines and
 * the counts behind them (through `NodeEvents`), keeping the peer book in
 * step with the configuration and the leader, waking joins when a learner
 * becomes a voter, promoting learners on ticks. An extra listener (the
 * simulator's) hears every report after the node.
 *
 * @module
 */

import type { MemberOp, NodeEvents } from "../metrics/node_events.ts";
import type { Logger } from "../log.ts";
import type { ConfChange, NodeId } from "../raft/types.ts";
import type { DriverListener } from "./driver.ts";
import type { CoreState } from "./driver_options.ts";
import type { Members } from "./membership.ts";
import type { PeerBook } from "./peers.ts";
import { campaignStarted, type SeenSince, stepDownReason } from "./role_changes.ts";

/** What the node's listener reaches. */
export interface NodeListenerParts {
  id: NodeId;
  log: Logger;
  /** Log lines and counts of what happened. */
  events: NodeEvents;
  peers(): PeerBook;
  members(): Members;
  /** On the leader, proposes the revocation of expired leases. */
  expireLeases(): void;
  /** Hears every report after the node (absent in production). */
  extra: DriverListener | undefined;
}

const MEMBER_OPS: Record<ConfChange["op"], MemberOp> = {
  addLearner: "added",
  addVoter: "added",
  promote: "promoted",
  remove: "removed",
};

/**
 * The listener a node gives its driver.
 *
 * @example
 * ```ts ignore
 * const listener = nodeListener({ id: "n1", log, events, peers: () => peers, members: () => members, expireLeases() {}, extra: undefined });
 * ```
 */
export function nodeListener(parts: NodeListenerParts): DriverListener {
  const { log, events, extra } = parts;
  const seen: SeenSince = { transferAsked: false, removed: false };
  return {
    stateChanged(now, before) {
      reportState(events, now, before, seen);
      seen.transferAsked = false;
      seen.removed = false;
      if (now.lead !== before.lead) parts.peers().pruneStrangers();
      extra?.stateChanged?.(now, before);
    },
    memberChanged(change, index, voter) {
      events.memberChanged(MEMBER_OPS[change.op], change.id, index);
      if (change.op === "remove" && change.id === parts.id) seen.removed = true;
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
      else if (m.type === "timeoutNow") seen.transferAsked = true;
      extra?.messageStepped?.(m, dropped);
    },
    proposalFailed() {
      events.proposalFailed();
      extra?.proposalFailed?.();
    },
    snapshotStarted(meta) {
      events.snapshotStarted(meta.index);
      extra?.snapshotStarted?.(meta);
    },
    snapshotSaved(meta, bytes, seconds) {
      events.snapshotTaken(meta.index, bytes, seconds);
      extra?.snapshotSaved?.(meta, bytes, seconds);
    },
    snapshotInstalled(meta, bytes) {
      events.snapshotInstalled(meta.index, bytes);
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

/** The log lines and counts of one change of role, term or leader. */
function reportState(events: NodeEvents, now: CoreState, before: CoreState, seen: SeenSince) {
  const reason = stepDownReason(now, before, seen);
  if (reason !== null) events.steppedDown(now.term, reason);
  const campaign = campaignStarted(now, before, seen);
  // A leader seen again in a later term (it won the election this node missed) is news too.
  const leaderNews = now.lead !== before.lead || (now.term !== before.term && now.lead !== "");
  // Unix time: the dashboard shows when each leader was seen.
  if (leaderNews && now.lead === "") events.leaderChanged(now.term, now.lead, Date.now());
  if (campaign !== null) events.electionStarted(campaign.term, campaign.reason);
  if (leaderNews && now.lead !== "") events.leaderChanged(now.term, now.lead, Date.now());
}
