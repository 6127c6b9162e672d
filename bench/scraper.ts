/**
 * A Prometheus stand-in for the benchmark: scrapes every node's `/metrics`
 * on a fixed interval while the load runs, so a run with metrics on pays for
 * rendering as a monitored cluster would. Counts scrapes, failures and time.
 *
 * @module
 */

/** What the scraper did. */
export interface ScrapeReport {
  intervalMs: number;
  scrapes: number;
  failures: number;
  /** Mean time of one scrape, fetch and body read, in milliseconds. */
  meanMs: number;
  /** Mean body size in bytes. */
  meanBytes: number;
}

/** Longest one scrape may take before it counts as failed, in milliseconds. */
const SCRAPE_TIMEOUT_MS = 5_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Scrapes `url` once; answers the bytes read (-1 on failure) and the time taken. */
async function scrapeOnce(url: string, get: typeof fetch): Promise<{ bytes: number; ms: number }> {
  const startedMs = performance.now();
  let bytes = -1;
  try {
    const response = await get(`${url}/metrics`, {
      signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
    });
    const body = await response.arrayBuffer();
    if (response.ok) bytes = body.byteLength;
  } catch {
    // Counted as a failure below.
  }
  return { bytes, ms: performance.now() - startedMs };
}

/**
 * Scrapes every url of `urls` each `intervalMs` until `stop()`, which
 * resolves with the report once the last round finished. `get` is the
 * `fetch` to use (a secure cluster's: its CA and a token allowed `/metrics`).
 *
 * @example
 * ```ts ignore
 * const scraper = startScraper(["http://127.0.0.1:18001"], 1000);
 * const report = await scraper.stop();
 * ```
 */
export function startScraper(
  urls: readonly string[],
  intervalMs: number,
  get: typeof fetch = (input, init) => fetch(input, init),
): { stop(): Promise<ScrapeReport> } {
  let running = true;
  const report: ScrapeReport = { intervalMs, scrapes: 0, failures: 0, meanMs: 0, meanBytes: 0 };
  let totalMs = 0;
  let totalBytes = 0;
  const loop = (async () => {
    while (running) {
      const startedMs = performance.now();
      for (const { bytes, ms } of await Promise.all(urls.map((url) => scrapeOnce(url, get)))) {
        totalMs += ms;
        if (bytes < 0) report.failures++;
        else {
          report.scrapes++;
          totalBytes += bytes;
        }
      }
      const waitMs = intervalMs - (performance.now() - startedMs);
      if (running && waitMs > 0) await delay(waitMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const rounds = report.scrapes + report.failures;
      report.meanMs = rounds === 0 ? 0 : totalMs / rounds;
      report.meanBytes = report.scrapes === 0 ? 0 : totalBytes / report.scrapes;
      return report;
    },
  };
}
