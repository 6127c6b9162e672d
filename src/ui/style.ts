/**
 * The dashboard's stylesheet: one column on a phone, a grid on wider
 * screens, and colours that make a lost leader or an unreachable node
 * impossible to miss.
 *
 * @module
 */

/** The CSS of the dashboard page. */
export const DASHBOARD_CSS = String.raw`
:root { --bg: #f6f7f9; --card: #fff; --ink: #1c2430; --dim: #667085; --line: #e3e6eb;
  --ok: #12805c; --warn: #b54708; --bad: #c0262d; --lead: #3b5bdb; --read: #0e9384; --write: #7a5af8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 16px; background: var(--ink); color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header .grow { flex: 1; }
header input { width: 12em; max-width: 100%; padding: 4px 6px; border-radius: 4px; border: 1px solid #98a2b3; }
header button, .keys button { padding: 4px 10px; border-radius: 4px; border: 1px solid #98a2b3; background: #fff; cursor: pointer; }
main { max-width: 1100px; margin: 0 auto; padding: 12px; display: grid; gap: 12px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--dim); margin: 0 0 8px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--ok); color: #fff; }
.pill.down { background: var(--bad); } .pill.noleader { background: var(--warn); }
.banner { padding: 10px 14px; border-radius: 8px; font-weight: 600; color: #fff; background: var(--bad); }
.banner.noleader { background: var(--warn); }
.banner[hidden] { display: none; }
body[data-health="down"] .live { opacity: .45; }
.summary { display: flex; flex-wrap: wrap; gap: 6px 18px; }
.summary b { font-size: 18px; }
.members { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px; }
.member { border: 1px solid var(--line); border-left: 4px solid var(--dim); border-radius: 6px; padding: 8px; }
.member[data-role="leader"] { border-left-color: var(--lead); }
.member[data-reachable="false"] { border-left-color: var(--bad); background: #fff5f5; }
.member .top { display: flex; justify-content: space-between; align-items: baseline; gap: 6px; }
.member .id { font-weight: 700; font-size: 15px; word-break: break-all; }
.member .role { font-size: 12px; font-weight: 600; color: var(--dim); }
.member[data-role="leader"] .role { color: var(--lead); }
.member[data-reachable="false"] .role { color: var(--bad); }
.member dl { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 6px 0 0; font-size: 12px; }
.member dt { color: var(--dim); } .member dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.chart svg { width: 100%; height: 120px; display: block; background: #fbfbfc; border: 1px solid var(--line); border-radius: 4px; }
.legend { font-size: 12px; color: var(--dim); display: flex; gap: 12px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
ol.leaders { margin: 0; padding-left: 18px; max-height: 160px; overflow: auto; font-size: 13px; }
.keys form { display: flex; gap: 6px; flex-wrap: wrap; margin-bottom: 8px; }
.keys input { flex: 1; min-width: 8em; padding: 4px 6px; }
.keys .table { overflow-x: auto; }
.keys table { width: 100%; border-collapse: collapse; font-size: 13px; }
.keys td, .keys th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); word-break: break-all; }
.keys th { color: var(--dim); font-weight: 600; }
.keys tr.fresh td { background: #ecfdf3; }
.note { color: var(--dim); font-size: 12px; }
@media (max-width: 600px) { main { padding: 8px; } header input { width: 100%; } .member dl { font-size: 13px; } }
`;
