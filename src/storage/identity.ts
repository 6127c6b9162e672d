/**
 * `node.json`: which node a data directory belongs to, and its cluster. It is
 * written once when the directory is fresh; a node started with another id
 * refuses the directory instead of mixing two nodes' logs.
 *
 * @module
 */

import type { NodeIdentity } from "./types.ts";
import { StorageError } from "./errors.ts";
import { readFileOrNull, writeFileAtomic } from "./fs_util.ts";

/** The identity file's name in the data directory. */
export const IDENTITY_FILE = "node.json";
const VERSION = 1;

/** Writes `node.json` atomically. */
export async function writeIdentity(dir: string, identity: NodeIdentity): Promise<void> {
  const text = JSON.stringify({
    version: VERSION,
    nodeId: identity.nodeId,
    clusterId: identity.clusterId,
  });
  await writeFileAtomic(dir, IDENTITY_FILE, [new TextEncoder().encode(text + "\n")]);
}

/** Reads `node.json`, or returns null when the directory has none. */
export async function readIdentity(dir: string): Promise<NodeIdentity | null> {
  const path = `${dir}/${IDENTITY_FILE}`;
  const bytes = await readFileOrNull(path);
  if (bytes === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new StorageError(`Cannot parse "${path}": ${(error as Error).message}`);
  }
  const { version, nodeId, clusterId } = (parsed ?? {}) as Record<string, unknown>;
  if (version !== VERSION || typeof nodeId !== "string" || typeof clusterId !== "string") {
    throw new StorageError(
      `Cannot read "${path}": expected version ${VERSION} with nodeId and clusterId`,
    );
  }
  return { nodeId, clusterId };
}

/**
 * Returns the identity of `dir`, creating `node.json` for `nodeId` when the
 * directory is fresh. Throws when the directory belongs to another node, or
 * holds a log without `node.json` (it was lost or the path is wrong).
 */
export async function claimIdentity(
  dir: string,
  nodeId: string,
  hasLog: boolean,
): Promise<NodeIdentity> {
  if (nodeId === "") throw new StorageError(`Cannot open "${dir}": the node id is empty`);
  const stored = await readIdentity(dir);
  if (stored === null) {
    if (hasLog) {
      throw new StorageError(
        `Cannot open "${dir}": it holds a log but no ${IDENTITY_FILE}; refusing to guess its owner`,
      );
    }
    const identity = { nodeId, clusterId: "" };
    await writeIdentity(dir, identity);
    return identity;
  }
  if (stored.nodeId !== nodeId) {
    throw new StorageError(
      `Cannot open "${dir}" as node "${nodeId}": it belongs to node "${stored.nodeId}"`,
    );
  }
  return stored;
}
