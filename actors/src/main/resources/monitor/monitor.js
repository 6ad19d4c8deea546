// R3 monitor page: one EventSource (/api/events) feeds the state (every half second) and the new
// per-step rows; nothing reloads. Metric names are the vocabulary of dev.r3.actors.run.MetricNames.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");
const q = (path) => path + (TOKEN ? (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN) : "");
const $ = (id) => document.getElementById(id);
const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed"];

// name -> [series names], options
const CHARTS = [
  { title: "reward mean", series: ["reward/mean", "reward/accuracy"], labels: ["mean reward", "rollout accuracy"] },
  { title: "eval accuracy (held out)", series: ["eval/accuracy"], evals: true, points: true },
  { title: "loss", series: ["losses/loss", "losses/pg_loss"], labels: ["loss", "pg loss"] },
  { title: "clip fraction", series: ["losses/clip_frac"] },
  { title: "grad norm", series: ["losses/grad_norm"] },
  { title: "approx KL (policy step)", series: ["losses/approx_kl"], log: true },
  { title: "mismatch KL (trainer vs engine)", series: ["mismatch/kl"], log: true },
  { title: "F(2): tokens with |log ratio| > log 2", series: ["mismatch/extreme_2"] },
  { title: "router disagreement", series: ["routing/disagreement"] },
  { title: "staleness (versions)", series: ["staleness/mean", "staleness/max"], labels: ["mean", "max"] },
  { title: "tokens / s", series: ["throughput/rollout_tokens_per_s", "throughput/train_tokens_per_s"], labels: ["rollout", "train"] },
  { title: "learner busy fraction", series: ["throughput/learner_busy_frac"] },
];
const LAYER = /^routing\/disagreement\/layer_(\d+)$/;
const HEAT_STEPS = 160;

const data = { steps: [], cols: {}, evalSteps: [], evalCols: {}, lastStep: 0, layers: [] };
const charts = [];
const restartsSeen = {};
let lastState = null;

function fmt(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e12) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(digits || 2);
  return v.toFixed(digits || (a < 1 ? 4 : 2));
}
function tick(v) {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a < 1e-2 || a >= 1e5) return v.toExponential(0);
  return String(+v.toPrecision(3));
}
function ago(iso) {
  if (!iso) return "–";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 1) return "now";
  if (s < 90) return s.toFixed(0) + " s ago";
  return (s / 60).toFixed(0) + " min ago";
}
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}

// ---- charts ----
function makeCharts() {
  const box = $("charts");
  for (const spec of CHARTS) {
    const div = el("div", { class: "chart", "data-metric": spec.series[0], "data-points": "0" });
    const val = el("span", { class: "cval" });
    div.append(el("div", { class: "ctitle" }, spec.title, val));
    const plotBox = el("div");
    div.append(plotBox);
    box.append(div);
    const series = [{ label: "step" }];
    spec.series.forEach((name, i) => series.push({
      label: (spec.labels && spec.labels[i]) || name, stroke: PALETTE[i % PALETTE.length], width: 1.5,
      spanGaps: true, points: { show: !!spec.points, size: 6 },
      value: (u, v) => fmt(v),
    }));
    const width = Math.max(260, div.clientWidth || 300);
    const opts = {
      width, height: 150, series, legend: { show: spec.series.length > 1 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: spec.log ? { distr: 3 } : {} },
      axes: [{ size: 28, font: "11px system-ui" }, { size: 56, font: "11px system-ui", space: 24, values: (u, vals) => vals.map(tick) }],
    };
    const plot = new uPlot(opts, emptyData(spec), plotBox);
    charts.push({ spec, plot, div, val, box: plotBox });
  }
  new ResizeObserver(() => charts.forEach((c) => c.plot.setSize({ width: Math.max(260, c.div.clientWidth), height: 150 }))).observe(box);
}
function emptyData(spec) { return [[], ...spec.series.map(() => [])]; }
function seriesFor(spec) {
  if (spec.evals) return [data.evalSteps, ...spec.series.map((n) => data.evalCols[n] || [])];
  return [data.steps, ...spec.series.map((n) => (data.cols[n] || []).map((v) => (spec.log && !(v > 0) ? null : v)))];
}
function redrawCharts() {
  for (const c of charts) {
    const d = seriesFor(c.spec);
    c.plot.setData(d);
    const ys = d[1];
    let last = null;
    for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null && ys[i] !== undefined) { last = ys[i]; break; }
    c.val.textContent = last === null ? "" : fmt(last);
    c.div.setAttribute("data-points", String(ys.filter((v) => v !== null && v !== undefined).length));
  }
}

