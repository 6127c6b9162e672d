/**
 * The dashboard served at `GET /ui`: one self-contained HTML page, its
 * style and script inline, kept as a TypeScript string so it travels inside
 * the bundle and the compiled binary. It requests nothing but this node.
 *
 * @module
 */

import { DASHBOARD_BODY } from "./markup.ts";
import { SCRIPT_BASE } from "./script_base.ts";
import { SCRIPT_KEYS } from "./script_keys.ts";
import { SCRIPT_STATUS } from "./script_status.ts";
import { DASHBOARD_CSS } from "./style.ts";

/** The page's script, its parts in dependency order, inside one function so it adds no globals. */
export const DASHBOARD_SCRIPT = `(function () {${SCRIPT_BASE}${SCRIPT_STATUS}${SCRIPT_KEYS}})();`;

/**
 * What the page may load: only inline style and script and this node.
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSP } from "./page.ts";
 * if (!DASHBOARD_CSP.includes("connect-src 'self'")) throw new Error();
 * ```
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * The whole page.
 *
 * @example
 * ```ts
 * import { DASHBOARD_HTML } from "./page.ts";
 * if (!DASHBOARD_HTML.startsWith("<!doctype html>")) throw new Error();
 * if (/(src|href)="https?:/.test(DASHBOARD_HTML)) throw new Error("external resource");
 * ```
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rafter</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body data-health="down">
${DASHBOARD_BODY}
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
