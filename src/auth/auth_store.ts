/**
 * The auth rules a node serves with, loaded from the auth file at start and
 * swapped in whole on reload (`SIGHUP`); a file that fails to load on reload
 * leaves the previous rules in place and says why in the log.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { AuthFileError, type AuthRules, parseAuthFile } from "./auth_file.ts";
import { CallerCache } from "./caller_cache.ts";

/** Reads and parses the auth file at `path`; the error names the file and the bad field. */
async function readRules(path: string): Promise<AuthRules> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new AuthFileError(`Cannot read auth file "${path}": ${(error as Error).message}`);
  }
  try {
    return parseAuthFile(text);
  } catch (error) {
    throw new AuthFileError(`Cannot use auth file "${path}": ${(error as Error).message}`);
  }
}

/** The current auth rules and where they came from. */
export class AuthStore {
  #rules: AuthRules;
  readonly #path: string;
  readonly #logger: Logger | null;
  /** Headers that authenticated under the current rules; emptied when they change. */
  readonly callers = new CallerCache();

  /**
   * Rules held in memory; `path` (when not `""`) is what {@link reload} reads.
   *
   * @example
   * ```ts
   * import { AuthStore } from "./auth_store.ts";
   * const store = new AuthStore({ users: [], anonymous: { name: "", admin: false, metrics: false, permissions: [] } });
   * if (store.rules.users.length !== 0) throw new Error();
   * ```
   */
  constructor(rules: AuthRules, path = "", logger: Logger | null = null) {
    this.#rules = rules;
    this.#path = path;
    this.#logger = logger;
  }

  /**
   * Loads the auth file at `path`; throws an `AuthFileError` when it cannot be used.
   *
   * @example
   * ```ts
   * import { AuthStore } from "./auth_store.ts";
   * const path = await Deno.makeTempFile();
   * await Deno.writeTextFile(path, '{"users":[]}');
   * if ((await AuthStore.load(path)).rules.users.length !== 0) throw new Error();
   * await Deno.remove(path);
   * ```
   */
  static async load(path: string, logger: Logger | null = null): Promise<AuthStore> {
    return new AuthStore(await readRules(path), path, logger);
  }

  /** The rules in force now. */
  get rules(): AuthRules {
    return this.#rules;
  }

  /**
   * Reads the file again; true when the new rules replaced the old ones,
   * false (and a log line saying why) when the old ones stay.
   */
  async reload(): Promise<boolean> {
    if (this.#path === "") return false;
    try {
      this.#rules = await readRules(this.#path);
      this.callers.clear();
    } catch (error) {
      this.#logger?.error("auth file reload failed; the previous rules stay", {
        error: (error as Error).message,
      });
      return false;
    }
    this.#logger?.info("auth file reloaded", {
      file: this.#path,
      users: this.#rules.users.length,
    });
    return true;
  }
}
