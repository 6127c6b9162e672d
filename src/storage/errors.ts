/**
 * The one error class of the storage layer. A `StorageError` means the disk
 * can no longer be trusted to hold what was acknowledged (a failed write or
 * sync, a corrupt record, a directory that belongs to another node): the
 * driver stops the node rather than carry on.
 *
 * @module
 */

/**
 * A fatal storage failure. The message names the file and, for corruption,
 * the byte offset.
 *
 * @example
 * ```ts
 * import { StorageError } from "./errors.ts";
 * const error = new StorageError('Cannot sync "wal/0000000000000001.wal": disk full');
 * if (!(error instanceof Error) || error.name !== "StorageError") throw new Error("bad class");
 * ```
 */
export class StorageError extends Error {
  /** @param message what failed, naming the file */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** Wraps an I/O failure on `path` into a {@link StorageError} that names the action and file. */
export function ioError(action: string, path: string, cause: unknown): StorageError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(`Cannot ${action} "${path}": ${reason}`, { cause });
}
