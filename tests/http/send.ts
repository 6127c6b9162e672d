/**
 * A request helper for the HTTP tests: sends through `app.request()` (no
 * socket) and reads the answer once.
 *
 * @module
 */

import type { Hono } from "hono";

/** A response read once: status, headers and the parsed JSON body. */
export interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Sends `method path` with an optional body (a string, bytes or a stream) and headers. */
export async function send(
  app: Hono,
  method: string,
  path: string,
  body?: BodyInit,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const response = await app.request(`http://127.0.0.1:8002${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

/** Sends a POST with a JSON body, as `curl -d` would: with a form content type. */
export function post(app: Hono, path: string, body: unknown): Promise<Answer> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return send(app, "POST", path, text, {
    "content-type": "application/x-www-form-urlencoded",
  });
}
