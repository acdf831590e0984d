// SPDX-License-Identifier: GPL-2.0-or-later
// Trunkline dashboard: a plain ES module over the REST API (docs/API.md).
// The token lives in sessionStorage (this tab only) and goes out as a
// Bearer token; a 401 anywhere returns to the sign-in form.

const TOKEN_KEY = "trunkline.token";
const HISTORY_S = 300;          // seconds of chart history kept
const RECENT_MS = 3600 * 1000;  // window of the recent calls list
const CDR_SCAN_MAX = 5000;      // CDRs read for it at most

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let token = sessionStorage.getItem(TOKEN_KEY);

async function api(path, { method = "GET", body, ctype, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (ctype) headers["Content-Type"] = ctype;
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: "no-store" });
  } catch (e) {
    setConn(false, "unreachable");
    throw new ApiError(0, { detail: `the daemon does not answer (${e.message})` });
  }
  if (res.status === 401) {
    logout("The token was refused (401). Sign in again.");
    throw new ApiError(401, { detail: "unauthorized" });
  }
  if (!res.ok) {
    let p = null;
    try { p = await res.json(); } catch { /* not a problem document */ }
    throw new ApiError(res.status, p);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

// All pages of a list (bounded): the API pages by id cursor.
async function listAll(path, max = 1000) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${sep}limit=${Math.min(1000, max)}${cursor ? `&cursor=${cursor}` : ""}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// ------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

function fillBody(table, rows, empty) {
  const tb = $("tbody", table);
  tb.replaceChildren(...rows);
  if (!rows.length) {
    const n = $$("thead th", table).length;
    tb.append(el("tr", {}, el("td", { class: "empty", colspan: n, text: empty })));
  }
}

const pad = (n) => String(n).padStart(2, "0");
function fmtTime(ms, withDate = true) {
  if (!ms) return "–";
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}` : t;
}
function fmtDur(ms) {
  if (ms === null || ms === undefined) return "–";
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${pad(s % 60)}s`;
}
const num = (v) => (v === undefined || v === null ? "–" : Number(v).toLocaleString());
const codeCell = (c) => el("td", { class: `n code${String(c)[0]}`, text: c || "–" });
const talk = (c) => (c.answer_ms ? c.end_ms - c.answer_ms : null);

const names = { carriers: new Map(), customers: new Map() };
const carrierName = (id) => (id ? names.carriers.get(id) || `#${id}` : "–");
const customerName = (id) => (id ? names.customers.get(id) || `#${id}` : "–");

async function loadNames() {
  const [carriers, customers] = await Promise.all([listAll("/api/carriers"), listAll("/api/customers")]);
  names.carriers = new Map(carriers.map((c) => [c.id, c.name]));
  names.customers = new Map(customers.map((c) => [c.id, c.name]));
  state.carriers = carriers;
  for (const sel of $$('select[name="carrier_id"], #rate-carrier')) fillSelect(sel, carriers, sel.id !== "rate-carrier");
  for (const sel of $$('select[name="customer_id"], #route-customer')) fillSelect(sel, customers, sel.id !== "route-customer");
}

function fillSelect(sel, rows, any) {
  const keep = sel.value;
  sel.replaceChildren(...(any ? [el("option", { value: "", text: "any" })] : []),
    ...rows.map((r) => el("option", { value: r.id, text: `${r.name} (#${r.id})` })));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

function setConn(ok, text) {
  const c = $("#conn");
  c.textContent = text;
  c.className = `pill ${ok ? "ok" : "bad"}`;
}

// ----------------------------------------------------------- login/out

const state = { carriers: [], view: null, timers: [] };

function logout(msg) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  $("#nav").hidden = true;
  $("#logout").hidden = true;
  setConn(false, "signed out");
  showView("login");
  const e = $("#login-error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

async function login(t) {
  token = t.trim();
  // /metrics needs a token and is cheap: a good probe.
  await api("/metrics", { raw: true });
  sessionStorage.setItem(TOKEN_KEY, token);
  $("#nav").hidden = false;
  $("#logout").hidden = false;
  $("#login-error").hidden = true;
  await loadNames();
  startPolling();
  route();
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await login($("#token").value);
    $("#token").value = "";
  } catch (e) {
    if (e.status !== 401) logout(`Cannot sign in: ${e.message}`);
  }
});
$("#logout").addEventListener("click", () => logout());

