#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Browser tests of the dashboard: each test starts its own trunkline daemon
// (fresh SQLite database, free loopback ports, a new API token), provisions
// it through the REST API, places calls with SIPp (the customer on
// 127.0.0.1, carriers on 127.0.0.2 and .3, as in tests/scenarios) and drives
// Debian's Chromium headless with playwright-core. Screenshots go to the
// artifacts directory.
//
//   node run.mjs --trunkline PATH [--artifacts DIR] [--chromium PATH] TEST
//   node run.mjs --list
//
// Exit status: 0 pass, 1 fail, 77 skipped (no Chromium, no SIPp).

import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const XML = path.join(HERE, "..", "scenarios", "xml");
const SKIP = 77;
const CUSTOMER_IP = "127.0.0.1";
const CARRIER_A_IP = "127.0.0.2";
const CARRIER_B_IP = "127.0.0.3";
const DIALLED = "447700900123";
const CALLER = "442079460000";
const SAN_MARKERS = ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "==ERROR"];
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-dev-shm-usage"];

class Fail extends Error {}
class Skip extends Error {}

function check(cond, what) {
  if (!cond) throw new Fail(what);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(pred, timeoutMs, what, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Fail(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(stepMs);
  }
}

function which(cmd) {
  for (const d of (process.env.PATH || "").split(":")) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

// A port free for UDP and TCP on host (a lost race shows up as a bind error).
async function freePort(host = "127.0.0.1") {
  for (let i = 0; i < 50; i++) {
    const u = dgram.createSocket("udp4");
    const port = await new Promise((res) => {
      u.once("error", () => res(0));
      u.bind(0, host, () => res(u.address().port));
    });
    const ok = port && await new Promise((res) => {
      const t = net.createServer();
      t.once("error", () => res(false));
      t.listen(port, host, () => t.close(() => res(true)));
    });
    u.close();
    if (ok) return port;
  }
  throw new Fail(`no free port on ${host}`);
}

// ------------------------------------------------------------ the daemon

class Daemon {
  constructor(ctx, apiExtra = "") {
    this.ctx = ctx;
    this.apiExtra = apiExtra;
    this.db = path.join(ctx.tmp, "trunkline.db");
    this.url = `sqlite:${this.db}`;
    this.proc = null;
    this.logText = "";
  }

  cli(...args) {
    const p = spawnSync(this.ctx.trunkline, [...args, "--db", this.url],
      { encoding: "utf8", timeout: 60000, cwd: this.ctx.tmp });
    const out = (p.stdout || "") + (p.stderr || "");
    check(p.status === 0, `trunkline ${args.join(" ")} exited ${p.status}:\n${out}`);
    return p.stdout;
  }

  async start() {
    this.token = this.cli("api", "token", "add", `browser-${this.ctx.ndaemons = (this.ctx.ndaemons || 0) + 1}`).trim();
    check(/^tl_[0-9A-Za-z]{40}$/.test(this.token), `token: ${this.token}`);
    for (let attempt = 0; attempt < 5; attempt++) {
      this.sipPort = await freePort();
      this.apiPort = await freePort();
      const conf = path.join(this.ctx.tmp, "trunkline.conf");
      fs.writeFileSync(conf, `[sip]\nlisten = udp:127.0.0.1:${this.sipPort}\nworkers = 1\n` +
        `[store]\nurl = ${this.url}\nreload_interval = 200\ndemo = no\n` +
        `[api]\nlisten = 127.0.0.1:${this.apiPort}\n${this.apiExtra}\n[log]\nlevel = info\n`);
      this.log = path.join(this.ctx.tmp, `daemon-${attempt}.log`);
      const fd = fs.openSync(this.log, "w");
      this.proc = spawn(this.ctx.trunkline, ["-c", conf], { stdio: ["ignore", fd, fd],
        cwd: this.ctx.tmp, env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || "detect_leaks=1" } });
      fs.closeSync(fd);
      this.ctx.procs.push(this.proc);
      this.exited = null;
      this.proc.on("exit", (code, sig) => { this.exited = { code, sig }; });
      const end = Date.now() + 20000;
      while (Date.now() < end && !this.exited && !this.text().includes("mod=api listening"))
        await sleep(50);
      if (this.text().includes("mod=api listening")) return this;
      if (!this.exited) {
        this.proc.kill("SIGKILL");
        throw new Fail(`daemon did not start within 20 s:\n${this.text()}`);
      }
      if (/in use|err=-98/.test(this.text())) continue;
      throw new Fail(`daemon exited ${this.exited.code} at start:\n${this.text()}`);
    }
    throw new Fail("no free ports in 5 attempts");
  }

  text() {
    try {
      return fs.readFileSync(this.log, "utf8");
    } catch {
      return "";
    }
  }

  get base() {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async api(method, p, body, { ctype, token = this.token } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined && !ctype) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    } else if (ctype) {
      headers["Content-Type"] = ctype;
    }
    const res = await fetch(this.base + p, { method, headers, body });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json };
  }

  async create(p, body) {
    const r = await this.api("POST", p, body);
    check(r.status === 201, `POST ${p} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
    return r.json;
  }

  // Wait until the routing snapshot is built from what is in the store.
  async routingCaughtUp() {
    // The snapshot's own generation is a counter of its own: the daemon's
    // log says which store generation each snapshot was loaded from.
    const gen = (await this.api("GET", "/api/health")).json.generation;
    await waitUntil(() => [...this.text().matchAll(/snapshot loaded store_generation=(\d+)/g)]
      .some((m) => Number(m[1]) >= gen), 10000, `routing snapshot of store generation ${gen}`);
  }

  async stop() {
    if (!this.proc || this.exited) {
      check(!this.proc, `daemon died during the test:\n${this.text()}`);
      return;
    }
    this.proc.kill("SIGTERM");
    await waitUntil(() => this.exited, 30000, "daemon to stop after SIGTERM");
    const t = this.text();
    for (const m of SAN_MARKERS) check(!t.includes(m), `sanitizer report in the daemon's log:\n${t}`);
    check(this.exited.code === 0, `daemon exited ${this.exited.code}/${this.exited.sig} after SIGTERM:\n${t.slice(-4000)}`);
    this.proc = null;
  }

  kill() {
    if (this.proc && !this.exited) this.proc.kill("SIGKILL");
  }
}