// ---- rows ----
function addRows(rows) {
  let added = 0;
  for (const r of rows) {
    if (r.step <= data.lastStep) continue;
    const i = data.steps.length;
    data.steps.push(r.step);
    for (const [k, v] of Object.entries(r)) {
      if (k === "step") continue;
      if (!data.cols[k]) data.cols[k] = new Array(i).fill(null);
      data.cols[k].push(typeof v === "number" ? v : null);
      const m = LAYER.exec(k);
      if (m && !data.layers.includes(+m[1])) data.layers.push(+m[1]);
    }
    for (const k of Object.keys(data.cols)) if (data.cols[k].length < i + 1) data.cols[k].push(null);
    data.lastStep = r.step;
    added++;
  }
  data.layers.sort((a, b) => a - b);
  return added;
}
function setEvals(evals) {
  data.evalSteps = evals.map((e) => e.step);
  data.evalCols = {};
  for (const e of evals) for (const [k, v] of Object.entries(e)) {
    (data.evalCols[k] = data.evalCols[k] || []).push(typeof v === "number" ? v : null);
  }
}

// ---- heatmap + per-layer table ----
function heatColor(v, max) {
  if (v === null || v === undefined) return "#f3f4f6";
  const t = max > 0 ? Math.min(1, v / max) : 0;
  const r = Math.round(255 - t * (255 - 185)), g = Math.round(247 - t * (247 - 28)), b = Math.round(237 - t * (237 - 28));
  return `rgb(${r},${g},${b})`;
}
function drawRouting() {
  const box = $("heatmap");
  const n = data.steps.length, from = Math.max(0, n - HEAT_STEPS);
  const tbl = el("table", { "data-layers": String(data.layers.length) });
  let max = 0;
  for (const l of data.layers) for (let i = from; i < n; i++) { const v = (data.cols["routing/disagreement/layer_" + l] || [])[i]; if (v > max) max = v; }
  for (const l of data.layers) {
    const col = data.cols["routing/disagreement/layer_" + l] || [];
    const tr = el("tr", {}, el("td", { class: "lbl" }, "layer " + l));
    for (let i = from; i < n; i++) {
      const v = col[i];
      tr.append(el("td", { style: "background:" + heatColor(v, max), title: `step ${data.steps[i]} layer ${l}: ${fmt(v)}` }));
    }
    tbl.append(tr);
  }
  box.replaceChildren(data.layers.length ? tbl : el("div", { class: "hint" }, "no per-layer routing measured yet (dense model, or router-disagreement off)"));
  const body = $("layers").tBodies[0];
  body.replaceChildren(...data.layers.map((l) => {
    const col = (data.cols["routing/disagreement/layer_" + l] || []).filter((v) => v !== null);
    const mean = col.length ? col.reduce((a, b) => a + b, 0) / col.length : null;
    return el("tr", {}, el("td", {}, l), el("td", { class: "num" }, fmt(col[col.length - 1])), el("td", { class: "num" }, fmt(mean)));
  }));
}