// ---------------------------------------------------------------- views

function showView(name) {
  for (const v of $$(".view")) v.hidden = v.id !== `view-${name}`;
  for (const a of $$("#nav a")) a.classList.toggle("active", a.dataset.view === name);
  state.view = name;
  if (name === "overview") resizeCharts();
}

function route() {
  if (!token) return showView("login");
  const v = (location.hash || "#overview").slice(1);
  const known = ["overview", "cdrs", "rates", "route"];
  showView(known.includes(v) ? v : "overview");
  if (state.view === "overview") { refreshCarriers(); refreshCalls(); }
  if (state.view === "rates") loadRates();
  if (state.view === "cdrs" && !$("#cdr-table tbody tr")) searchCdrs(false);
}
window.addEventListener("hashchange", route);

// --------------------------------------------------------------- metrics

// Prometheus text: "name{labels} value" lines into { "name{labels}": value }.
function parseMetrics(text) {
  const m = {};
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const i = line.lastIndexOf(" ");
    m[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return m;
}

const series = { t: [], active: [], cps: [] };
let lastStarted = null;
let lastT = null;

async function pollMetrics() {
  let m;
  try {
    m = parseMetrics(await (await api("/metrics", { raw: true })).text());
  } catch (e) {
    if (e.status !== 401) setConn(false, "no answer");
    return;
  }
  setConn(true, "live");
  const now = Date.now() / 1000;
  const started = m['trunkline_calls_total{outcome="started"}'];
  const active = m.trunkline_calls_active;
  let cps = null;
  if (started !== undefined && lastStarted !== null && now > lastT)
    cps = Math.max(0, (started - lastStarted) / (now - lastT));
  if (started !== undefined) { lastStarted = started; lastT = now; }

  series.t.push(now);
  series.active.push(active ?? null);
  series.cps.push(cps);
  while (series.t.length && series.t[0] < now - HISTORY_S) {
    series.t.shift(); series.active.shift(); series.cps.shift();
  }
  $("#t-active").textContent = num(active);
  $("#t-cps").textContent = cps === null ? "–" : cps.toFixed(cps < 10 ? 1 : 0);
  $("#t-started").textContent = num(started);
  $("#t-answered").textContent = num(m['trunkline_calls_total{outcome="answered"}']);
  $("#t-failed").textContent = num(m['trunkline_calls_total{outcome="failed"}']);
  $("#t-cdrq").textContent = num(m.trunkline_cdr_queue_depth);
  $("#t-txn").textContent = num((m['trunkline_transactions_active{side="server"}'] ?? 0) +
                                (m['trunkline_transactions_active{side="client"}'] ?? 0));
  $("#t-perr").textContent = num((m['trunkline_sip_parse_errors_total{kind="request"}'] ?? 0) +
                                 (m['trunkline_sip_parse_errors_total{kind="response"}'] ?? 0));
  const gen = m.trunkline_routing_snapshot_generation;
  $("#gen").textContent = gen !== undefined ? `routing gen ${gen}` : "";
  // The page exposes the last values for scripts and tests.
  document.body.dataset.activeCalls = active ?? "";
  document.body.dataset.callsStarted = started ?? "";
  drawCharts();
}

// ---------------------------------------------------------------- charts

const charts = {};

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function makeChart(id, label, colour) {
  const box = document.getElementById(id);
  if (!window.uPlot) {
    box.replaceChildren(el("div", { class: "fallback", text: "charting library not installed (npm ci in web/)" }));
    return null;
  }
  const grid = { stroke: cssVar("--line"), width: 1 };
  const axis = { stroke: cssVar("--muted"), grid, ticks: grid, font: "11px system-ui, sans-serif" };
  const opts = {
    width: Math.max(200, box.clientWidth), height: 180,
    cursor: { drag: { x: false, y: false } },
    legend: { show: true },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.2)] } },
    axes: [axis, { ...axis, size: 44 }],
    series: [{}, { label, stroke: colour, width: 2, fill: colour + "22", spanGaps: true, points: { show: false },
                   value: (u, v) => (v === null ? "–" : (Math.round(v * 10) / 10).toString()) }],
  };
  return new window.uPlot(opts, [[], []], box);
}