// The standard topology of tests/scenarios: customer acme (127.0.0.1, tariff
// 44 at 0.05), carrier-a (127.0.0.2, 44 at 0.01), carrier-b (127.0.0.3, 44 at 0.02).
async function provision(d, aPort, bPort) {
  const tariff = await d.create("/api/tariffs", { name: "retail", currency: "GBP" });
  await d.create(`/api/tariffs/${tariff.id}/rates`, { prefix: "44", rate: "0.05" });
  const cust = await d.create("/api/customers", { name: "acme", country: "GB", tariff_id: tariff.id,
    credit_limit: "100", balance: "50", max_channels: 10, max_cps: 100 });
  const trunk = await d.create("/api/trunks", { customer_id: cust.id, name: "pbx",
    cidrs: `${CUSTOMER_IP}/32` });
  const ids = { customer: cust.id, trunk: trunk.id };
  for (const [key, name, ip, port, rate, prio] of [["a", "carrier-a", CARRIER_A_IP, aPort, "0.01", 1],
    ["b", "carrier-b", CARRIER_B_IP, bPort, "0.02", 2]]) {
    const c = await d.create("/api/carriers", { name, cidrs: `${ip}/32`, priority: prio,
      number_format: "e164" });
    await d.create("/api/gateways", { carrier_id: c.id, host: ip, port, transport: "udp" });
    await d.create(`/api/carriers/${c.id}/rates`, { prefix: "44", rate, inc_first: 60, inc_next: 60 });
    ids[key] = c.id;
  }
  await d.routingCaughtUp();
  return ids;
}

// ------------------------------------------------------------------ SIPp

class Sipp {
  constructor(ctx, name, scenario, ip, { port, remote, calls = 1, keys = {}, extra = [], timeout = 60 } = {}) {
    const sipp = which("sipp");
    if (!sipp) throw new Skip("sipp is not installed (Debian package sip-tester)");
    this.name = name;
    this.out = path.join(ctx.tmp, `sipp-${name}.out`);
    this.ready = (async () => {
      const p = port || await freePort(ip);
      const args = ["-sf", path.join(XML, scenario), "-i", ip, "-p", String(p), "-m", String(calls),
        "-nostdin", "-cp", String(await freePort()), "-timeout", `${timeout}s`, "-timeout_error",
        "-trace_err", "-error_file", path.join(ctx.tmp, `sipp-${name}.err`), "-max_recv_loops", "100000"];
      if (remote) args.unshift(remote);
      for (const [k, v] of Object.entries(keys)) args.push("-key", k, String(v));
      args.push(...extra);
      const fd = fs.openSync(this.out, "w");
      this.proc = spawn(sipp, args, { stdio: ["ignore", fd, fd], cwd: ctx.tmp });
      fs.closeSync(fd);
      ctx.procs.push(this.proc);
      this.done = new Promise((res) => this.proc.on("exit", (code) => res(code)));
      return this;
    })();
  }

