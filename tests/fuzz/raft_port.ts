/**
 * Fuzzing the Raft port of a real three-node cluster: seeded hostile
 * connections against every node in turn, several at once. On a plain
 * cluster, strangers and liars with a member's id (`frames.ts`); on one with
 * a cluster secret, strangers who cannot prove it and members who can but
 * send only bad frames (`secure_frames.ts`). Then the checks that matter: no
 * node exited, no term moved beyond a small bound, and the cluster still
 * takes a write and serves every value written before and during the run.
 *
 * @module
 */

import { ClusterSecret } from "../../src/secret/mod.ts";
import { assertEquals, assertTrue } from "../assert.ts";
import { forEachBounded, type NodeProcess, sleep } from "../cluster/harness.ts";
import { RawPeer } from "../transport/harness.ts";
import { caseRng, fuzzCase, type Target } from "./frames.ts";
import { type FuzzCluster, withFuzzCluster } from "./fuzz_cluster.ts";
import { type SecureCase, secureCase } from "./secure_frames.ts";

/** Elections the cluster may hold during a run on a busy machine; a stranger causes none. */
const TERM_SLACK = 2;
/** How long one connection may take before the fuzzer moves on. */
const CONNECTION_MS_MAX = 2000;
/** How long the fuzzer waits for the node to hang up after its last frame. */
const HANG_UP_WAIT_MS = 50;
/** Cases generated and played per batch (generation is sequential, play concurrent). */
const BATCH_CASES = 256;
/** A secret no member holds. */
const WRONG_SECRET = "not-the-cluster-secret-0123456789abcdef";

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

/** Writes `writes` on a fresh connection, waits briefly for the node to hang up, closes. */
async function play(raftAddr: string, run: (raw: RawPeer) => Promise<void>): Promise<void> {
  let raw: RawPeer;
  try {
    raw = await RawPeer.connect(raftAddr);
  } catch {
    return;
  }
  const timer = setTimeout(() => raw.close(), CONNECTION_MS_MAX);
  try {
    await run(raw);
    await raw.closedByRemote(HANG_UP_WAIT_MS);
  } catch {
    // The node hung up first: that is what it should do.
  } finally {
    clearTimeout(timer);
    raw.close();
  }
}

async function writeAll(raw: RawPeer, writes: Uint8Array[]): Promise<void> {
  for (const bytes of writes) await raw.write(bytes);
}

/** Plays a case against a node that asks for the secret. */
async function playSecure(raw: RawPeer, c: SecureCase, secrets: Secrets): Promise<void> {
  if (c.kind === "raw") return await writeAll(raw, c.writes);
  const secret = c.secret === "right" ? secrets.right : secrets.wrong;
  // Frames follow whatever the node answered: after a refusal they must go unread.
  await raw.proveHandshake(c.as, secret, c.proof ?? undefined);
  await writeAll(raw, c.frames);
}

interface Secrets {
  right: ClusterSecret;
  wrong: ClusterSecret;
}

async function targetOf(fuzz: FuzzCluster, node: NodeProcess): Promise<Target> {
  const status = await fuzz.cluster.status(node);
  if (status === null) throw new Error(`"${node.id}" does not answer before the run`);
  return {
    id: node.id,
    clusterId: status.clusterId,
    members: status.members.map((m) => m.id),
    term: status.term,
  };
}

async function totals(fuzz: FuzzCluster): Promise<{ term: number; dropped: number }> {
  let term = 0;
  let dropped = 0;
  for (const node of fuzz.cluster.nodes) {
    assertTrue(node.child !== null, `"${node.id}" still runs`);
    const status = await fuzz.cluster.status(node);
    assertTrue(status !== null, `"${node.id}" answers`);
    term = Math.max(term, status.term);
    dropped += status.droppedPeerMessages;
  }
  return { term, dropped };
}

/**
 * Plays `cases` hostile connections from `seed` against the nodes of
 * `fuzz`, `concurrency` at a time; answers the frames sent.
 */
async function attack(
  fuzz: FuzzCluster,
  seed: number,
  cases: number,
  concurrency: number,
): Promise<number> {
  const nodes = fuzz.cluster.nodes;
  const targets = await Promise.all(nodes.map((n) => targetOf(fuzz, n)));
  const secrets = fuzz.secret === null ? null : {
    right: fuzz.secret,
    wrong: await ClusterSecret.parse(WRONG_SECRET, "wrong"),
  };
  let frames = 0;
  for (let first = 0; first < cases; first += BATCH_CASES) {
    const indexes = Array.from(
      { length: Math.min(BATCH_CASES, cases - first) },
      (_, i) => first + i,
    );
    const plays = indexes.map((i) => {
      const target = targets[i % targets.length]!;
      const node = nodes[i % nodes.length]!;
      const rng = caseRng(seed, i);
      if (secrets === null) {
        const c = fuzzCase(rng, target);
        frames += 1 + c.frames.length;
        return () => play(node.raftAddr, (raw) => writeAll(raw, [c.hello, ...c.frames]));
      }
      const c = secureCase(rng, target);
      frames += c.kind === "raw" ? c.writes.length : 2 + c.frames.length;
      return () => play(node.raftAddr, (raw) => playSecure(raw, c, secrets));
    });
    await forEachBounded(plays, concurrency, (run) => run());
  }
  return frames;
}

/** The cluster serves a write and every value of `model` on every node. */
export async function expectModel(fuzz: FuzzCluster, model: Map<string, string>): Promise<void> {
  const leader = await fuzz.cluster.leader({ voters: 3 });
  const key = `model/after-${model.size}`;
  assertEquals((await fuzz.put(leader, key, "written")).status, 200);
  model.set(key, "written");
  for (const node of fuzz.cluster.nodes) {
    for (const [k, value] of model) {
      const read = await fuzz.read(node, k);
      assertEquals(read.status, 200, `"${k}" on "${node.id}": ${read.text}`);
      assertEquals((read.json() as { value: string }).value, value, `"${k}" on "${node.id}"`);
    }
  }
}

/** Runs `cases` hostile connections from `seed` against a fresh three-node cluster. */
export async function fuzzRaftPort(
  seed: number,
  cases: number,
  options: { secure?: boolean; concurrency?: number } = {},
): Promise<FuzzReport> {
  let report: FuzzReport | null = null;
  await withFuzzCluster(options.secure ?? false, async (fuzz) => {
    report = await fuzzRaftPortOf(fuzz, seed, cases, options.concurrency ?? 1);
  });
  return report!;
}

/** {@link fuzzRaftPort} on a cluster that runs already. */
export async function fuzzRaftPortOf(
  fuzz: FuzzCluster,
  seed: number,
  cases: number,
  concurrency: number,
): Promise<FuzzReport> {
  const leader = await fuzz.cluster.leader({ voters: 3 });
  const model = new Map([["model/raft-before", `kept-${seed}`]]);
  assertEquals((await fuzz.put(leader, "model/raft-before", `kept-${seed}`)).status, 200);
  const before = await totals(fuzz);
  const frames = await attack(fuzz, seed, cases, concurrency);
  await sleep(1000);
  const after = await totals(fuzz);
  assertTrue(
    after.term <= before.term + TERM_SLACK,
    `term went from ${before.term} to ${after.term}`,
  );
  await expectModel(fuzz, model);
  return {
    seed,
    cases,
    frames,
    dropped: after.dropped - before.dropped,
    termBefore: before.term,
    termAfter: after.term,
  };
}
