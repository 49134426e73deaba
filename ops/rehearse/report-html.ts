import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { RehearsalResult } from "./rehearse.ts";
import { overallLatency, seriesOf } from "./series.ts";

const require = createRequire(import.meta.url);
const asset = (p: string) => readFileSync(require.resolve(p), "utf8");

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

const CHART_CODE = `
(function () {
  var data = JSON.parse(document.getElementById("rehearsal-data").textContent);
  var s = data.series;
  var faults = data.faults;
  var palette = { "201": "#2e7d32", "200": "#66bb6a", "202": "#f9a825", "409": "#1565c0", "429": "#8e24aa",
    "503": "#e65100", "500": "#b71c1c", "504": "#c62828", "no answer": "#000000" };
  var extra = ["#00838f", "#6d4c41", "#ad1457", "#546e7a"];
  function colour(name, i) { return palette[name] || extra[i % extra.length]; }
  var faultBands = {
    hooks: {
      drawClear: [function (u) {
        var ctx = u.ctx;
        ctx.save();
        faults.forEach(function (f, i) {
          var x0 = u.valToPos(f.startMs / 1000, "x", true);
          var x1 = u.valToPos(Math.max(f.endMs, f.startMs + 300) / 1000, "x", true);
          ctx.fillStyle = "rgba(229, 57, 53, 0.12)";
          ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
          ctx.fillStyle = "#c62828";
          ctx.font = (11 * devicePixelRatio) + "px sans-serif";
          // Overlapping faults: one label row each.
          ctx.fillText(f.fault, x0 + 3, u.bbox.top + (12 + 13 * i) * devicePixelRatio);
        });
        ctx.restore();
      }]
    }
  };
  function width(el) { return Math.max(480, el.clientWidth - 10); }
  function chart(id, title, x, lines, yLabel) {
    var el = document.getElementById(id);
    var opts = {
      title: title, width: width(el), height: 260, plugins: [faultBands],
      scales: { x: { time: false } },
      axes: [{ label: "seconds after T0" }, { label: yLabel }],
      series: [{ label: "s" }].concat(lines.map(function (l) {
        return { label: l.label, stroke: l.colour, width: 2, spanGaps: l.gaps !== true };
      }))
    };
    var plot = new uPlot(opts, [x].concat(lines.map(function (l) { return l.values; })), el);
    el.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { plot.setSize({ width: width(el), height: 260 }); });
  }
  var statuses = Object.keys(s.answersByStatus);
  chart("answers", "Reservation answers per second, by HTTP status (no answer = refused/reset/timeout)", s.seconds, statuses.map(function (k, i) {
    return { label: k, colour: colour(k, i), values: s.answersByStatus[k] };
  }), "answers / s");
  chart("latency", "Reservation latency per second (ms; gap: no answer that second)", s.seconds, [
    { label: "P50", colour: "#2e7d32", values: s.latency.p50, gaps: true },
    { label: "P95", colour: "#f9a825", values: s.latency.p95, gaps: true },
    { label: "P99", colour: "#c62828", values: s.latency.p99, gaps: true }
  ], "ms");
  chart("stock", "Stock over time (availability view)", s.stock.seconds, [
    { label: "available", colour: "#2e7d32", values: s.stock.available },
    { label: "held", colour: "#f9a825", values: s.stock.held },
    { label: "sold", colour: "#1565c0", values: s.stock.sold }
  ], "units");
  chart("queue", "Command queue (handler /metrics)", s.queue.seconds, [
    { label: "lag (commands)", colour: "#6d4c41", values: s.queue.lag, gaps: true },
    { label: "oldest undecided (s)", colour: "#ad1457", values: s.queue.ageSeconds, gaps: true }
  ], "commands / seconds (gap: handler down)");
})();
`;

