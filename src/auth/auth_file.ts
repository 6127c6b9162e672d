/**
 * The auth file: its JSON shape, parsed and checked field by field into the
 * rules a node authenticates against. Only token hashes are held.
 *
 * ```json
 * {"users":[{"name":"app","tokenSha256":"…","permissions":[{"prefix":"app/","read":true,"write":true}]},
 *           {"name":"ops","tokenSha256":"…","admin":true}],
 *  "anonymous":{"permissions":[]}}
 * ```
 *
 * @module
 */

import { NOBODY, type Permission, type Principal } from "./permissions.ts";
import { digestFromHex } from "./token_hash.ts";

/** A user of the auth file: a principal and the SHA-256 of its token. */
export interface User extends Principal {
  digest: Uint8Array;
}

/** What a node authenticates against: the users and the anonymous caller. */
export interface AuthRules {
  users: readonly User[];
  anonymous: Principal;
}

/** An auth file that cannot be used; the message names the field at fault. */
export class AuthFileError extends Error {
  /** @param message what is wrong, naming the field */
  constructor(message: string) {
    super(message);
    this.name = "AuthFileError";
  }
}

const USER_FIELDS = ["name", "tokenSha256", "permissions", "admin", "metrics"];
const ANONYMOUS_FIELDS = ["permissions", "metrics"];
const PERMISSION_FIELDS = ["prefix", "read", "write"];
/** A user name: what Basic auth sends before the colon. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const SHOWN_CHARS_MAX = 80;

type Obj = Record<string, unknown>;

function shown(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_CHARS_MAX ? `${text.slice(0, SHOWN_CHARS_MAX)}…` : text;
}

function fail(field: string, problem: string, value: unknown): never {
  throw new AuthFileError(`Field "${field}" ${problem}, got "${shown(value)}"`);
}

function object(value: unknown, field: string, allowed: readonly string[]): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, "must be an object", value);
  }
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      throw new AuthFileError(
        `Field "${field}" has an unknown field "${name}": expected ${allowed.join(", ")}`,
      );
    }
  }
  return value as Obj;
}

function flag(from: Obj, name: string, field: string): boolean {
  const value = from[name];
  if (value === undefined) return false;
  if (typeof value !== "boolean") fail(`${field}.${name}`, "must be true or false", value);
  return value;
}

function permissions(from: Obj, field: string): Permission[] {
  const list = from.permissions;
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(`${field}.permissions`, "must be an array", list);
  return list.map((item, i) => {
    const at = `${field}.permissions[${i}]`;
    const entry = object(item, at, PERMISSION_FIELDS);
    if (typeof entry.prefix !== "string") fail(`${at}.prefix`, "must be a string", entry.prefix);
    return { prefix: entry.prefix, read: flag(entry, "read", at), write: flag(entry, "write", at) };
  });
}

function user(item: unknown, i: number): User {
  const at = `users[${i}]`;
  const entry = object(item, at, USER_FIELDS);
  if (typeof entry.name !== "string" || !NAME.test(entry.name)) {
    fail(`${at}.name`, 'must be 1-64 letters, digits, ".", "_", "@" or "-"', entry.name);
  }
  const digest = typeof entry.tokenSha256 === "string" ? digestFromHex(entry.tokenSha256) : null;
  if (digest === null) fail(`${at}.tokenSha256`, "must be 64 hex digits", entry.tokenSha256);
  return {
    name: entry.name,
    digest,
    admin: flag(entry, "admin", at),
    metrics: flag(entry, "metrics", at),
    permissions: permissions(entry, at),
  };
}

function anonymous(value: unknown): Principal {
  if (value === undefined) return NOBODY;
  const entry = object(value, "anonymous", ANONYMOUS_FIELDS);
  return {
    name: "",
    admin: false,
    metrics: flag(entry, "metrics", "anonymous"),
    permissions: permissions(entry, "anonymous"),
  };
}

function checkUnique(users: readonly User[]): void {
  for (let i = 0; i < users.length; i++) {
    for (let j = 0; j < i; j++) {
      if (users[i]!.name === users[j]!.name) {
        throw new AuthFileError(`User name "${users[i]!.name}" appears twice`);
      }
      if (users[i]!.digest.every((byte, k) => byte === users[j]!.digest[k])) {
        throw new AuthFileError(
          `Users "${users[j]!.name}" and "${
            users[i]!.name
          }" have the same token: give each its own`,
        );
      }
    }
  }
}

/**
 * Parses and checks the text of an auth file; throws an {@link AuthFileError}
 * naming the first bad field. Unknown fields are refused, so a misspelt
 * `"admn": true` is an error rather than a user without rights.
 *
 * @example
 * ```ts
 * import { parseAuthFile } from "./auth_file.ts";
 * const rules = parseAuthFile(JSON.stringify({
 *   users: [{ name: "ops", tokenSha256: "0".repeat(64), admin: true }],
 * }));
 * if (rules.users[0]?.name !== "ops" || rules.anonymous.permissions.length !== 0) throw new Error();
 * ```
 */
export function parseAuthFile(text: string): AuthRules {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AuthFileError(`Not valid JSON: ${(error as Error).message}`);
  }
  const root = object(parsed, "(top level)", ["users", "anonymous"]);
  if (!Array.isArray(root.users)) fail("users", "must be an array", root.users);
  const users = root.users.map(user);
  checkUnique(users);
  return { users, anonymous: anonymous(root.anonymous) };
}
