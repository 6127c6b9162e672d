/**
 * The dashboard script's shared helpers: element lookup, the token, number
 * formatting, and a server-sent event reader over `fetch` (unlike
 * `EventSource`, it can send the token as a header).
 *
 * @module
 */

/** Browser JavaScript: helpers the other script parts use. */
export const SCRIPT_BASE = String.raw`
"use strict";
var TOKEN_KEY = "rafter.token";
var ui = { token: localStorage.getItem(TOKEN_KEY) || "", restarts: [] };
function $(id) { return document.getElementById(id); }
function text(id, value) { var el = $(id); if (el.textContent !== String(value)) el.textContent = String(value); }
function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
function authHeaders(extra) {
  var headers = extra || {};
  if (ui.token !== "") headers.authorization = "Bearer " + ui.token;
  return headers;
}
function bytes(n) {
  if (!(n >= 0)) return "?";
  var units = ["B", "KiB", "MiB", "GiB", "TiB"];
  var i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
}
function ago(ms) {
  if (ms < 0) return "?";
  if (ms < 1000) return ms + " ms";
  return (ms / 1000).toFixed(1) + " s";
}
function clock(ms) { return new Date(ms).toLocaleTimeString(); }
function make(tag, attrs, children) {
  var el = document.createElement(tag);
  for (var name in attrs || {}) el.setAttribute(name, attrs[name]);
  (children || []).forEach(function (child) {
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return el;
}
/** Reads server-sent events from url until the stream ends; throws on an HTTP error. */
async function readEvents(url, onEvent, signal, extraHeaders) {
  var response = await fetch(url, { headers: authHeaders(extraHeaders), signal: signal, cache: "no-store" });
  if (!response.ok) {
    var body = await response.text();
    var error = new Error("HTTP " + response.status + " " + body.slice(0, 200));
    error.status = response.status;
    throw error;
  }
  var reader = response.body.getReader();
  var decoder = new TextDecoder();
  var buffer = "";
  var event = { event: "message", data: "", id: null };
  for (;;) {
    var chunk = await reader.read();
    if (chunk.done) return;
    buffer += decoder.decode(chunk.value, { stream: true });
    var lines = buffer.split("\n");
    buffer = lines.pop();
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].replace(/\r$/, "");
      if (line === "") {
        if (event.data !== "") onEvent({ event: event.event, data: event.data.slice(0, -1), id: event.id });
        event = { event: "message", data: "", id: null };
        continue;
      }
      if (line.charAt(0) === ":") continue;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = value;
      else if (field === "data") event.data += value + "\n";
      else if (field === "id") event.id = value;
    }
  }
}
$("token").value = ui.token;
$("token-form").addEventListener("submit", function (e) {
  e.preventDefault();
  ui.token = $("token").value.trim();
  if (ui.token === "") localStorage.removeItem(TOKEN_KEY); else localStorage.setItem(TOKEN_KEY, ui.token);
  ui.restarts.forEach(function (restart) { restart(); });
});
`;