  async wait(ms = 60000) {
    await this.ready;
    const code = await Promise.race([this.done, sleep(ms).then(() => "timeout")]);
    if (code === "timeout") this.proc.kill("SIGKILL");
    return code;
  }

  report() {
    let s = `--- sipp ${this.name}\n`;
    for (const f of [this.out, this.out.replace(/\.out$/, ".err")]) {
      try { s += fs.readFileSync(f, "utf8").slice(-3000) + "\n"; } catch { /* none */ }
    }
    return s;
  }
}

// A carrier that answers after ringing and waits for the BYE; a customer that
// calls `number` and hangs up after holdMs.
function carrier(ctx, port, calls = 1) {
  return new Sipp(ctx, `carrier-a-${port}`, "uas_answer.xml", CARRIER_A_IP,
    { port, calls, extra: ["-set", "ring", "200"] });
}

function customer(ctx, d, name, number, holdMs) {
  return new Sipp(ctx, name, "uac_call.xml", CUSTOMER_IP, { remote: `127.0.0.1:${d.sipPort}`,
    keys: { caller: CALLER }, extra: ["-s", number, "-d", String(holdMs)] });
}

async function expectOk(d, ...procs) {
  for (const p of procs) {
    const rc = await p.wait();
    check(rc === 0, `sipp ${p.name} exited ${rc}\n${p.report()}\n--- daemon\n${d.text().slice(-4000)}`);
  }
}

// --------------------------------------------------------------- browser

async function browser(ctx) {
  let pw;
  try {
    pw = await import("playwright-core");
  } catch (e) {
    throw new Fail(`playwright-core is not installed: run \`npm ci\` in tests/browser (${e.message})`);
  }
  const exe = ctx.chromium;
  if (!exe || !fs.existsSync(exe)) throw new Skip(`no Chromium at ${exe} (Debian package chromium)`);
  const profile = fs.mkdtempSync(path.join(ctx.tmp, "profile-"));
  const context = await pw.chromium.launchPersistentContext(profile, {
    executablePath: exe, headless: true, args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 900 }, colorScheme: ctx.scheme || "dark", timeout: 60000,
  });
  ctx.context = context;
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  ctx.pageErrors = [];
  page.on("pageerror", (e) => ctx.pageErrors.push(e.message));
  return page;
}

async function shot(ctx, page, name) {
  fs.mkdirSync(ctx.artifacts, { recursive: true });
  const f = path.join(ctx.artifacts, `${ctx.test}-${name}.png`);
  await page.screenshot({ path: f, fullPage: true });
  console.log(`screenshot ${f}`);
}

async function signIn(ctx, page, d) {
  await page.goto(d.base + "/");
  await page.fill("#token", d.token);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#nav:not([hidden])");
  await page.waitForFunction(() => document.querySelector("#conn").textContent === "live");
}

// ----------------------------------------------------------------- tests

const TESTS = {};