// ---- state ----
function drawState(s) {
  lastState = s;
  const run = s.run;
  $("run-name").textContent = run.name || "(run)";
  const st = $("status");
  st.textContent = run.status; st.className = "badge " + run.status;
  $("step").textContent = `step ${run.step} / ${run.total_steps}` +
    (run.resumed_from_step != null ? ` (resumed from step ${run.resumed_from_step})` : "");
  $("progress-bar").style.width = (run.total_steps ? (100 * run.step) / run.total_steps : 0) + "%";
  $("elapsed").textContent = formatDuration(run.elapsed_s);
  const fail = $("failure");
  fail.textContent = run.failure ? "run failed: " + run.failure : "";
  fail.classList.toggle("hidden", !run.failure);
  document.title = `R3 · ${run.name} · ${run.status} · step ${run.step}`;
  drawActors(s.actors);
  drawMembers(s.cluster);
  drawLedger(s.ledger);
  drawKv("last-step", s.last_step ? Object.entries(s.last_step).filter(([k]) => !LAYER.test(k)) : []);
  if (!$("settings").tBodies[0].rows.length && run.settings.length) drawKv("settings", run.settings);
  setEvals(s.evals || []);
}
function formatDuration(s) {
  if (s == null) return "";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return (h ? h + " h " : "") + (h || m ? m + " min " : "") + sec + " s";
}
function depth(path) { return path.split("/").length - 2; }
function drawActors(actors) {
  const body = $("actors").tBodies[0];
  const rows = [];
  let running = 0, restarts = 0, stopped = 0;
  for (const a of actors) {
    if (a.state === "running") running++;
    if (a.state === "stopped") stopped++;
    restarts += a.restarts;
    const tr = el("tr", { "data-path": a.path, "data-role": a.role, "data-state": a.state, class: a.state });
    const seen = restartsSeen[a.path];
    if (seen !== undefined && a.restarts > seen) tr.classList.add("flash");
    else if (seen !== undefined && a.restarts === seen) {
      const old = body.querySelector(`tr[data-path="${CSS.escape(a.path)}"]`);
      if (old && old.classList.contains("flash") && old.dataset.flashUntil > Date.now()) { tr.classList.add("flash"); tr.dataset.flashUntil = old.dataset.flashUntil; }
    }
    if (tr.classList.contains("flash") && !tr.dataset.flashUntil) tr.dataset.flashUntil = Date.now() + 2500;
    restartsSeen[a.path] = a.restarts;
    const d = Math.max(0, depth(a.path));
    const name = el("td", { title: a.path }, el("span", { class: "indent" }, "  ".repeat(d) + (d ? "└ " : "")), a.name);
    const lf = a.last_failure ? `${new Date(a.last_failure.time).toLocaleTimeString()} ${a.last_failure.message}` : "";
    const why = a.state === "stopped" && a.stopped_because ? ` (${a.stopped_because})` : "";
    tr.append(name, el("td", {}, a.role), el("td", {}, el("span", { class: "state " + a.state }, a.state + why)),
      el("td", { class: "num restarts" + (a.restarts ? " some" : "") }, a.restarts),
      el("td", { class: "fail", title: lf }, lf.length > 160 ? lf.slice(0, 160) + "…" : lf),
      el("td", { class: "num mailbox" }, a.mailbox == null ? "" : a.mailbox),
      el("td", { class: "num" }, a.busy + a.in_flight), el("td", { class: "num" }, fmt(a.messages)),
      el("td", { class: "num" }, fmt(a.processing_ms_mean, 2)), el("td", {}, ago(a.last_message_at)), el("td", { class: "node" }, a.node));
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  $("tree-summary").textContent = `${actors.length} actors · ${running} running · ${restarts} restarts` + (stopped ? ` · ${stopped} stopped` : "");
}
function drawMembers(c) {
  $("members").tBodies[0].replaceChildren(...c.members.map((m) => el("tr", {},
    el("td", {}, m.address + (m.address === c.self ? " (this)" : "")), el("td", {}, m.roles.join(", ")),
    el("td", {}, m.status), el("td", {}, m.reachable ? "yes" : "NO"))));
}
const REASON_COLORS = ["#f59e0b", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899", "#64748b", "#a16207"];
function drawLedger(l) {
  const box = $("ledger");
  const produced = l.produced || 0, trained = l.trained || 0, dropped = l.dropped || 0;
  const nums = el("div", { class: "ledger-nums" },
    el("div", { "data-ledger": "produced" }, el("b", {}, fmt(produced)), el("span", {}, "produced")),
    el("div", { "data-ledger": "trained" }, el("b", {}, fmt(trained)), el("span", {}, "trained")),
    el("div", { "data-ledger": "dropped" }, el("b", {}, fmt(dropped)), el("span", {}, "dropped")));
  const bar = el("div", { class: "bar", title: "trained | dropped by reason | open" });
  const total = Math.max(1, produced);
  bar.append(el("div", { style: `width:${(100 * trained) / total}%;background:#22c55e` }));
  const reasons = Object.entries(l.dropped_by_reason || {});
  reasons.forEach(([r, n], i) => bar.append(el("div", { style: `width:${(100 * n) / total}%;background:${REASON_COLORS[i % REASON_COLORS.length]}`, title: r })));
  const tbl = el("table", {});
  reasons.filter(([, n]) => n > 0).forEach(([r, n]) => {
    const i = reasons.findIndex(([x]) => x === r);
    tbl.append(el("tr", {}, el("td", {}, el("span", { style: `color:${REASON_COLORS[i % REASON_COLORS.length]}` }, "■ "), "dropped: " + r), el("td", { class: "num" }, fmt(n))));
  });
  tbl.append(el("tr", {}, el("td", {}, "open (buffered + in training)"), el("td", { class: "num" }, fmt((l.buffered || 0) + (l.in_training || 0)))));
  box.replaceChildren(nums, bar, tbl);
}
function drawKv(id, pairs) {
  $(id).tBodies[0].replaceChildren(...pairs.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "num" }, fmt(v)))));
}

// ---- the stream ----
function connect() {
  const es = new EventSource(q("api/events"));
  es.addEventListener("open", () => $("conn").classList.add("live"));
  es.addEventListener("metrics", (e) => {
    const m = JSON.parse(e.data);
    if (addRows(m.rows)) { redrawCharts(); drawRouting(); }
  });
  es.addEventListener("state", (e) => {
    const before = data.evalSteps.length;
    drawState(JSON.parse(e.data));
    if (data.evalSteps.length !== before) redrawCharts();
  });
  es.addEventListener("error", () => {
    $("conn").classList.remove("live");
    if (lastState && lastState.run.status !== "running") es.close(); // the run is over: keep the last picture
  });
}

makeCharts();
connect();