function drawCharts() {
  if (state.view !== "overview") return;
  if (!charts.active && window.uPlot !== undefined) {
    charts.active = makeChart("chart-active", "active", cssVar("--accent"));
    charts.cps = makeChart("chart-cps", "calls/s", cssVar("--accent2"));
  } else if (!window.uPlot && !charts.fallback) {
    charts.fallback = true;
    makeChart("chart-active"); makeChart("chart-cps");
  }
  charts.active?.setData([series.t, series.active]);
  charts.cps?.setData([series.t, series.cps]);
}

function resizeCharts() {
  for (const [id, c] of [["chart-active", charts.active], ["chart-cps", charts.cps]]) {
    const w = document.getElementById(id).clientWidth;
    if (c && w) c.setSize({ width: w, height: 180 });
  }
}
window.addEventListener("resize", resizeCharts);

// ------------------------------------------------------------ live calls

// Hang-up takes two clicks on the same call within 4 s.
const HANGUP_CONFIRM_MS = 4000;
let confirmHangup = { id: null, until: 0 };

function hangupButton(c) {
  const armed = confirmHangup.id === c.id && Date.now() < confirmHangup.until;
  const b = el("button", { class: `hangup${armed ? " confirm" : ""}`, type: "button",
    title: "hang up: BYE to both sides, or CANCEL/480 while it rings",
    text: armed ? "Confirm hang-up" : "Hang up" });
  b.addEventListener("click", () => hangup(c.id));
  return b;
}

async function hangup(id) {
  const err = $("#calls-error");
  if (confirmHangup.id !== id || Date.now() >= confirmHangup.until) {
    confirmHangup = { id, until: Date.now() + HANGUP_CONFIRM_MS };
    refreshCalls();
    return;
  }
  confirmHangup = { id: null, until: 0 };
  try {
    await api(`/api/calls/${id}`, { method: "DELETE" });
    err.hidden = true;
  } catch (e) {
    err.textContent = `Call ${id} not hung up: ${e.message}`;
    err.hidden = false;
  }
  refreshCalls();
}

async function refreshCalls() {
  let page;
  try {
    page = await api("/api/calls?limit=200");
  } catch (e) {
    return;
  }
  const now = Date.now();
  $("#calls-count").textContent = page.total > page.items.length
    ? `${page.items.length} of ${page.total}` : String(page.total);
  fillBody($("#live-calls"), page.items.map((c) => el("tr", { "data-call": c.id, "data-state": c.state },
    el("td", { class: "n", text: c.id }),
    el("td", {}, el("span", { class: `st ${c.state}`, text: c.state })),
    el("td", { text: c.direction }),
    el("td", { text: c.customer || "–" }),
    el("td", { text: c.carrier || "–" }),
    el("td", { text: c.caller || "–" }),
    el("td", { text: c.e164 || c.dialled || "–" }),
    el("td", { class: "mono", text: c.gateway || "–" }),
    el("td", { class: "n", text: `${c.attempt}/${c.attempts}` }),
    el("td", { class: "n", text: c.answer_ms ? fmtDur(now - c.answer_ms) : "–",
               title: c.answer_ms ? `answered ${fmtTime(c.answer_ms)}` : `since ${fmtTime(c.setup_ms)}` }),
    el("td", {}, hangupButton(c)))), "no calls in progress");
}

// ---------------------------------------------- carriers: ASR/ACD/PDD

