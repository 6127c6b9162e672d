/**
 * The HTTP surface of a node: `createApp(node)` returns a Hono app.
 *
 * @module
 */

export { type AppOptions, createApp } from "./app.ts";
export { DEFAULT_LIMITS, type Limits } from "./input.ts";