// The files are served without a token, with their types, validators and
// cache headers; nothing outside the web root is reachable.
TESTS.static = async (ctx) => {
  const d = await new Daemon(ctx).start();
  const get = (p, headers = {}) => new Promise((res, rej) => {
    // http.request sends the path verbatim (fetch would resolve the dots).
    const rq = http.request({ host: "127.0.0.1", port: d.apiPort, path: p, headers }, (r) => {
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (c) => { body += c; });
      r.on("end", () => res({ status: r.statusCode, headers: r.headers, body }));
    });
    rq.on("error", rej);
    rq.end();
  });
  const idx = await get("/");
  check(idx.status === 200 && idx.headers["content-type"].startsWith("text/html"), `GET /: ${idx.status} ${idx.headers["content-type"]}`);
  check(idx.body.includes("<title>Trunkline</title>"), "GET / is not the dashboard");
  check(idx.headers["cache-control"] === "no-cache", `index cache-control ${idx.headers["cache-control"]}`);
  check((idx.headers["content-security-policy"] || "").includes("default-src 'self'"), "no CSP on the page");
  const again = await get("/", { "If-None-Match": idx.headers.etag });
  check(again.status === 304, `If-None-Match: ${again.status}`);
  for (const [p, type] of [["/web/app.js", "text/javascript"], ["/web/style.css", "text/css"],
    ["/web/favicon.svg", "image/svg+xml"], ["/web/vendor/uPlot.iife.min.js", "text/javascript"],
    ["/web/vendor/uPlot.min.css", "text/css"]]) {
    const r = await get(p);
    check(r.status === 200, `GET ${p}: ${r.status} (uPlot is copied from web/node_modules: npm ci in web/)`);
    check(r.headers["content-type"].startsWith(type), `GET ${p}: type ${r.headers["content-type"]}`);
    check(r.headers["x-content-type-options"] === "nosniff", `GET ${p}: no nosniff`);
    if (p.includes("/vendor/")) check(/max-age=\d+/.test(r.headers["cache-control"]), `GET ${p}: cache ${r.headers["cache-control"]}`);
  }
  for (const p of ["/web/../trunkline.conf", "/web/%2e%2e/trunkline.conf", "/web/..%2ftrunkline.conf",
    "/web/vendor/../../index.html", "/web//etc/passwd", "/web/.hidden", "/web/", "/web/nope.js",
    "/web/a%00b", "/web/vendor"]) {
    const r = await get(p);
    check(r.status === 404, `GET ${p}: ${r.status}, expected 404`);
    check(!r.body.includes("[sip]"), `GET ${p} leaked a file`);
  }
  const post = await d.api("POST", "/web/app.js", "x", { ctype: "text/plain", token: null });
  check(post.status === 405 && post.headers.get("allow") === "GET, HEAD", `POST /web/app.js: ${post.status}`);
  // The API itself still wants its token, and its answers are not cached.
  const m = await d.api("GET", "/metrics", undefined, { token: null });
  check(m.status === 401, `GET /metrics without a token: ${m.status}`);
  const c = await d.api("GET", "/api/carriers");
  check(c.status === 200 && c.headers.get("cache-control") === "no-store", `API cache-control ${c.headers.get("cache-control")}`);
  await d.stop();

  // [api] web_root: another directory, or off (then / is an API path: 401).
  const root = fs.mkdtempSync(path.join(ctx.tmp, "www-"));
  fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>mine</title>");
  const d2 = await new Daemon(ctx, `web_root = ${root}`).start();
  const mine = await d2.api("GET", "/", undefined, { token: null });
  check(mine.status === 200 && mine.text.includes("mine"), `web_root: ${mine.status} ${mine.text}`);
  check((await d2.api("GET", "/web/app.js", undefined, { token: null })).status === 404, "app.js outside web_root");
  await d2.stop();
  const d3 = await new Daemon(ctx, "web_root = off").start();
  check((await d3.api("GET", "/", undefined, { token: null })).status === 401, "web_root = off still serves /");
  check(d3.text().includes('web_root="off"'), "web_root=off not logged");
  await d3.stop();
};

