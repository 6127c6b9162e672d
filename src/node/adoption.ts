/**
 * Adoption: a node that bootstrapped alone and never applied a client write
 * may be added to another cluster by that cluster's leader (the dialects'
 * joins work this way). It then starts over with the other cluster's id and
 * an empty log; the node builds a new driver for it.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { NodeId } from "../raft/types.ts";
import type { PeerInfo } from "../transport/types.ts";
import type { Driver } from "./driver.ts";

/** What deciding on an adoption needs from the node. */
export interface AdoptionDeps {
  id: NodeId;
  driver(): Driver;
  /** True while this node adds members to its own cluster. */
  adding(): boolean;
  log: Logger;
  /** The node's cluster id now, and how to change it at once (before the log is reset). */
  clusterId(): string;
  setClusterId(clusterId: string): void;
  /** Starts over in `info`'s cluster, soon and off the handshake's path. */
  adopt(info: PeerInfo): void;
}

/**
 * Decides whether another cluster may adopt this node.
 *
 * @example
 * ```ts ignore
 * const adoption = new Adoption(deps);
 * const verdict = adoption.consider(info); // true, or why not
 * ```
 */
export class Adoption {
  private readonly deps: AdoptionDeps;
  private adopting = "";

  /** @param deps the node's driver, cluster id and the way to start over */
  constructor(deps: AdoptionDeps) {
    this.deps = deps;
  }

  /**
   * A node of another cluster wants us. Only a node that bootstrapped alone
   * and never applied a client write may be adopted; then it starts over
   * with that cluster's id and log. Answers true, or why not.
   */
  consider(info: PeerInfo): true | string {
    if (this.adopting === info.clusterId) return true;
    if (this.deps.adding()) return `node "${this.deps.id}" is adding members to its own cluster`;
    if (!this.pristine()) {
      this.deps.log.warn("refused a node of another cluster: this node holds data", {
        peer: info.id,
        cluster: info.clusterId,
      });
      return `node "${this.deps.id}" holds data and cannot join another cluster`;
    }
    // From now on every handshake carries the new id, so the peer never sees
    // (and never adopts) the one this node is leaving.
    this.adopting = info.clusterId;
    this.deps.setClusterId(info.clusterId);
    this.deps.adopt(info);
    return true;
  }

  /** The adoption into `clusterId` finished. */
  done(clusterId: string): void {
    if (this.adopting === clusterId) this.adopting = "";
    this.deps.log.info("adopted into another cluster", { cluster: clusterId });
  }

  private pristine(): boolean {
    const core = this.deps.driver().core;
    const membership = core.currentMembership();
    const alone = membership.length === 1 && membership[0]?.id === this.deps.id;
    return alone && core.log.offset === 0 &&
      core.log.entries.every((e) => e.type === "conf" || e.data.length === 0);
  }
}
