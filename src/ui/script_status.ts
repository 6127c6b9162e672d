/**
 * The dashboard script's live part: follows `/status/events`, shows the
 * members, the leader and its changes, draws the rates and p99 charts, and
 * marks the page when the node loses its leader or stops answering.
 *
 * @module
 */

/** Browser JavaScript: the status stream and everything drawn from it. */
export const SCRIPT_STATUS = String.raw`
var STALE_MS = 4000;
var COMMITS_KEPT = 120;
var feed = { lastAtMs: 0, controller: null, health: "down", commits: [], lastCommit: null };
/** Entries the cluster committed per second, from this node's commit index between events. */
function noteCommit(node, atMs) {
  var last = feed.lastCommit;
  if (last !== null && last.id === node.id && atMs > last.atMs && node.commitIndex >= last.index) {
    feed.commits.push(((node.commitIndex - last.index) * 1000) / (atMs - last.atMs));
    if (feed.commits.length > COMMITS_KEPT) feed.commits.shift();
  }
  feed.lastCommit = { id: node.id, index: node.commitIndex, atMs: atMs };
}
function setHealth(health, message) {
  feed.health = health;
  document.body.setAttribute("data-health", health);
  var conn = $("conn");
  conn.className = "pill" + (health === "ok" ? "" : " " + health);
  text("conn", health === "ok" ? "live" : health === "noleader" ? "no leader" : "down");
  var banner = $("banner");
  banner.hidden = health === "ok";
  banner.className = "banner" + (health === "noleader" ? " noleader" : "");
  text("banner", message || "");
}
function memberCard(m) {
  var role = m.reachable ? m.role : "unreachable";
  var rows = [
    ["term", m.reachable ? m.term : "?"],
    ["commit", m.reachable ? m.commitIndex : "?"],
    ["applied", m.reachable ? m.appliedIndex : "?"],
    ["match", m.matchIndex < 0 ? "?" : m.matchIndex],
    ["lag", m.lagEntries < 0 ? "?" : m.lagEntries + " entries"],
    ["last contact", ago(m.lastContactMs)],
    ["http", m.httpAddr || "?"],
  ];
  var dl = make("dl");
  rows.forEach(function (row) { dl.append(make("dt", {}, [row[0]]), make("dd", {}, [String(row[1])])); });
  var title = m.id + (m.self ? " (this node)" : "") + (m.voter ? "" : " (learner)");
  return make("div", { "class": "member", "data-id": m.id, "data-role": m.reachable ? m.role : "unknown",
    "data-reachable": String(m.reachable) }, [
    make("div", { "class": "top" }, [make("span", { "class": "id" }, [title]), make("span", { "class": "role" }, [role])]),
    dl,
  ]);
}
function drawLines(svg, series, colors) {
  var max = 0;
  series.forEach(function (values) { values.forEach(function (v) { if (v > max && isFinite(v)) max = v; }); });
  var top = max <= 0 ? 1 : max * 1.1;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  var ns = "http://www.w3.org/2000/svg";
  for (var g = 1; g < 4; g++) {
    var grid = document.createElementNS(ns, "line");
    grid.setAttribute("x1", "0"); grid.setAttribute("x2", "240");
    grid.setAttribute("y1", String(g * 25)); grid.setAttribute("y2", String(g * 25));
    grid.setAttribute("stroke", "#e3e6eb"); grid.setAttribute("stroke-width", "0.5");
    svg.append(grid);
  }
  series.forEach(function (values, s) {
    var points = values.map(function (v, i) {
      var x = values.length < 2 ? 0 : (i * 240) / (values.length - 1);
      var y = 100 - (Math.min(isFinite(v) ? v : top, top) / top) * 98;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("fill", "none");
    line.style.stroke = colors[s];
    line.setAttribute("stroke-width", "1.5");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    svg.append(line);
  });
  return max;
}
function showLeaders(leaders, nowMs) {
  var list = $("leaders");
  list.replaceChildren();
  var changes = 0;
  for (var i = leaders.length - 1; i >= 0; i--) {
    var seen = leaders[i];
    if (seen.leaderId !== "" && nowMs - seen.atMs <= 600000 && i > 0) changes++;
    var who = seen.leaderId === "" ? "no leader" : seen.leaderId;
    list.append(make("li", { "data-leader": seen.leaderId }, [clock(seen.atMs) + "  term " + seen.term + ": " + who]));
  }
  text("changes", changes);
}
function last(values) { return values.length === 0 ? 0 : values[values.length - 1]; }
function onStatus(d) {
  feed.lastAtMs = Date.now();
  var node = d.node;
  text("node-id", node.id);
  document.title = "rafter " + node.id + (node.leaderId === "" ? " (no leader)" : "");
  text("leader", node.leaderId === "" ? "none" : node.leaderId);
  text("term", node.term);
  text("commit", node.commitIndex);
  text("applied", node.appliedIndex);
  text("snap-index", node.snapshotIndex);
  text("last-index", node.lastLogIndex);
  text("wal-bytes", bytes(d.disk.walBytes));
  text("snap-bytes", bytes(d.disk.snapshotBytes));
  $("members").replaceChildren.apply($("members"), d.members.map(memberCard));
  showLeaders(d.leaders, d.atMs);
  var ops = d.ops;
  noteCommit(node, d.atMs);
  var opsMax = drawLines($("ops-chart"), [ops.writes, ops.reads, feed.commits], ["var(--write)", "var(--read)", "var(--lead)"]);
  text("ops-max", Math.round(opsMax));
  text("commits-now", Math.round(last(feed.commits)));
  text("writes-now", last(ops.writes));
  text("reads-now", last(ops.reads));
  var p99max = drawLines($("p99-chart"), [ops.writeP99Ms, ops.readP99Ms], ["var(--write)", "var(--read)"]);
  text("p99-max", isFinite(p99max) ? p99max.toFixed(1) : "?");
  text("write-p99", last(ops.writeP99Ms).toFixed(1));
  text("read-p99", last(ops.readP99Ms).toFixed(1));
  if (node.leaderId === "") setHealth("noleader", "Node " + node.id + " knows no leader (term " + node.term + "): writes and default reads fail until one is elected");
  else setHealth("ok", "");
}
async function followStatus() {
  var delayMs = 250;
  for (;;) {
    var controller = new AbortController();
    feed.controller = controller;
    try {
      await readEvents("/status/events", function (event) {
        if (event.event !== "status") return;
        delayMs = 250;
        onStatus(JSON.parse(event.data));
      }, controller.signal);
      setHealth("down", "The status stream ended; reconnecting");
    } catch (error) {
      var why = error && error.status === 401 ? "the token was refused" : "the node does not answer";
      setHealth("down", "Cannot reach this node (" + why + "): showing its last known state, retrying");
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 4000);
  }
}
setInterval(function () {
  if (feed.health !== "down" && Date.now() - feed.lastAtMs > STALE_MS && feed.controller) {
    setHealth("down", "No news from this node for " + Math.round((Date.now() - feed.lastAtMs) / 1000) + " s: showing its last known state, retrying");
    feed.controller.abort();
  }
}, 1000);
ui.restarts.push(function () { if (feed.controller) feed.controller.abort(); });
setHealth("down", "Connecting");
followStatus();
`;
