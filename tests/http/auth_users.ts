/**
 * Users and tokens for the auth tests, an app with auth on over a fake
 * node, and the headers each user sends.
 *
 * @module
 */

import { AuthStore, hashToken, parseAuthFile } from "../../src/auth/mod.ts";
import { type AppOptions, createApp } from "../../src/http/mod.ts";
import { FakeNode } from "./fake_node.ts";

/** The users of the test auth file. */
export type UserName = "app" | "reader" | "other" | "ops" | "prom";

/** Each user's token (made up here; never a real secret). */
export const TOKENS: Record<UserName, string> = {
  app: "app-token-0123456789abcdef",
  reader: "reader-token-0123456789abcdef",
  other: "other-token-0123456789abcdef",
  ops: "ops-token-0123456789abcdef",
  prom: "prom-token-0123456789abcdef",
};

/**
 * The auth file: `app` reads and writes keys under `app`, `reader` only
 * reads them, `other` reads and writes under `other`, `ops` is the admin,
 * `prom` may scrape metrics; `anonymous` may read keys under `public/`.
 */
export function authFileText(): string {
  const users = [
    { name: "app", permissions: [{ prefix: "app", read: true, write: true }] },
    { name: "reader", permissions: [{ prefix: "app", read: true }] },
    { name: "other", permissions: [{ prefix: "other", read: true, write: true }] },
    { name: "ops", admin: true },
    { name: "prom", metrics: true },
  ];
  const withHashes = users.map((user) => ({
    ...user,
    tokenSha256: hashToken(TOKENS[user.name as UserName]),
  }));
  return JSON.stringify({
    users: withHashes,
    anonymous: { permissions: [{ prefix: "public/", read: true }] },
  });
}

/** The test rules in an {@link AuthStore}. */
export function testAuth(): AuthStore {
  return new AuthStore(parseAuthFile(authFileText()));
}

/** `Authorization: Bearer TOKEN` of `user`. */
export function bearer(user: UserName): Record<string, string> {
  return { authorization: `Bearer ${TOKENS[user]}` };
}

/** `Authorization: Basic base64(user:TOKEN)`, as `curl -u user:TOKEN` sends it. */
export function basic(user: UserName, token = TOKENS[user]): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${token}`)}` };
}

/** A fake node holding `app/a`, `app-s` and `public/p`, served with auth on. */
export function securedApp(
  options: AppOptions = {},
): { node: FakeNode; app: ReturnType<typeof createApp> } {
  const node = new FakeNode();
  for (const key of ["app/a", "app-s", "public/p"]) {
    node.records.set(key, { key, value: "v0", createIndex: 1, modIndex: 1 });
  }
  return { node, app: createApp(node, { auth: testAuth(), ...options }) };
}
