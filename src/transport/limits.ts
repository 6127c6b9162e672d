/**
 * The transport's bounds with their defaults, checked against each other
 * once, when a transport is built.
 *
 * @module
 */

import type { TransportOptions } from "./types.ts";

/** Every bound of a transport, resolved. */
export interface TransportLimits {
  frameBytesMax: number;
  queueBytesMax: number;
  snapshotChunkBytes: number;
  snapshotBytesMax: number;
  handshakeTimeoutMs: number;
  reconnectMsMin: number;
  reconnectMsMax: number;
  inboundConnsMax: number;
  replySilenceMsMax: number;
}

const MiB = 1024 * 1024;

/** The defaults of every bound. */
export const DEFAULT_LIMITS: Readonly<TransportLimits> = {
  frameBytesMax: 16 * MiB,
  queueBytesMax: 64 * MiB,
  snapshotChunkBytes: 1 * MiB,
  snapshotBytesMax: 8 * 1024 * MiB,
  handshakeTimeoutMs: 5000,
  reconnectMsMin: 50,
  reconnectMsMax: 2000,
  inboundConnsMax: 256,
  replySilenceMsMax: 5000,
};

/** Room in a chunk frame for the length, kind and slack. */
const CHUNK_FRAME_OVERHEAD_BYTES = 64;

/**
 * Fills in defaults and validates; throws on a bound that is not a positive
 * integer or that contradicts another.
 *
 * @example
 * ```ts
 * import { resolveLimits } from "./limits.ts";
 * const limits = resolveLimits({ queueBytesMax: 1 << 20 });
 * if (limits.frameBytesMax !== 16 * 1024 * 1024 || limits.queueBytesMax !== 1 << 20) throw new Error();
 * ```
 */
export function resolveLimits(options: Partial<TransportOptions>): TransportLimits {
  const limits: TransportLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof TransportLimits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`Invalid transport option ${key} "${value}": expected a positive integer`);
    }
    limits[key] = value;
  }
  if (limits.frameBytesMax > 0xffffffff) {
    throw new Error(`Invalid frameBytesMax "${limits.frameBytesMax}": at most 4 GiB - 1`);
  }
  if (limits.snapshotChunkBytes + CHUNK_FRAME_OVERHEAD_BYTES > limits.frameBytesMax) {
    throw new Error(
      `Invalid snapshotChunkBytes "${limits.snapshotChunkBytes}": must fit in frameBytesMax ${limits.frameBytesMax}`,
    );
  }
  if (limits.reconnectMsMin > limits.reconnectMsMax) {
    throw new Error(
      `Invalid reconnectMsMin "${limits.reconnectMsMin}": above reconnectMsMax ${limits.reconnectMsMax}`,
    );
  }
  return limits;
}