async function refreshCarriers() {
  if (!token) return;
  let stats, gws, cdrs;
  const win = $("#stats-window").value;
  try {
    [stats, gws, cdrs] = await Promise.all([
      api(`/api/stats?of=carrier&window=${win}`),
      listAll("/api/gateways"),
      listAll(`/api/cdrs?from=${Date.now() - RECENT_MS}`, CDR_SCAN_MAX),
    ]);
  } catch (e) {
    return;
  }
  const gwCount = new Map();
  for (const g of gws) gwCount.set(g.carrier_id, (gwCount.get(g.carrier_id) || 0) + 1);
  const st = new Map(stats.carriers.map((s) => [s.id, s]));
  fillBody($("#carriers"), state.carriers.map((c) => {
    const s = st.get(c.id);
    const asr = s ? s.asr : null;
    let dot = "off", stateText = "disabled";
    if (c.enabled) {
      dot = asr === null ? "ok" : asr >= 40 ? "ok" : asr >= 15 ? "warn" : "bad";
      stateText = asr === null ? "idle" : dot === "ok" ? "healthy" : dot === "warn" ? "degraded" : "failing";
    }
    const codes = s ? Object.entries(s.codes) : [];
    return el("tr", { "data-carrier": c.id },
      el("td", { text: c.name }),
      el("td", {}, el("span", { class: `dot ${dot}` }), stateText),
      el("td", { class: "n", text: c.priority }),
      el("td", { class: "n", text: gwCount.get(c.id) || 0 }),
      el("td", { class: "n", text: s ? s.attempts : 0 }),
      el("td", { class: "n asr", text: asr === null ? "–" : `${asr.toFixed(0)}%` }),
      el("td", { class: "n acd", text: s && s.acd_s !== null ? fmtDur(s.acd_s * 1000) : "–" }),
      el("td", { class: "n pdd", text: s && s.pdd_ms !== null ? `${s.pdd_ms}ms` : "–" }),
      el("td", { class: "codes" }, ...codes.slice(0, 4).map(([k, n], i) =>
        el("span", { class: `code${k[0]}`, text: `${i ? " " : ""}${k}×${n}` }))));
  }), "no carriers provisioned");

  const recent = cdrs.slice(-15).reverse();
  fillBody($("#recent"), recent.map((c) => el("tr", { "data-cdr": c.id },
    el("td", { text: fmtTime(c.end_ms, false), title: new Date(c.end_ms).toISOString() }),
    el("td", { text: c.caller || "–" }),
    el("td", { text: c.normalised ? `+${c.normalised}` : c.dialled || "–" }),
    el("td", { text: carrierName(c.carrier_id) }),
    codeCell(c.sip_code),
    el("td", { class: "n", text: fmtDur(talk(c)) }),
    el("td", { class: "n", text: c.price }))), "no calls in the last hour");
}
$("#stats-window").addEventListener("change", refreshCarriers);

// ------------------------------------------------------------------ CDRs

let cdrNext = null;

function cdrQuery(form) {
  const q = new URLSearchParams();
  const f = new FormData(form);
  for (const k of ["from", "to"]) {
    const v = f.get(k);
    if (v) q.set(k, String(new Date(v).getTime()));   // local time in, Unix ms out
  }
  for (const k of ["number", "customer_id", "carrier_id", "sip_code", "direction", "limit"]) {
    const v = (f.get(k) || "").trim();
    if (v) q.set(k, v);
  }
  return q;
}

function cdrRow(c) {
  return el("tr", { "data-cdr": c.id },
    el("td", { class: "n", text: c.id }),
    el("td", { text: fmtTime(c.end_ms), title: new Date(c.end_ms).toISOString() }),
    el("td", { text: c.direction }),
    el("td", { text: customerName(c.customer_id) }),
    el("td", { text: c.caller || "–" }),
    el("td", { text: c.dialled || "–", title: c.normalised ? `normalised +${c.normalised}` : "" }),
    el("td", { text: carrierName(c.carrier_id) }),
    codeCell(c.sip_code),
    el("td", { text: c.reason || (c.cause ? `Q.850 ${c.cause}` : "") }),
    el("td", { class: "n", text: c.ring_ms ? `${c.ring_ms - c.setup_ms}ms` : "–" }),
    el("td", { class: "n", text: fmtDur(talk(c)) }),
    el("td", { class: "n", text: `${c.billed_sec}s` }),
    el("td", { class: "n", text: c.cost }),
    el("td", { class: "n", text: c.price }),
    el("td", { class: "n", text: (c.attempts || []).length, title: (c.attempts || []).map((a) => `${carrierName(a.carrier_id)}: ${a.code}`).join("\n") }));
}

