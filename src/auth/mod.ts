/**
 * Client authentication and authorization: the auth file, credentials,
 * token hashes and the permission check the HTTP layer runs on every route.
 *
 * @module
 */

export { AuthFileError, type AuthRules, parseAuthFile, type User } from "./auth_file.ts";
export { AuthStore } from "./auth_store.ts";
export { authenticate } from "./authenticate.ts";
export { type Credentials, CredentialsError, readCredentials } from "./credentials.ts";
export {
  holdsAnything,
  isOpen,
  missingRight,
  type Need,
  NOBODY,
  type Permission,
  type Principal,
} from "./permissions.ts";
export { constantTimeEqual, hashToken, toHex, tokenDigest } from "./token_hash.ts";
