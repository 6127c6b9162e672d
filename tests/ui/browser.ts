/**
 * Debian's Chromium driven by playwright-core for the dashboard tests:
 * headless, no sandbox, no GPU, no background requests, never a downloaded
 * browser. Closed by the caller.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";
import { findTool, requireTool } from "../tools.ts";

/** The system Chromium, or null when it is not installed. */
export const CHROMIUM = findTool("/usr/bin/chromium") ?? findTool("chromium");

/** Chromium's flags for these tests. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];

/** Launches the system Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool("chromium", CHROMIUM),
    headless: true,
    args: CHROMIUM_ARGS,
  });
}