async function searchCdrs(more = false) {
  const err = $("#cdr-error");
  err.hidden = true;
  const q = cdrQuery($("#cdr-form"));
  if (more && cdrNext) q.set("cursor", cdrNext);
  let page;
  try {
    page = await api(`/api/cdrs?${q}`);
  } catch (e) {
    const fields = (e.problem.errors || []).map((x) => `${x.field}: ${x.detail}`).join("\n");
    err.textContent = fields || e.message;
    err.hidden = false;
    return;
  }
  cdrNext = page.next_cursor;
  const tb = $("#cdr-table tbody");
  const rows = page.items.map(cdrRow);
  if (more) tb.append(...rows);
  else fillBody($("#cdr-table"), rows, "no CDR matches");
  const shown = $$("#cdr-table tbody tr[data-cdr]").length;
  $("#cdr-count").textContent = `${shown} CDR${shown === 1 ? "" : "s"}${cdrNext ? " (more)" : ""}`;
  $("#cdr-more").hidden = !cdrNext;
}

$("#cdr-form").addEventListener("submit", (ev) => { ev.preventDefault(); searchCdrs(false); });
$("#cdr-more").addEventListener("click", () => searchCdrs(true));
$("#cdr-csv").addEventListener("click", async () => {
  const q = cdrQuery($("#cdr-form"));
  q.delete("limit");
  try {
    const blob = await (await api(`/api/cdrs.csv?${q}`, { raw: true })).blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: "cdrs.csv" });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    $("#cdr-error").textContent = e.message; $("#cdr-error").hidden = false;
  }
});

// ----------------------------------------------------------------- rates

async function loadRates() {
  const id = $("#rate-carrier").value;
  if (!id) return fillBody($("#rates-table"), [], "no carrier provisioned");
  let page;
  try {
    page = await api(`/api/carriers/${id}/rates?limit=200`);
  } catch (e) {
    return fillBody($("#rates-table"), [], e.message);
  }
  $("#rates-count").textContent = `${page.items.length}${page.next_cursor ? "+" : ""}`;
  fillBody($("#rates-table"), page.items.map((r) => el("tr", {},
    el("td", { class: "mono", text: r.prefix }),
    el("td", { class: "n", text: r.rate }),
    el("td", { class: "n", text: r.connect_fee }),
    el("td", { class: "n", text: `${r.inc_first}/${r.inc_next}` }),
    el("td", { text: r.effective_from || "always" }))), "no rates");
}
$("#rate-carrier").addEventListener("change", loadRates);

$("#rate-file").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (f) $("#rate-csv").value = await f.text();
});

function showRateError(e, text) {
  const box = $("#rate-result");
  box.className = "bad";
  const fe = (e.problem.errors || []).find((x) => x.line) || (e.problem.errors || [])[0];
  const parts = [];
  if (fe && fe.line) {
    parts.push(el("div", {}, el("span", { class: "where", text: `line ${fe.line}, column ${fe.column}` }),
      ` (${fe.field}): ${fe.detail}`));
    // The offending line and its neighbours, the bad one marked.
    const lines = text.split(/\r?\n/);
    const from = Math.max(0, fe.line - 3), to = Math.min(lines.length, fe.line + 1);
    const pre = el("pre");
    for (let i = from; i < to; i++) {
      const l = `${String(i + 1).padStart(4)} | ${lines[i]}\n`;
      pre.append(i + 1 === fe.line ? el("mark", { text: l }) : l);
    }
    parts.push(pre);
  } else {
    parts.push(el("div", { text: e.message }));
  }
  parts.push(el("div", { class: "muted small", text: `${e.status} ${e.problem.title || ""}: nothing was imported` }));
  box.replaceChildren(...parts);
  box.hidden = false;
}

