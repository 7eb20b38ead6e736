// The page at "/": every camera live with its stats, built in the browser from /state.
#include "rvkit/mjpeg/server.hpp"

namespace rvkit::mjpeg {

const std::string& index_page() {
  static const std::string page = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rvkit stream</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 12px; background: #15171a; color: #e6e6e6; }
 h1 { font-size: 18px; margin: 0 0 10px; }
 #cams { display: flex; flex-wrap: wrap; gap: 12px; }
 .cam { background: #202328; border-radius: 6px; padding: 8px; max-width: 100%; }
 .cam img { display: block; max-width: min(100%, 960px); background: #000; min-width: 160px; min-height: 120px; }
 .name { font-weight: 600; margin: 6px 0 2px; }
 .stats, .links, #clients, #status { color: #a8b0ba; font-size: 12px; }
 .stats { width: 0; min-width: max(100%, 220px); }  /* wraps at the picture's width */
 a { color: #7cb7ff; }
 table { border-collapse: collapse; margin-top: 12px; }
 td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #333; }
 td:first-child, th:first-child { text-align: left; }
</style></head>
<body>
<h1>rvkit stream</h1>
<div id="status">waiting for frames&hellip;</div>
<div id="cams"></div>
<table id="clients"></table>
<script>
"use strict";
const cards = new Map();
function fmtRate(kbps) { return kbps >= 1000 ? (kbps / 1000).toFixed(1) + " Mbit/s" : Math.round(kbps) + " kbit/s"; }
function card(cam) {
  let c = cards.get(cam.cam);
  if (c) return c;
  c = document.createElement("div");
  c.className = "cam";
  const q = encodeURIComponent(cam.cam);
  const img = document.createElement("img");
  img.alt = cam.cam;
  img.src = "/?action=stream&cam=" + q;
  // A stream that breaks (server restarted, network hiccup) is reopened.
  img.onerror = () => setTimeout(() => { img.src = "/?action=stream&cam=" + q + "&t=" + Date.now(); }, 1000);
  const name = document.createElement("div");
  name.className = "name";
  name.textContent = cam.cam;
  const stats = document.createElement("div");
  stats.className = "stats";
  const links = document.createElement("div");
  links.className = "links";
  for (const [text, href] of [["stream", "/?action=stream&cam=" + q], ["snapshot", "/?action=snapshot&cam=" + q]]) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    links.append(a, " ");
  }
  c.append(img, name, stats, links);
  document.getElementById("cams").append(c);
  c.stats = stats;
  cards.set(cam.cam, c);
  return c;
}
function row(cells, tag) {
  const tr = document.createElement("tr");
  for (const v of cells) { const td = document.createElement(tag); td.textContent = v; tr.append(td); }
  return tr;
}
async function refresh() {
  try {
    const r = await fetch("/state", { cache: "no-store" });
    const s = await r.json();
    document.getElementById("status").textContent =
      s.cameras.length ? s.server.streams + " stream(s), up " + Math.round(s.server.uptime_s) + " s" : "waiting for frames\u2026";
    for (const cam of s.cameras) {
      card(cam).stats.textContent = cam.w + "x" + cam.h + " " + cam.fmt + " \u00b7 " + cam.fps.toFixed(1) + " fps \u00b7 " +
        fmtRate(cam.kbps_in || 0) + " in \u00b7 " + cam.clients + " client(s) \u00b7 frame age " + cam.age_ms + " ms" +
        (cam.encode_ms ? " \u00b7 encode " + cam.encode_ms.toFixed(1) + " ms" : "");
    }
    const t = document.getElementById("clients");
    t.replaceChildren(row(["client", "camera", "size", "quality", "fps", "rate", "sent", "dropped", "latency"], "th"));
    for (const c of s.clients)
      t.append(row([c.peer, c.cam, c.resolution, c.quality < 0 ? "as is" : c.quality, c.fps.toFixed(1), fmtRate(c.kbps),
                    c.sent, c.dropped, c.latency_ms.toFixed(0) + " ms"], "td"));
  } catch (e) {
    document.getElementById("status").textContent = "server not answering: " + e;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body></html>
)HTML";
  return page;
}

}  // namespace rvkit::mjpeg
