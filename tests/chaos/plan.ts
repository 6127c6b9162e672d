/**
 * The fault plan of one chaos run, drawn from its seed before anything
 * starts: which faults, in which order, how long each lasts and whom it
 * picks. The same seed and options always give the same plan, so a failing
 * run's faults can be replayed; only the timing of real processes differs.
 *
 * @module
 */

import { createRng, type Rng } from "../../src/raft/rng.ts";

/** What `--nemesis` names: one kind of fault, or all of them mixed. */
export type NemesisName = "kill" | "pause" | "partition" | "membership" | "disk" | "mixed";

/** Every nemesis, in the order `--help` lists them. */
export const NEMESES: readonly NemesisName[] = [
  "kill",
  "pause",
  "partition",
  "membership",
  "disk",
  "mixed",
];

/** The shapes of a network partition. */
export type PartitionShape = "leader-isolated" | "majority-minority" | "one-way" | "bridge";

/** One fault, before it is resolved against the cluster (who leads is known only then). */
export type FaultSpec =
  /** `kill -9`, then a restart on the same data directory. */
  | { kind: "kill"; target: "leader" | "follower" }
  /** `SIGSTOP` of the leader, then `SIGCONT`. */
  | { kind: "pause"; target: "leader" }
  /** Links cut by `iptables`, then restored. */
  | { kind: "partition"; shape: PartitionShape }
  /**
   * `remove-add`: a member is removed and stopped, then added back with a
   * fresh data directory; `add-remove`: a spare node joins, then is removed.
   */
  | { kind: "membership"; change: "remove-add" | "add-remove"; target: "leader" | "follower" }
  /** A full disk (tmpfs) or syncs failing with `EIO` (strace), then a restart once cleared. */
  | { kind: "disk"; fault: "full" | "eio"; target: "leader" | "follower" };

/** The kinds of fault, as reports group them. */
export type FaultKind = FaultSpec["kind"];

/** One fault of the plan and the quiet time before it. */
export interface Episode {
  /** Healthy time before the fault starts, in milliseconds. */
  quietMs: number;
  /** How long the fault holds before it is healed, in milliseconds. */
  faultMs: number;
  spec: FaultSpec;
  /** Picks among candidates when the fault starts (which follower, which split). */
  pick: number;
  /** With `mixed`: a membership change made while this fault holds, undone after it. */
  during: Extract<FaultSpec, { kind: "membership" }> | null;
}

/** Bounds of a plan, in milliseconds. */
const QUIET_MS_MIN = 1_500;
const QUIET_MS_SPAN = 2_000;
const FAULT_MS_MIN = 2_500;
const FAULT_MS_SPAN = 3_500;
/** Most episodes in one run, whatever its length. */
const EPISODES_MAX = 1_000;
/** One `mixed` fault in this many also changes the membership while it holds. */
const MEMBERSHIP_DURING_ONE_IN = 4;
/** The range of `Episode.pick`. */
export const PICK_BOUND = 1_000_000;

const ROLES = ["leader", "follower"] as const;
const SHAPES: readonly PartitionShape[] = [
  "leader-isolated",
  "majority-minority",
  "one-way",
  "bridge",
];
const SINGLE_KINDS: readonly FaultKind[] = ["kill", "pause", "partition", "membership", "disk"];

function choose<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function membership(rng: Rng): Extract<FaultSpec, { kind: "membership" }> {
  return {
    kind: "membership",
    change: choose(rng, ["remove-add", "add-remove"] as const),
    target: choose(rng, ROLES),
  };
}

function faultOf(kind: FaultKind, rng: Rng): FaultSpec {
  switch (kind) {
    case "kill":
      return { kind, target: choose(rng, ROLES) };
    case "pause":
      return { kind, target: "leader" };
    case "partition":
      return { kind, shape: choose(rng, SHAPES) };
    case "membership":
      return membership(rng);
    case "disk":
      return { kind, fault: choose(rng, ["full", "eio"] as const), target: choose(rng, ROLES) };
  }
}

/**
 * The episodes of a run of `seconds` under `nemesis`, drawn from `seed`:
 * faults follow each other until their quiet and fault times fill the run
 * (at least one).
 *
 * @example
 * ```ts
 * import { planRun } from "./plan.ts";
 * const a = planRun("mixed", 42, 30), b = planRun("mixed", 42, 30);
 * if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("same seed, same plan");
 * ```
 */
export function planRun(nemesis: NemesisName, seed: number, seconds: number): Episode[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Seed must be an integer from 0 to 4294967295, got "${seed}"`);
  }
  const rng = createRng(seed);
  const episodes: Episode[] = [];
  let plannedMs = 0;
  while (episodes.length < EPISODES_MAX && (episodes.length === 0 || plannedMs < seconds * 1000)) {
    const kind = nemesis === "mixed" ? choose(rng, SINGLE_KINDS) : nemesis;
    const spec = faultOf(kind, rng);
    const withChange = nemesis === "mixed" && kind !== "membership" &&
      rng.int(MEMBERSHIP_DURING_ONE_IN) === 0;
    const episode = {
      quietMs: QUIET_MS_MIN + rng.int(QUIET_MS_SPAN),
      faultMs: FAULT_MS_MIN + rng.int(FAULT_MS_SPAN),
      spec,
      pick: rng.int(PICK_BOUND),
      during: withChange ? membership(rng) : null,
    };
    episodes.push(episode);
    plannedMs += episode.quietMs + episode.faultMs;
  }
  return episodes;
}

/** A one-line description of a fault spec for timelines: `kill leader`, `partition bridge`. */
export function describeSpec(spec: FaultSpec): string {
  switch (spec.kind) {
    case "kill":
    case "pause":
      return `${spec.kind} ${spec.target}`;
    case "partition":
      return `partition ${spec.shape}`;
    case "membership":
      return `membership ${spec.change} ${spec.target}`;
    case "disk":
      return `disk ${spec.fault} ${spec.target}`;
  }
}