$("#rate-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = $("#rate-carrier").value;
  const text = $("#rate-csv").value;
  const cols = $('#rate-form [name="columns"]').value.trim();
  const box = $("#rate-result");
  box.hidden = true;
  try {
    const r = await api(`/api/carriers/${id}/rates${cols ? `?columns=${encodeURIComponent(cols)}` : ""}`,
      { method: "POST", body: text, ctype: "text/csv" });
    box.className = "ok";
    box.textContent = `Imported ${r.imported} rate${r.imported === 1 ? "" : "s"} into ${carrierName(r.carrier_id)}.`;
    box.hidden = false;
    loadRates();
  } catch (e) {
    if (e.status !== 401) showRateError(e, text);
  }
});

// ----------------------------------------------------------- route explain

$("#route-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const q = new URLSearchParams({ customer: f.get("customer"), number: f.get("number").trim() });
  if (f.get("at").trim()) q.set("at", f.get("at").trim());
  const err = $("#route-error");
  err.hidden = true;
  let d;
  try {
    d = await api(`/api/route/explain?${q}`);
  } catch (e) {
    const fields = (e.problem.errors || []).map((x) => `${x.field}: ${x.detail}`).join("\n");
    err.textContent = fields || e.message;
    err.hidden = false;
    $("#route-result").hidden = true;
    return;
  }
  const v = $("#route-verdict");
  v.className = `verdict ${d.routed ? "ok" : "bad"}`;
  v.textContent = d.routed ? `Routed: ${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}`
                           : `Refused: ${d.status} ${d.reason}`;
  const kv = [["customer", `${d.customer.name} (#${d.customer.id})${d.customer.enabled ? "" : " disabled"}`],
    ["dialled", d.dialled], ["E.164", d.e164 || "–"], ["reason", d.reason],
    ["tariff", d.tariff ? `prefix ${d.tariff.prefix}: ${d.tariff.rate}/min + ${d.tariff.connect_fee}, ${d.tariff.inc_first}/${d.tariff.inc_next}` : "none"]];
  if (d.retry_after) kv.push(["retry after", `${d.retry_after}s`]);
  $("#route-kv").replaceChildren(...kv.flatMap(([k, val]) => [el("dt", { text: k }), el("dd", { text: val })]));
  fillBody($("#route-attempts"), d.attempts.map((a) => el("tr", {},
    el("td", { class: "n", text: a.order }),
    el("td", { text: a.carrier || `#${a.carrier_id}` }),
    el("td", { class: "mono", text: a.gateway ? `${a.gateway.host}:${a.gateway.port}/${a.gateway.transport}` : "–" }),
    el("td", { text: a.pick }),
    el("td", { class: "mono", text: a.prefix }),
    el("td", { class: "n", text: a.cost_1min }),
    el("td", { class: "n", text: a.price_1min }),
    el("td", { class: "n", text: a.margin_1min }),
    el("td", { class: "mono", text: a.number }))), "no carrier would be tried");
  fillBody($("#route-skipped"), d.skipped.map((s) => el("tr", {},
    el("td", { text: s.carrier || `#${s.carrier_id}` }),
    el("td", { text: s.why }),
    el("td", { class: "mono", text: s.prefix || "–" }),
    el("td", { class: "n", text: s.cost_1min || "–" }))),
    d.skipped_not_shown ? `${d.skipped_not_shown} not shown` : "none skipped");
  $("#route-text").textContent = d.text || "";
  $("#route-result").hidden = false;
});

// ---------------------------------------------------------------- polling

function startPolling() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [
    setInterval(pollMetrics, 1000),
    setInterval(() => { if (state.view === "overview" && !document.hidden) refreshCarriers(); }, 5000),
    setInterval(() => { if (state.view === "overview" && !document.hidden) refreshCalls(); }, 2000),
    setInterval(() => loadNames().catch(() => {}), 60000),
  ];
  pollMetrics();
}

// ------------------------------------------------------------------ start

if (token) {
  login(token).catch((e) => { if (e.status !== 401) logout(`Cannot reach the API: ${e.message}`); });
} else {
  logout();
}
