/**
 * Fuzzing the Raft port of a real three-node cluster: seeded hostile
 * connections (see `frames.ts`) against every node in turn, then the checks
 * that matter: no node exited, no term moved beyond a small bound, and the
 * cluster still takes a write and serves it on every node.
 *
 * @module
 */

import { createRng } from "../../src/raft/rng.ts";
import { assertEquals, assertTrue } from "../assert.ts";
import {
  type Cluster,
  getConsistent,
  type NodeProcess,
  putKey,
  sleep,
  withCluster,
} from "../cluster/harness.ts";
import { RawPeer } from "../transport/harness.ts";
import { type FuzzCase, fuzzCase, type Target } from "./frames.ts";

/** Elections the cluster may hold during a run on a busy machine; a stranger causes none. */
const TERM_SLACK = 2;
/** How long one connection may take before the fuzzer moves on. */
const CONNECTION_MS_MAX = 2000;

/** What one run did. */
export interface FuzzReport {
  seed: number;
  cases: number;
  frames: number;
  /** Input the cluster counted as refused or dropped. */
  dropped: number;
  termBefore: number;
  termAfter: number;
}

async function play(raftAddr: string, c: FuzzCase): Promise<void> {
  let raw: RawPeer;
  try {
    raw = await RawPeer.connect(raftAddr);
  } catch {
    return;
  }
  const timer = setTimeout(() => raw.close(), CONNECTION_MS_MAX);
  try {
    await raw.write(c.hello);
    for (const bytes of c.frames) await raw.write(bytes);
    await raw.closedByRemote(50);
  } catch {
    // The node hung up first: that is what it should do.
  } finally {
    clearTimeout(timer);
    raw.close();
  }
}

async function target(cluster: Cluster, node: NodeProcess): Promise<Target> {
  const status = await cluster.status(node);
  if (status === null) throw new Error(`"${node.id}" does not answer before the run`);
  return {
    id: node.id,
    clusterId: status.clusterId,
    members: status.members.map((m) => m.id),
    term: status.term,
  };
}

async function totals(cluster: Cluster): Promise<{ term: number; dropped: number }> {
  let term = 0;
  let dropped = 0;
  for (const node of cluster.nodes) {
    assertTrue(node.child !== null, `"${node.id}" still runs`);
    const status = await cluster.status(node);
    assertTrue(status !== null, `"${node.id}" answers`);
    term = Math.max(term, status.term);
    dropped += status.droppedPeerMessages;
  }
  return { term, dropped };
}

/** Runs `cases` hostile connections from `seed` against a fresh three-node cluster. */
export async function fuzzRaftPort(seed: number, cases: number): Promise<FuzzReport> {
  let report: FuzzReport | null = null;
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const leader = await cluster.form(3);
    assertEquals((await putKey(leader.httpAddr, "fuzz-before", "kept")).status, 200);
    const before = await totals(cluster);
    const targets = await Promise.all(cluster.nodes.map((n) => target(cluster, n)));
    const rng = createRng(seed);
    let frames = 0;
    for (let i = 0; i < cases; i++) {
      const node = cluster.nodes[i % cluster.nodes.length]!;
      const c = fuzzCase(rng, targets[i % targets.length]!);
      frames += 1 + c.frames.length;
      await play(node.raftAddr, c);
    }
    await sleep(1000);
    const after = await totals(cluster);
    assertTrue(
      after.term <= before.term + TERM_SLACK,
      `term went from ${before.term} to ${after.term}`,
    );
    const now = await cluster.leader();
    assertEquals((await putKey(now.httpAddr, "fuzz-after", "written")).status, 200);
    for (const node of cluster.nodes) {
      for (const [key, value] of [["fuzz-before", "kept"], ["fuzz-after", "written"]]) {
        const read = await getConsistent(node.httpAddr, key!);
        assertEquals(read.status, 200, `"${key}" on "${node.id}": ${read.text}`);
        assertEquals((read.json() as { value: string }).value, value);
      }
    }
    report = {
      seed,
      cases,
      frames,
      dropped: after.dropped - before.dropped,
      termBefore: before.term,
      termAfter: after.term,
    };
  });
  return report!;
}
