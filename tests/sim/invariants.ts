/**
 * The safety properties of Raft (Figure 3.2 of the dissertation), checked
 * against every node of a simulation as it runs.
 *
 * @module
 */

import type { RaftNode } from "../../src/raft/raft.ts";
import type { Entry, NodeId } from "../../src/raft/types.ts";

/** A broken safety property. */
export class InvariantError extends Error {
  /** @param message which property broke and how */
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

function entryKey(entry: Entry): string {
  let text = `${entry.type}:`;
  for (const byte of entry.data) text += String.fromCharCode(byte);
  return text;
}

/** Everything the checker has seen across all nodes. */
export class SafetyChecker {
  /** term → the node that led it. */
  private readonly leaders = new Map<number, NodeId>();
  /** "index:term" → the entry's content: two logs with the same index and term hold the same entry. */
  private readonly entries = new Map<string, string>();
  /** index → term of the committed entry. */
  private readonly committed = new Map<number, number>();
  /** index → content of the applied entry. */
  private readonly applied = new Map<number, string>();
  private committedMax = 0;
  /** How many times each property was checked, for the report. */
  readonly checks = {
    leaders: 0,
    entries: 0,
    commits: 0,
    applies: 0,
    completeness: 0,
    matching: 0,
  };

  /** Election safety (§3.4): at most one leader per term. */
  noteLeader(id: NodeId, term: number): void {
    this.checks.leaders++;
    const known = this.leaders.get(term);
    if (known !== undefined && known !== id) {
      throw new InvariantError(`Election safety: "${known}" and "${id}" both led term ${term}`);
    }
    this.leaders.set(term, id);
  }

  /** Log matching, content half: an (index, term) pair names one entry everywhere. */
  noteEntries(id: NodeId, entries: Entry[]): void {
    for (const entry of entries) {
      this.checks.entries++;
      const key = `${entry.index}:${entry.term}`;
      const content = entryKey(entry);
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, content);
      else if (known !== content) {
        throw new InvariantError(`Log matching: "${id}" holds a different entry at ${key}`);
      }
    }
  }

  /**
   * Committed entries never change: every node agrees on the term at each
   * committed index. Checks indexes after `from`; returns the commit index.
   */
  noteCommitted(id: NodeId, node: RaftNode, from: number): number {
    const log = node.log;
    for (let index = Math.max(log.offset, from) + 1; index <= log.committed; index++) {
      this.checks.commits++;
      const term = log.term(index);
      const known = this.committed.get(index);
      if (known === undefined) this.committed.set(index, term);
      else if (known !== term) {
        throw new InvariantError(
          `Commit safety: "${id}" has term ${term} at committed index ${index}, others ${known}`,
        );
      }
    }
    if (log.committed > this.committedMax) this.committedMax = log.committed;
    return log.committed;
  }

  /** State machine safety (§3.6.3): no two nodes apply different entries at one index. */
  noteApplied(id: NodeId, entry: Entry): void {
    this.checks.applies++;
    const content = `${entry.term}|${entryKey(entry)}`;
    const known = this.applied.get(entry.index);
    if (known === undefined) this.applied.set(entry.index, content);
    else if (known !== content) {
      throw new InvariantError(
        `State machine safety: "${id}" applied another entry at ${entry.index}`,
      );
    }
  }

  /** Leader completeness (§3.6): a new leader holds every entry committed before its term. */
  checkLeaderCompleteness(id: NodeId, node: RaftNode): void {
    this.checks.completeness++;
    const log = node.log;
    for (let index = 1; index <= this.committedMax; index++) {
      const term = this.committed.get(index);
      if (term === undefined || index <= log.offset) continue;
      if (log.term(index) !== term) {
        throw new InvariantError(
          `Leader completeness: leader "${id}" of term ${node.state().term} lacks committed entry ${index} (term ${term})`,
        );
      }
    }
  }

  /** Log matching, prefix half (§3.5): logs that agree at an index agree on everything before it. */
  checkLogMatching(nodes: Map<NodeId, RaftNode>): void {
    const list = [...nodes];
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        this.checks.matching++;
        this.matchPair(list[a]!, list[b]!);
      }
    }
  }

  private matchPair([idA, nodeA]: [NodeId, RaftNode], [idB, nodeB]: [NodeId, RaftNode]): void {
    const la = nodeA.log;
    const lb = nodeB.log;
    const low = Math.max(la.offset, lb.offset) + 1;
    let common = Math.min(la.lastIndex(), lb.lastIndex());
    while (common >= low && la.term(common) !== lb.term(common)) common--;
    for (let index = low; index < common; index++) {
      if (la.term(index) !== lb.term(index)) {
        throw new InvariantError(
          `Log matching: "${idA}" and "${idB}" agree at ${common} but differ at ${index}`,
        );
      }
    }
  }
}
