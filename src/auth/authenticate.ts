/**
 * Credentials to a caller: the token is hashed and compared against every
 * user's hash in constant time, so neither which user matched nor how close
 * a guess came shows in the time taken.
 *
 * @module
 */

import type { AuthRules } from "./auth_file.ts";
import type { Credentials } from "./credentials.ts";
import type { Principal } from "./permissions.ts";
import { constantTimeEqual, tokenDigest } from "./token_hash.ts";

/**
 * The user `credentials` prove, or null when they prove none. A Bearer
 * token names its user by itself; Basic auth must name the token's own user.
 *
 * @example
 * ```ts
 * import { authenticate } from "./authenticate.ts";
 * import { parseAuthFile } from "./auth_file.ts";
 * import { hashToken } from "./token_hash.ts";
 * const rules = parseAuthFile(JSON.stringify({
 *   users: [{ name: "ops", tokenSha256: hashToken("s3cret-token-0123"), admin: true }],
 * }));
 * const ops = authenticate(rules, { scheme: "bearer", token: "s3cret-token-0123" });
 * if (ops?.name !== "ops") throw new Error();
 * if (authenticate(rules, { scheme: "basic", name: "app", token: "s3cret-token-0123" })) {
 *   throw new Error("the name must match the token's user");
 * }
 * ```
 */
export function authenticate(rules: AuthRules, credentials: Credentials): Principal | null {
  const digest = tokenDigest(credentials.token);
  let found: Principal | null = null;
  for (const user of rules.users) {
    // Every user is compared, matched or not, so the time is the same for all.
    const same = constantTimeEqual(digest, user.digest);
    const named = credentials.scheme === "bearer" || credentials.name === user.name;
    if (same && named) found = user;
  }
  return found;
}
