/**
 * Membership: encoding of single-server changes (§4.1) and the pure
 * function that applies one to a configuration.
 *
 * @module
 */

import { ADDRESS_LENGTH_MAX, NODE_ID_LENGTH_MAX } from "./limits.ts";
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

/**
 * Decodes a `conf` entry's data; throws on anything that is not a well-formed change.
 *
 * @example
 * ```ts
 * import { decodeConfChange } from "./membership.ts";
 * let refused = false;
 * try {
 *   decodeConfChange(new TextEncoder().encode('{"op":"explode","id":"n2"}'));
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error();
 * ```
 */
export function decodeConfChange(data: Uint8Array): ConfChange {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    throw new Error("Conf change is not JSON");
  }
  if (typeof value !== "object" || value === null) throw new Error("Conf change is not an object");
  const { op, id, raftAddr, httpAddr } = value as Record<string, unknown>;
  if (!CONF_OPS.includes(op as ConfChange["op"])) throw new Error(`Unknown conf change "${op}"`);
  const invalid = checkMember({ id, voter: false, raftAddr, httpAddr });
  if (invalid !== null) throw new Error(`Conf change: ${invalid}`);
  return {
    op: op as ConfChange["op"],
    id: id as string,
    raftAddr: raftAddr as string,
    httpAddr: httpAddr as string,
  };
}

/**
 * Why `value` is not a well-formed member (id, voter flag, addresses within
 * their bounds), or null when it is.
 *
 * @example
 * ```ts
 * import { checkMember } from "./membership.ts";
 * if (checkMember({ id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" }) !== null) {
 *   throw new Error();
 * }
 * if (checkMember({ id: "", voter: true, raftAddr: "a:1", httpAddr: "" }) === null) {
 *   throw new Error();
 * }
 * ```
 */
export function checkMember(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "a member is not an object";
  const { id, voter, raftAddr, httpAddr } = value as Record<string, unknown>;
  if (typeof id !== "string" || id === "" || id.length > NODE_ID_LENGTH_MAX) {
    return `member id ${
      JSON.stringify(id)?.slice(0, 80)
    } is not 1..${NODE_ID_LENGTH_MAX} characters`;
  }
  if (typeof voter !== "boolean") return `member "${id}" has no voter flag`;
  for (const addr of [raftAddr, httpAddr]) {
    if (typeof addr !== "string" || addr.length > ADDRESS_LENGTH_MAX) {
      return `member "${id}" has a bad address`;
    }
  }
  return null;
}

/**
 * The member with `id`, or undefined.
 *
 * @example
 * ```ts
 * import { findMember } from "./membership.ts";
 * const one = [{ id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" }];
 * if (findMember(one, "n1")?.raftAddr !== "a:1" || findMember(one, "n2") !== undefined) {
 *   throw new Error();
 * }
 * ```
 */
export function findMember(membership: Membership, id: NodeId): Member | undefined {
  return membership.find((member) => member.id === id);
}

/**
 * True when `id` is a voter.
 *
 * @example
 * ```ts
 * import { isVoter } from "./membership.ts";
 * const members = [{ id: "n1", voter: false, raftAddr: "a:1", httpAddr: "" }];
 * if (isVoter(members, "n1") || isVoter(members, "n2")) throw new Error("a learner does not vote");
 * ```
 */
export function isVoter(membership: Membership, id: NodeId): boolean {
  return findMember(membership, id)?.voter === true;
}

/**
 * The voters' ids, in the membership's order.
 *
 * @example
 * ```ts
 * import { voterIds } from "./membership.ts";
 * const members = [
 *   { id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" },
 *   { id: "n2", voter: false, raftAddr: "a:2", httpAddr: "" },
 * ];
 * if (voterIds(members).join() !== "n1") throw new Error();
 * ```
 */
export function voterIds(membership: Membership): NodeId[] {
  return membership.filter((member) => member.voter).map((member) => member.id);
}

/**
 * Why `change` cannot apply to `membership`, or null when it can.
 *
 * @example
 * ```ts
 * import { checkConfChange } from "./membership.ts";
 * const one = [{ id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" }];
 * const removal = { op: "remove" as const, id: "n1", raftAddr: "", httpAddr: "" };
 * if (checkConfChange(one, removal) !== 'Cannot remove "n1": it is the last voter') {
 *   throw new Error();
 * }
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { applyConfChange } from "./membership.ts";
 * const one = [{ id: "n1", voter: true, raftAddr: "a:1", httpAddr: "" }];
 * const two = applyConfChange(one, { op: "addLearner", id: "n0", raftAddr: "a:0", httpAddr: "" });
 * if (two.map((m) => `${m.id}:${m.voter}`).join() !== "n0:false,n1:true") throw new Error();
 * ```
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
