/**
 * The dashboard script's key browser: lists a prefix a page at a time
 * through `GET /keys` (read locally, `level=stale`, like everything this
 * page shows) and keeps the page live through `GET /watch` from the index
 * the page was read at, so no change between the two is missed.
 *
 * @module
 */

/** Browser JavaScript: the key browser. */
export const SCRIPT_KEYS = String.raw`
var PAGE_KEYS = 50;
var VALUE_CHARS_MAX = 120;
var keys = { prefix: "", afters: [""], page: 0, rows: new Map(), more: false, index: 0, controller: null, generation: 0 };
function note(message) { text("keys-note", message); }
function shown(value, encoding) {
  var v = encoding === "base64" ? "(base64) " + value : value;
  return v.length > VALUE_CHARS_MAX ? v.slice(0, VALUE_CHARS_MAX) + "…" : v;
}
function renderKeys(fresh) {
  var sorted = Array.from(keys.rows.values()).sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
  $("keys-rows").replaceChildren.apply($("keys-rows"), sorted.map(function (r) {
    return make("tr", { "data-key": r.key, "class": fresh === r.key ? "fresh" : "" }, [
      make("td", {}, [r.key]), make("td", {}, [shown(r.value, r.encoding)]), make("td", {}, [String(r.modIndex)]),
    ]);
  }));
  $("keys-prev").disabled = keys.page === 0;
  $("keys-next").disabled = !keys.more;
}
/** True when a changed key belongs on the page shown. */
function onPage(key) {
  if (!key.startsWith(keys.prefix)) return false;
  var after = keys.afters[keys.page];
  if (after !== "" && key <= after) return false;
  if (!keys.more) return true;
  var next = keys.afters[keys.page + 1];
  return next === undefined || key <= next;
}
function applyChange(change) {
  if (!onPage(change.key)) return;
  if (change.type === "delete") keys.rows.delete(change.key);
  else keys.rows.set(change.key, change);
  renderKeys(change.type === "delete" ? null : change.key);
}
async function watchKeys(generation, fromIndex) {
  var delayMs = 250;
  while (generation === keys.generation) {
    var controller = new AbortController();
    keys.controller = controller;
    var query = "prefix=" + encodeURIComponent(keys.prefix) + "&fromIndex=" + fromIndex;
    try {
      await readEvents("/watch?" + query, function (event) {
        delayMs = 250;
        if (event.event === "error") throw new Error("the watch was ended by the node");
        if (event.event !== "change") return;
        var data = JSON.parse(event.data);
        data.changes.forEach(applyChange);
        fromIndex = data.index + 1;
        note("Live: showing changes up to index " + data.index);
      }, controller.signal);
    } catch (error) {
      if (generation !== keys.generation) return;
      if (error && error.status === 410) { loadKeys(); return; }
      if (error && (error.status === 404 || error.status === 501)) { note("This node does not serve /watch: the list is not live"); return; }
      note("Live updates paused (" + (error && error.message) + "); retrying");
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 4000);
  }
}
async function loadKeys() {
  var generation = ++keys.generation;
  if (keys.controller) keys.controller.abort();
  var after = keys.afters[keys.page];
  var query = "prefix=" + encodeURIComponent(keys.prefix) + "&limit=" + PAGE_KEYS + "&level=stale" +
    (after === "" ? "" : "&after=" + encodeURIComponent(after));
  try {
    var response = await fetch("/keys?" + query, { headers: authHeaders(), cache: "no-store" });
    if (generation !== keys.generation) return;
    if (response.status === 404 || response.status === 501) { note("This node does not list keys (no /keys operation)"); keys.rows.clear(); renderKeys(null); return; }
    if (!response.ok) { note("Cannot list keys: HTTP " + response.status + " " + (await response.text()).slice(0, 200)); return; }
    var page = await response.json();
    if (generation !== keys.generation) return;
    keys.rows = new Map(page.items.map(function (r) { return [r.key, r]; }));
    keys.more = page.more;
    keys.index = page.index;
    keys.afters.length = keys.page + 1;
    if (page.more) keys.afters.push(page.next);
    renderKeys(null);
    note("Read at index " + page.index + (page.items.length === 0 ? ": no keys" : ""));
    watchKeys(generation, page.index + 1);
  } catch (error) {
    if (generation === keys.generation) note("Cannot list keys: " + (error && error.message));
  }
}
$("keys-form").addEventListener("submit", function (e) {
  e.preventDefault();
  keys.prefix = $("prefix").value;
  keys.afters = [""];
  keys.page = 0;
  loadKeys();
});
$("keys-next").addEventListener("click", function () { if (keys.more) { keys.page++; loadKeys(); } });
$("keys-prev").addEventListener("click", function () { if (keys.page > 0) { keys.page--; loadKeys(); } });
ui.restarts.push(loadKeys);
loadKeys();
`;
