/**
 * Membership: encoding of single-server changes (§4.1) and the pure
 * function that applies one to a configuration.
 *
 * @module
 */

import type { ConfChange, Member, Membership, NodeId } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CONF_OPS: readonly ConfChange["op"][] = ["addLearner", "promote", "remove", "addVoter"];

/**
 * Encodes a membership change for a `conf` log entry.
 *
 * @example
 * ```ts
 * import { decodeConfChange, encodeConfChange } from "./membership.ts";
 * const change = { op: "addLearner" as const, id: "n2", raftAddr: "127.0.0.1:7002", httpAddr: "" };
 * if (decodeConfChange(encodeConfChange(change)).id !== "n2") throw new Error();
 * ```
 */
export function encodeConfChange(change: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(change));
}

/** Decodes a `conf` entry's data; throws on anything that is not a well-formed change. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const value: unknown = JSON.parse(decoder.decode(data));
  if (typeof value !== "object" || value === null) throw new Error("Conf change is not an object");
  const { op, id, raftAddr, httpAddr } = value as Record<string, unknown>;
  if (!CONF_OPS.includes(op as ConfChange["op"])) throw new Error(`Unknown conf change "${op}"`);
  if (typeof id !== "string" || id === "") throw new Error("Conf change has no node id");
  if (typeof raftAddr !== "string" || typeof httpAddr !== "string") {
    throw new Error(`Conf change for "${id}" has bad addresses`);
  }
  return { op: op as ConfChange["op"], id, raftAddr, httpAddr };
}

/** The member with `id`, or undefined. */
export function findMember(membership: Membership, id: NodeId): Member | undefined {
  return membership.find((member) => member.id === id);
}

/** True when `id` is a voter. */
export function isVoter(membership: Membership, id: NodeId): boolean {
  return findMember(membership, id)?.voter === true;
}

/** The voters' ids. */
export function voterIds(membership: Membership): NodeId[] {
  return membership.filter((member) => member.voter).map((member) => member.id);
}

/** Why `change` cannot apply to `membership`, or null when it can. */
export function checkConfChange(membership: Membership, change: ConfChange): string | null {
  const member = findMember(membership, change.id);
  switch (change.op) {
    case "addLearner":
    case "addVoter":
      return member === undefined ? null : `Node id "${change.id}" is already a member`;
    case "promote":
      if (member === undefined) return `Node id "${change.id}" is not a member`;
      return member.voter ? `Node id "${change.id}" is already a voter` : null;
    case "remove":
      if (member === undefined) return `Node id "${change.id}" is not a member`;
      if (member.voter && voterIds(membership).length === 1) {
        return `Cannot remove "${change.id}": it is the last voter`;
      }
      return null;
  }
}

/**
 * Applies a change that {@link checkConfChange} accepted; returns a new
 * membership sorted by id. A change that does not apply leaves it as it is
 * (a follower applies whatever its leader appended).
 */
export function applyConfChange(membership: Membership, change: ConfChange): Membership {
  if (checkConfChange(membership, change) !== null) return membership;
  const others = membership.filter((member) => member.id !== change.id);
  const current = findMember(membership, change.id);
  if (change.op === "remove") return others;
  const next: Member = change.op === "promote" && current !== undefined
    ? { ...current, voter: true }
    : {
      id: change.id,
      voter: change.op === "addVoter",
      raftAddr: change.raftAddr,
      httpAddr: change.httpAddr,
    };
  return [...others, next].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