/** One self-contained HTML file: uPlot and its CSS inlined, the data embedded; no network at view time. */
export const reportHtml = (r: RehearsalResult): string => {
  const lat = overallLatency(r);
  const fmt = (v: number | null) => (v === null ? "–" : `${Math.round(v)} ms`);
  const verdict = r.ok ? "ALL INVARIANTS HOLD" : "INVARIANT VIOLATED";
  const answers = Object.entries(r.summary.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${v}</td></tr>`)
    .join("");
  const orders = Object.entries(r.summary.orders)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${v}</td></tr>`)
    .join("");
  const checks = r.checks
    .map(
      (c) =>
        `<tr class="${c.ok ? "ok" : "bad"}"><td>${c.ok ? "✔" : "✘"}</td><td>${esc(c.name)}</td><td>${esc(c.source)}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join("");
  const faults = r.faults
    .map(
      (f) =>
        `<tr><td>${esc(f.fault)}</td><td class="n">${(f.startMs / 1000).toFixed(1)} s</td><td class="n">${(f.endMs / 1000).toFixed(1)} s</td><td>${f.error === null ? "recovered" : esc(f.error)}</td></tr>`,
    )
    .join("");
  const o = r.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>holdfast rehearsal ${esc(r.skuId)}: ${verdict}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${asset("uplot/dist/uPlot.min.css")}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 4px; font-weight: 700; color: #fff; background: ${r.ok ? "#2e7d32" : "#c62828"}; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.chart { min-height: 300px; border: 1px solid #e0e0e0; border-radius: 4px; padding: 4px; }
table { border-collapse: collapse; margin: 4px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.ok td:first-child { color: #2e7d32; } tr.bad td { color: #c62828; font-weight: 600; }
.figures { display: flex; gap: 32px; flex-wrap: wrap; } .figures div b { display: block; font-size: 20px; }
</style></head><body>
<h1>holdfast rehearsal — SKU ${esc(r.skuId)}</h1>
<p>${esc(r.startedAt)} · ${(r.durationMs / 1000).toFixed(0)} s · stock ${o.stock}, ${o.requests} requests from ${o.shoppers} shoppers,
concurrency ${o.concurrency}, burst then decay over ${o.durationSeconds} s, per-shopper limit ${o.perUserLimit} ·
faults: ${r.faults.length === 0 ? "none" : r.faults.map((f) => esc(f.fault)).join(", ")}</p>
<p><span class="verdict" id="verdict">${verdict}</span></p>
<div class="figures">
<div><b>${r.summary.unitsGranted}</b>units granted (of ${o.stock}; failed payments' units are sold again)</div>
<div><b>${r.summary.answers["201"] ?? 0}</b>holds (${r.summary.partialGrants} partial)</div>
<div><b>${Object.entries(r.summary.answers)
    .filter(([k]) => k.startsWith("409"))
    .reduce((n, [, v]) => n + v, 0)}</b>refusals</div>
<div><b>${fmt(lat.p50)} / ${fmt(lat.p95)} / ${fmt(lat.p99)}</b>reserve P50 / P95 / P99</div>
<div><b>${r.summary.resent}</b>Idempotency-Key re-sends</div>
</div>
<h2>Invariants</h2>
<table id="invariants"><tr><th></th><th>invariant</th><th>from</th><th>detail</th></tr>${checks}</table>
<h2>Charts</h2>
<div class="grid">
<div class="chart" id="answers"></div><div class="chart" id="latency"></div>
<div class="chart" id="stock"></div><div class="chart" id="queue"></div>
</div>
<h2>Faults</h2>
<table><tr><th>fault</th><th>at</th><th>recovered</th><th></th></tr>${faults || "<tr><td colspan=4>none</td></tr>"}</table>
<h2>Final answers</h2>
<table><tr><th>answer</th><th>requests</th></tr>${answers}</table>
<h2>Orders</h2>
<table><tr><th>status</th><th>orders</th></tr>${orders || "<tr><td colspan=2>none</td></tr>"}</table>
<script type="application/json" id="rehearsal-data">${scriptJson({ series: seriesOf(r), faults: r.faults })}</script>
<script>${asset("uplot/dist/uPlot.iife.min.js")}</script>
<script>${CHART_CODE}</script>
</body></html>
`;
};
