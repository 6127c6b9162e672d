/**
 * Who may do what: a caller's permissions (per key prefix, plus the admin and
 * metrics roles), what a request needs, and the one check between the two.
 *
 * @module
 */

/** Read and write rights on every key that starts with `prefix` (`""`: every key). */
export interface Permission {
  prefix: string;
  read: boolean;
  write: boolean;
}

/** A caller: a user from the auth file, or the anonymous caller (name `""`). */
export interface Principal {
  name: string;
  /** Holds every permission: keys, membership, snapshots, full status, metrics. */
  admin: boolean;
  /** May scrape `/metrics`. */
  metrics: boolean;
  permissions: readonly Permission[];
}

/** What one request needs; an empty need is an open route. */
export interface Need {
  /** Keys read one by one. */
  readKeys?: readonly string[];
  /** Prefixes read as a whole (scans, watches): every key under each. */
  readPrefixes?: readonly string[];
  /** Keys written (put, delete, compare-and-swap, transaction operations). */
  writeKeys?: readonly string[];
  /** Prefixes written as a whole (range deletes). */
  writePrefixes?: readonly string[];
  /** Membership, snapshots, the full status. */
  admin?: boolean;
  /** `/metrics`: the admin or a caller with the metrics permission. */
  metrics?: boolean;
  /** Write rights somewhere, on any prefix (granting or keeping a lease alive). */
  anyWrite?: boolean;
}

/** The anonymous caller of an auth file without an `anonymous` entry: it may do nothing. */
export const NOBODY: Principal = { name: "", admin: false, metrics: false, permissions: [] };

/**
 * True when `need` asks for nothing: anyone may call.
 *
 * @example
 * ```ts
 * import { isOpen } from "./permissions.ts";
 * if (!isOpen({}) || isOpen({ readKeys: ["k"] })) throw new Error();
 * ```
 */
export function isOpen(need: Need): boolean {
  return need.admin !== true && need.metrics !== true && need.anyWrite !== true &&
    (need.readKeys?.length ?? 0) === 0 &&
    (need.readPrefixes?.length ?? 0) === 0 && (need.writeKeys?.length ?? 0) === 0 &&
    (need.writePrefixes?.length ?? 0) === 0;
}

/**
 * True when `principal` may do anything at all beyond open routes.
 *
 * @example
 * ```ts
 * import { holdsAnything, NOBODY } from "./permissions.ts";
 * if (holdsAnything(NOBODY)) throw new Error();
 * ```
 */
export function holdsAnything(principal: Principal): boolean {
  return principal.admin || principal.metrics ||
    principal.permissions.some((p) => p.read || p.write);
}

function covers(
  principal: Principal,
  right: "read" | "write",
  key: string,
): boolean {
  return principal.permissions.some((p) => p[right] && key.startsWith(p.prefix));
}

/**
 * The first part of `need` that `principal` lacks, as words for a 403
 * (`write permission on key "x"`); null when everything is granted. A prefix
 * is covered by a permission whose own prefix starts it, so a scan of
 * `app/` needs read on `app/` or shorter, never on `app/a` alone.
 *
 * @example
 * ```ts
 * import { missingRight } from "./permissions.ts";
 * const app = { name: "app", admin: false, metrics: false, permissions: [{ prefix: "app/", read: true, write: false }] };
 * if (missingRight(app, { readKeys: ["app/x"] }) !== null) throw new Error();
 * if (missingRight(app, { writeKeys: ["app/x"] }) !== 'write permission on key "app/x"') throw new Error();
 * if (missingRight(app, { readPrefixes: ["ap"] }) !== 'read permission on prefix "ap"') throw new Error();
 * ```
 */
export function missingRight(principal: Principal, need: Need): string | null {
  if (principal.admin) return null;
  if (need.admin === true) return "the admin permission";
  if (need.metrics === true && !principal.metrics) return "the metrics permission";
  if (need.anyWrite === true && !principal.permissions.some((p) => p.write)) {
    return "a write permission";
  }
  // Checked without building anything: this runs on every request.
  return uncovered(principal, "read", "key", need.readKeys) ??
    uncovered(principal, "read", "prefix", need.readPrefixes) ??
    uncovered(principal, "write", "key", need.writeKeys) ??
    uncovered(principal, "write", "prefix", need.writePrefixes);
}

function uncovered(
  principal: Principal,
  right: "read" | "write",
  what: "key" | "prefix",
  keys: readonly string[] | undefined,
): string | null {
  if (keys === undefined) return null;
  for (const key of keys) {
    if (!covers(principal, right, key)) return `${right} permission on ${what} "${key}"`;
  }
  return null;
}