// A wrong token is refused on the page; the right one opens the dashboard,
// survives a reload (session storage) and logging out forgets it.
TESTS.login = async (ctx) => {
  const d = await new Daemon(ctx).start();
  const page = await browser(ctx);
  await page.goto(d.base + "/");
  await page.waitForSelector("#view-login:not([hidden])");
  await page.fill("#token", "tl_wrongwrongwrongwrongwrongwrongwrongwrong");
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#login-error:not([hidden])");
  check((await page.textContent("#login-error")).includes("401"), "no 401 message for a wrong token");
  check(await page.isHidden("#nav"), "navigation shown without a token");
  await shot(ctx, page, "refused");
  await signIn(ctx, page, d);
  check(await page.isVisible("#view-overview"), "overview not shown after signing in");
  check(await page.evaluate(() => sessionStorage.getItem("trunkline.token")) === d.token, "token not in session storage");
  await page.reload();
  await page.waitForSelector("#nav:not([hidden])");
  await page.waitForFunction(() => document.querySelector("#conn").textContent === "live");
  await page.waitForSelector("#chart-active .uplot canvas");   // uPlot is bundled and draws
  await shot(ctx, page, "overview");
  await page.click("#logout");
  await page.waitForSelector("#view-login:not([hidden])");
  check(await page.evaluate(() => sessionStorage.getItem("trunkline.token")) === null, "token kept after logging out");
  check(d.text().includes('reason="unknown token"'), "the daemon did not log the refused token");
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// A SIPp call shows as an active call (tile and chart) while it lasts, then
// its CDR appears among the recent calls and the carrier's ASR/ACD.
TESTS.live_call = async (ctx) => {
  const aPort = await freePort(CARRIER_A_IP);
  const d = await new Daemon(ctx).start();
  const ids = await provision(d, aPort, await freePort(CARRIER_B_IP));
  const page = await browser(ctx);
  await signIn(ctx, page, d);
  check(await page.textContent("#t-active") === "0", `active calls before the call: ${await page.textContent("#t-active")}`);
  const carr = carrier(ctx, aPort);
  await carr.ready;
  const cust = customer(ctx, d, "customer", DIALLED, 6000);
  await page.waitForFunction(() => document.querySelector("#t-active").textContent === "1", null, { timeout: 10000 });
  check(await page.evaluate(() => document.body.dataset.activeCalls) === "1", "data-active-calls is not 1");
  // The live calls table has it, answered, with who and where.
  const live = await page.waitForSelector('#live-calls tr[data-call][data-state="answered"]', { timeout: 10000 });
  const liveText = await live.textContent();
  check(liveText.includes("acme") && liveText.includes("carrier-a") && liveText.includes(`+${DIALLED}`) &&
        liveText.includes(`${CARRIER_A_IP}:${aPort}`), `live call row: ${liveText}`);
  await sleep(1500);   // a few points of the chart at 1
  await shot(ctx, page, "active");
  await expectOk(d, cust, carr);
  await page.waitForFunction(() => document.querySelector("#t-active").textContent === "0", null, { timeout: 10000 });
  await page.waitForSelector("#live-calls td.empty", { timeout: 10000 });
  const row = await page.waitForSelector("#recent tbody tr[data-cdr]", { timeout: 15000 });
  const text = await row.textContent();
  check(text.includes(`+${DIALLED}`) && text.includes("carrier-a") && text.includes("200"), `recent call row: ${text}`);
  const carrierRow = `#carriers tr[data-carrier="${ids.a}"]`;
  await page.waitForFunction((sel) => document.querySelector(`${sel} .asr`)?.textContent === "100%", carrierRow);
  const acd = await page.textContent(`${carrierRow} .acd`);
  check(/^[5-9]s$/.test(acd), `ACD of carrier-a ${acd} for a 6 s call`);
  check(await page.textContent("#t-started") === "1", `started ${await page.textContent("#t-started")}`);
  await shot(ctx, page, "ended");
  // The chart saw the call: some point at 1 and the last at 0.
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// An operator hangs up an answered call from the live calls table: two
// clicks (hang up, confirm); both sides get a BYE and the CDR says so.
TESTS.hangup = async (ctx) => {
  const aPort = await freePort(CARRIER_A_IP);
  const d = await new Daemon(ctx).start();
  await provision(d, aPort, await freePort(CARRIER_B_IP));
  const page = await browser(ctx);
  await signIn(ctx, page, d);
  const carr = carrier(ctx, aPort);
  await carr.ready;
  const cust = new Sipp(ctx, "customer", "uac_wait_bye.xml", CUSTOMER_IP, {
    remote: `127.0.0.1:${d.sipPort}`, keys: { caller: CALLER }, extra: ["-s", DIALLED] });
  const sel = '#live-calls tr[data-call][data-state="answered"]';
  await page.waitForSelector(sel, { timeout: 10000 });
  await page.click(`${sel} button.hangup`);
  await page.waitForSelector(`${sel} button.hangup.confirm`);
  check((await page.textContent(`${sel} button.hangup`)) === "Confirm hang-up", "no confirmation step");
  await shot(ctx, page, "confirm");
  await page.click(`${sel} button.hangup.confirm`);
  await page.waitForSelector("#live-calls td.empty", { timeout: 10000 });
  await expectOk(d, cust, carr);     // the caller got a BYE and answered it
  const cdrs = await waitUntil(async () => {
    const r = (await d.api("GET", "/api/cdrs")).json.items;
    return r.length === 1 ? r : null;
  }, 10000, "the CDR written");
  check(cdrs[0].reason === "operator hangup" && cdrs[0].sip_code === 200, `CDR ${JSON.stringify(cdrs[0])}`);
  await shot(ctx, page, "hung-up");
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// Two calls to two numbers; the CDR search by number finds one of them, a
// bad filter shows the field the API names.
TESTS.cdr_search = async (ctx) => {
  const aPort = await freePort(CARRIER_A_IP);
  const d = await new Daemon(ctx).start();
  await provision(d, aPort, await freePort(CARRIER_B_IP));
  const carr = carrier(ctx, aPort, 2);
  await carr.ready;
  const other = "447700900456";
  await expectOk(d, customer(ctx, d, "customer-1", DIALLED, 300));
  await expectOk(d, customer(ctx, d, "customer-2", other, 300));
  await expectOk(d, carr);
  await waitUntil(async () => (await d.api("GET", "/api/cdrs")).json.items.length === 2, 10000, "2 CDRs written");
  const page = await browser(ctx);
  await signIn(ctx, page, d);
  await page.click('#nav a[data-view="cdrs"]');
  await page.waitForSelector("#view-cdrs:not([hidden])");
  await page.waitForFunction(() => document.querySelectorAll("#cdr-table tbody tr[data-cdr]").length === 2);
  await page.fill('#cdr-form [name="number"]', other);
  await page.click('#cdr-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelectorAll("#cdr-table tbody tr[data-cdr]").length === 1);
  const row = await page.textContent("#cdr-table tbody tr[data-cdr]");
  check(row.includes(other) && row.includes("carrier-a") && row.includes("acme") && row.includes("0.05"), `CDR row: ${row}`);
  check((await page.textContent("#cdr-count")).startsWith("1 CDR"), `count: ${await page.textContent("#cdr-count")}`);
  await shot(ctx, page, "found");
  await page.fill('#cdr-form [name="number"]', "");
  await page.fill('#cdr-form [name="sip_code"]', "abc");
  await page.click('#cdr-form button[type="submit"]');
  await page.waitForSelector("#cdr-error:not([hidden])");
  const err = await page.textContent("#cdr-error");
  check(err.includes("sip_code") && err.includes("positive integer"), `error: ${err}`);
  await page.fill('#cdr-form [name="sip_code"]', "200");
  await page.selectOption('#cdr-form [name="direction"]', "in");
  await page.click('#cdr-form button[type="submit"]');
  await page.waitForSelector("#cdr-table td.empty");
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// A small deck imports; a bad one shows the line and column the server
// names and imports nothing.
TESTS.rate_import = async (ctx) => {
  const d = await new Daemon(ctx).start();
  const ids = await provision(d, await freePort(CARRIER_A_IP), await freePort(CARRIER_B_IP));
  const page = await browser(ctx);
  await signIn(ctx, page, d);
  await page.click('#nav a[data-view="rates"]');
  await page.selectOption("#rate-carrier", String(ids.b));
  await page.waitForFunction(() => document.querySelectorAll("#rates-table tbody tr").length === 1 &&
    !document.querySelector("#rates-table td.empty"));
  await page.fill("#rate-csv", "prefix,rate,connect_fee,increments,effective_from\n" +
    "4477,0.015,0,1/1,\n44207,\"0.008\",0.01,60/60,2025-02-01\n1,0.005,0,6/6,\n");
  await page.click('#rate-form button[type="submit"]');
  await page.waitForSelector("#rate-result.ok");
  check((await page.textContent("#rate-result")).includes("Imported 3 rates into carrier-b"), `result: ${await page.textContent("#rate-result")}`);
  await page.waitForFunction(() => document.querySelectorAll("#rates-table tbody tr").length === 4);
  check((await page.textContent("#rates-table")).includes("4477"), "4477 not listed");
  await shot(ctx, page, "imported");
  await page.fill("#rate-csv", "prefix,rate,connect_fee,increments\n4478,0.01,0,60/60\n4479,0.02x,0,60/60\n");
  await page.click('#rate-form button[type="submit"]');
  await page.waitForSelector("#rate-result.bad");
  const where = await page.textContent("#rate-result .where");
  check(where === "line 3, column 2", `error position: ${where}`);
  check((await page.textContent("#rate-result mark")).includes("4479,0.02x"), "bad line not marked");
  check((await page.textContent("#rate-result")).includes("nothing was imported"), "no 'nothing imported'");
  await shot(ctx, page, "refused");
  const rates = await d.api("GET", `/api/carriers/${ids.b}/rates`);
  check(rates.json.items.length === 4, `rates after the bad deck: ${rates.json.items.length}`);
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// The routing decision for a number: both carriers in cost order with
// margins; a number with no route shows the refusal.
TESTS.route_explain = async (ctx) => {
  ctx.scheme = "light";   // the light theme gets its screenshots here
  const d = await new Daemon(ctx).start();
  await provision(d, await freePort(CARRIER_A_IP), await freePort(CARRIER_B_IP));
  const page = await browser(ctx);
  await signIn(ctx, page, d);
  await page.click('#nav a[data-view="route"]');
  await page.selectOption("#route-customer", { label: "acme (#1)" });
  await page.fill('#route-form [name="number"]', DIALLED);
  await page.click('#route-form button[type="submit"]');
  await page.waitForSelector("#route-result:not([hidden])");
  check((await page.textContent("#route-verdict")) === "Routed: 2 attempts", `verdict: ${await page.textContent("#route-verdict")}`);
  const rows = await page.$$eval("#route-attempts tbody tr", (trs) => trs.map((t) => t.textContent));
  check(rows.length === 2 && rows[0].includes("carrier-a") && rows[0].includes("0.04") &&
        rows[1].includes("carrier-b") && rows[1].includes("0.03"), `attempts: ${rows.join(" | ")}`);
  check((await page.textContent("#route-kv")).includes(`+${DIALLED}`), "E.164 not shown");
  await shot(ctx, page, "routed");
  await page.fill('#route-form [name="number"]', "15551234567");
  await page.click('#route-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#route-verdict").textContent.startsWith("Refused"));
  await shot(ctx, page, "refused");
  await page.fill('#route-form [name="at"]', "yesterday");
  await page.click('#route-form button[type="submit"]');
  await page.waitForSelector("#route-error:not([hidden])");
  check((await page.textContent("#route-error")).includes("at:"), `error: ${await page.textContent("#route-error")}`);
  check(!ctx.pageErrors.length, `page errors: ${ctx.pageErrors.join("; ")}`);
  await d.stop();
};

// ------------------------------------------------------------------ main

async function main() {
  const argv = process.argv.slice(2);
  const opt = { trunkline: null, artifacts: path.join(process.cwd(), "artifacts"),
    chromium: process.env.CHROMIUM || "/usr/bin/chromium" };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--list") { console.log(Object.keys(TESTS).join("\n")); return 0; }
    if (argv[i] === "--trunkline") opt.trunkline = argv[++i];
    else if (argv[i] === "--artifacts") opt.artifacts = argv[++i];
    else if (argv[i] === "--chromium") opt.chromium = argv[++i];
    else rest.push(argv[i]);
  }
  const name = rest[0];
  if (!opt.trunkline || !TESTS[name]) {
    console.error(`usage: run.mjs --trunkline PATH [--artifacts DIR] TEST\ntests: ${Object.keys(TESTS).join(" ")}`);
    return 2;
  }
  const ctx = { ...opt, trunkline: path.resolve(opt.trunkline), test: name, procs: [], daemons: [],
    tmp: fs.mkdtempSync(path.join(os.tmpdir(), "tl-browser-")) };
  let rc = 0;
  // Bounded: a hung browser or daemon fails the test, never the run.
  const watchdog = setTimeout(() => { console.error("FAIL: test took over 150 s"); process.exit(1); }, 150000);
  try {
    await TESTS[name](ctx);
    console.log(`PASS ${name}`);
  } catch (e) {
    if (e instanceof Skip) {
      console.log(`SKIP ${name}: ${e.message}`);
      rc = SKIP;
    } else {
      console.error(`FAIL ${name}: ${e instanceof Fail ? e.message : e.stack}`);
      console.error(`(files in ${ctx.tmp})`);
      if (ctx.context) {
        const pg = ctx.context.pages()[0];
        if (pg) await shot(ctx, pg, "failure").catch(() => {});
      }
      rc = 1;
    }
  } finally {
    if (ctx.context) await ctx.context.close().catch(() => {});
    for (const p of ctx.procs) if (p.exitCode === null) p.kill("SIGKILL");
    clearTimeout(watchdog);
  }
  if (rc === 0) fs.rmSync(ctx.tmp, { recursive: true, force: true });
  return rc;
}

process.exit(await main());
