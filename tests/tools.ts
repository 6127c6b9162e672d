/**
 * Outside programs some tests need (promtool, chromium): found on PATH, and
 * under CI (`CI` set) a missing one fails its test instead of skipping it.
 *
 * @module
 */

/** True under CI, where a missing tool is an error. */
export const UNDER_CI = (Deno.env.get("CI") ?? "") !== "";

/** The absolute path of `name` on PATH (or of `name` itself when absolute), or null. */
export function findTool(name: string): string | null {
  const candidates = name.startsWith("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "").map((dir) =>
      `${dir}/${name}`
    );
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there; try the next directory.
    }
  }
  return null;
}

/**
 * Whether to skip a test needing `tool`: only outside CI, and saying so.
 * Under CI the test runs and fails on the missing tool.
 */
export function skipWithout(tool: string, path: string | null): boolean {
  if (path !== null || UNDER_CI) return false;
  console.warn(`Skipping: "${tool}" is not installed (CI installs it; see .ci/run)`);
  return true;
}

/** The path of `tool`; throws naming it when it is missing. */
export function requireTool(tool: string, path: string | null): string {
  if (path === null) throw new Error(`Required tool "${tool}" is not installed`);
  return path;
}
