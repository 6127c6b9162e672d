/**
 * JSON responses built directly, without middleware.
 *
 * @module
 */

const JSON_TYPE = "application/json";

/**
 * A JSON response with `status` and optional extra headers.
 *
 * @example
 * ```ts
 * import { json } from "./respond.ts";
 * const response = json({ key: "k" }, 200);
 * if (response.headers.get("content-type") !== "application/json") throw new Error();
 * ```
 */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: headers === undefined ? { "content-type": JSON_TYPE } : {
      "content-type": JSON_TYPE,
      ...headers,
    },
  });
}
