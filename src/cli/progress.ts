/**
 * Progress of a long copy (a backup saved or restored), shown on standard
 * error only when it is a terminal: bytes so far, the share of the total
 * when known, and the rate, at most once a second.
 *
 * @module
 */

import type { CliIo } from "./io.ts";

/** Milliseconds between two progress lines. */
const PROGRESS_INTERVAL_MS = 1000;
const BYTES_PER_KIB = 1024;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
const MS_PER_SECOND = 1000;

/**
 * `bytes` with a binary unit and one decimal: `512 B`, `1.5 KiB`, `12.0 MiB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./progress.ts";
 * if (formatBytes(512) !== "512 B" || formatBytes(1536) !== "1.5 KiB") throw new Error();
 * if (formatBytes(12 * 1024 * 1024) !== "12.0 MiB") throw new Error();
 * ```
 */
export function formatBytes(bytes: number): string {
  let unit = 0;
  let value = bytes;
  while (value >= BYTES_PER_KIB && unit < UNITS.length - 1) {
    value /= BYTES_PER_KIB;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Settings of a {@link Progress}. */
export interface ProgressOptions {
  /** The whole size, when known, for a percentage. */
  totalBytes?: number;
  /** The clock (`performance.now()`); tests pass their own. */
  nowMs?: () => number;
}

/**
 * Counts the bytes of a copy and reports them on a terminal.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const lines: string[] = [];
 * let now = 0;
 * const io = { errIsTerminal: true, err: (line: string) => void lines.push(line) };
 * const progress = new Progress(io as never, "saving", { totalBytes: 4096, nowMs: () => now });
 * progress.add(1024);
 * now = 1000;
 * progress.add(1024);
 * if (lines[0] !== "saving: 2.0 KiB of 4.0 KiB (50%), 2.0 KiB/s") throw new Error(lines[0]);
 * ```
 */
export class Progress {
  readonly #io: CliIo;
  readonly #label: string;
  readonly #totalBytes: number | undefined;
  readonly #nowMs: () => number;
  readonly #startMs: number;
  #lastMs: number;
  #bytes = 0;

  /**
   * @param io where lines go (nowhere unless standard error is a terminal)
   * @param label what is being copied, at the start of each line
   * @param options total size and clock
   */
  constructor(io: CliIo, label: string, options: ProgressOptions = {}) {
    this.#io = io;
    this.#label = label;
    this.#totalBytes = options.totalBytes;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#startMs = this.#nowMs();
    this.#lastMs = this.#startMs;
  }

  /** The mean rate since the start, in bytes per second. */
  get bytesPerSecond(): number {
    const seconds = Math.max(this.#nowMs() - this.#startMs, 1) / MS_PER_SECOND;
    return this.#bytes / seconds;
  }

  /** Counts `bytes` more; prints a line if a second has passed since the last. */
  add(bytes: number): void {
    this.#bytes += bytes;
    const now = this.#nowMs();
    if (!this.#io.errIsTerminal || now - this.#lastMs < PROGRESS_INTERVAL_MS) return;
    this.#lastMs = now;
    const total = this.#totalBytes;
    const share = total === undefined || total === 0
      ? ""
      : ` of ${formatBytes(total)} (${Math.floor(this.#bytes / total * 100)}%)`;
    const rate = formatBytes(Math.round(this.bytesPerSecond));
    this.#io.err(`${this.#label}: ${formatBytes(this.#bytes)}${share}, ${rate}/s`);
  }
}
