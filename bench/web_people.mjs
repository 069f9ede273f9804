// Figure: the People page in Chromium at 1,000,000 people.
//
// Usage: node bench/web_people.mjs HAIL_BINARY [--rows N] [--runs 9] [--csv FILE] [--reuse]
//
// --reuse keeps bench/out/web/data from an earlier run of the same CSV (no new import).
//
// Loads the sync benchmark's cached CSV (bench/out/people-1m.csv from bench/gen_people.py
// through benchlib.people_csv, generated once) with `hail import people`, adds an admin,
// starts `hail serve` on 127.0.0.1 (HAIL_WEB_ROOT, default the web/ beside the binary),
// warms it, and drives Debian's Chromium (headless, as the e2e tests start it) with
// playwright-core. Times are taken inside the page (performance.now(), a MutationObserver
// installed before the app's scripts run), not by polling from node:
//
//  people_page_ms   a full navigation to /people?scope=all (a new document: index.html,
//                   the modules, the session check, GET /api/v1/people) until the first
//                   row of the People table is in the DOM and the next animation frame has
//                   run (i.e. painted), measured from the navigation's start (timeOrigin).
//                   Signed in, browser HTTP cache warm (a returning user: vendor files
//                   cached immutable, app files revalidated with their ETag).
//                   Also printed: the same with a fresh browser context per run (cold HTTP
//                   cache), and an in-app navigation (clicking "People" in the nav).
//  search_update_ms on /people?scope=all&q=<3+ letters>, one more letter typed into
//                   "Search people": from the end of the debounce (the keystroke's keydown
//                   + the app's 200 ms debounce, DEBOUNCE_MS) until the table's first rows
//                   are the new query's first rows (checked against the API) and the next
//                   frame has run. So it counts what the app does when the timer fires
//                   (URL update, re-render, request) as well as the request and the render.
//                   Also printed: from the request's start (resource timing) to the rows,
//                   the request alone, keystroke to rows, and the keystroke-to-request gap.
//
// Each figure is the median of --runs measured runs after 2 warm-up runs (not counted);
// min and max are printed too. Targets: people_page_ms <= 300, search_update_ms <= 150.
// Prints `people_page_ms=… search_update_ms=…`. Correctness (FAIL otherwise): the table
// shows 50 rows of the right people; each search shows the API's first rows for the query.
// Node 18 compatible.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { launchBrowser, request, SKIP } from '../web/test/e2e/harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const TARGET_PAGE_MS = 300;
const TARGET_SEARCH_MS = 150;
const DEBOUNCE_MS = 200; // web/app/pages/people.js: the search box's debounce
const PASSWORD = 'bench-web-password';
const EMAIL = 'bench-admin@example.com';

function log(msg) { process.stdout.write(`${msg}\n`); }
function die(msg) { log(`FAIL: ${msg}`); process.exit(1); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x) => x.toFixed(1);
const summary = (xs) => `median ${fmt(median(xs))} ms (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}, n=${xs.length})`;

function parseArgs() {
  const a = { rows: 1000000, runs: 9, csv: null, hail: null, reuse: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rows') a.rows = Number(argv[++i]);
    else if (argv[i] === '--runs') a.runs = Number(argv[++i]);
    else if (argv[i] === '--csv') a.csv = resolve(argv[++i]);
    else if (argv[i] === '--reuse') a.reuse = true;
    else if (!a.hail) a.hail = resolve(argv[i]);
    else die(`unknown argument ${argv[i]}`);
  }
  if (!a.hail) die('usage: node bench/web_people.mjs HAIL_BINARY [--rows N] [--runs 9] [--csv FILE]');
  if (!(a.runs >= 1)) die('--runs takes a positive number');
  return a;
}

function peopleCsv(rows) {
  // The same cached file the sync and API benchmarks use (generated once).
  const code = 'import sys; sys.path.insert(0, sys.argv[1]); import benchlib as B; ' +
    'p, q, f = B.people_csv(int(sys.argv[2])); print("CSV=" + p); print("QUERIES=" + q)';
  const r = spawnSync('python3', ['-c', code, BENCH, String(rows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) die('could not get the benchmark CSV from bench/benchlib.py');
  const out = Object.fromEntries(r.stdout.split('\n').filter((l) => /^(CSV|QUERIES)=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  for (const l of r.stdout.split('\n')) if (l && !/^(CSV|QUERIES)=/.test(l)) log(l);
  return { csv: out.CSV, queries: out.QUERIES };
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

function hailCli(hail, env, args, input) {
  const r = spawnSync(hail, args, { env, input, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) die(`hail ${args.join(' ')}: ${(r.stderr || '').slice(-1000)}`);
  return r.stdout;
}

// Installed before any of the app's scripts: records when People rows appear.
function instrument() {
  const b = { keyAt: null, rowsAt: null, rowsFrameAt: null, expect: null, matchAt: null, matchFrameAt: null };
  window.__bench = b;
  const firstIds = (k) => {
    const ids = [];
    for (const a of document.querySelectorAll('table tbody tr a[href^="/people/"]')) {
      ids.push(a.getAttribute('href').slice('/people/'.length));
      if (ids.length === k) break;
    }
    return ids;
  };
  const check = () => {
    if (b.rowsAt === null && document.querySelector('table tbody tr a[href^="/people/"]')) {
      b.rowsAt = performance.now();
      requestAnimationFrame(() => { b.rowsFrameAt = performance.now(); });
    }
    if (b.expect && b.matchAt === null) {
      const ids = firstIds(b.expect.length);
      if (ids.length === b.expect.length && ids.every((id, i) => id === b.expect[i])) {
        b.matchAt = performance.now();
        requestAnimationFrame(() => { b.matchFrameAt = performance.now(); });
      }
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['href'] });
  document.addEventListener('keydown', () => { b.keyAt = performance.now(); }, true);
}

async function waitBench(page, key, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate((k) => window.__bench && window.__bench[k], key);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) die(`timed out waiting for ${what} (${page.url()})`);
    await sleep(10);
  }
}

async function main() {
  const a = parseArgs();
  if (SKIP) die(SKIP);
  if (!existsSync(a.hail)) die(`no hail binary at ${a.hail}`);
  const webRoot = process.env.HAIL_WEB_ROOT || join(dirname(a.hail), 'web');
  if (!existsSync(join(webRoot, 'index.html'))) die(`no web app at ${webRoot} (build it, or set HAIL_WEB_ROOT)`);
  let csv = a.csv;
  let queriesPath = null;
  if (!csv) ({ csv, queries: queriesPath } = peopleCsv(a.rows));
  else if (existsSync(csv.replace(/\.csv$/, '.queries'))) queriesPath = csv.replace(/\.csv$/, '.queries');

  const work = join(BENCH, 'out', 'web');
  const data = join(work, 'data');
  const stampPath = join(work, 'imported');
  const st = statSync(csv);
  const stamp = `${csv} ${st.size} ${st.mtimeMs}`;
  const reuse = a.reuse && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp;
  if (!reuse) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
  }
  const env = { ...process.env, HAIL_DATA: data, HAIL_WEB_ROOT: webRoot };
  for (const k of Object.keys(env)) if (k.startsWith('HAIL_MARKETO_') || k === 'HAIL_LISTEN') delete env[k];
  log(`== web_people: machine ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${a.runs} runs after 2 warm-ups`);
  let t0 = Date.now();
  if (reuse) {
    log(`reusing ${data} (imported from ${csv} by an earlier run)`);
  } else {
    hailCli(a.hail, env, ['import', 'people', csv]);
    log(`loaded ${csv} with hail import in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    hailCli(a.hail, env, ['user', 'add', '--email', EMAIL, '--name', 'Bench Admin', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    writeFileSync(stampPath, stamp);
  }
  const token = hailCli(a.hail, env, ['token', 'create', '--email', EMAIL]).trim().split('\n').pop();

  const port = await freePort();
  const logFd = openSync(join(work, 'serve.log'), 'w');
  const serve = spawn(a.hail, ['serve', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const stop = async () => {
    if (serve.exitCode === null) {
      serve.kill('SIGTERM');
      await Promise.race([new Promise((r) => serve.once('exit', r)), sleep(20000)]);
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
  };
  process.on('exit', () => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  const api = (path) => request(port, 'GET', path, { headers: { Authorization: `Bearer ${token}` } });
  t0 = Date.now();
  for (;;) {
    try { if ((await request(port, 'GET', '/healthz', { timeout: 2000 })).status === 200) break; } catch { /* starting */ }
    if (serve.exitCode !== null || Date.now() - t0 > 60000) die(`hail serve did not start: ${readFileSync(join(work, 'serve.log'), 'utf8').slice(-2000)}`);
    await sleep(50);
  }
  const url = `http://127.0.0.1:${port}`;
  const first = await api('/api/v1/people?limit=50');
  if (first.status !== 200 || first.json.data.length !== 50) die(`GET /api/v1/people: ${first.status} ${first.body.slice(0, 300)}`);
  const firstIds = first.json.data.map((p) => String(p.id));

  // Search queries: the generator's prefixes (names, companies, emails of owned people),
  // at least 4 characters, whose first rows differ from one letter fewer.
  const candidates = (queriesPath ? readFileSync(queriesPath, 'utf8').split('\n') : ['mari', 'ande', 'john', 'smit'])
    .map((q) => decodeURIComponent(q)).filter((q) => /^[a-z]{4,}$/.test(q));
  const searches = [];
  for (const q of candidates) {
    if (searches.length >= a.runs + 2) break;
    const now = await api(`/api/v1/people?q=${encodeURIComponent(q)}&limit=50`);
    const before = await api(`/api/v1/people?q=${encodeURIComponent(q.slice(0, -1))}&limit=50`);
    if (now.status !== 200 || before.status !== 200) die(`search ${q}: ${now.status} ${now.body.slice(0, 200)}`);
    const ids = now.json.data.slice(0, 3).map((p) => String(p.id));
    const was = before.json.data.slice(0, 3).map((p) => String(p.id));
    if (ids.length === 3 && was.length === 3 && ids.join() !== was.join()) searches.push({ q, ids });
  }
  if (searches.length < a.runs + 2) die(`only ${searches.length} usable search queries`);

  const browser = await launchBrowser();
  const signIn = async (context) => {
    const r = await context.request.post(`${url}/api/v1/session`, { data: { email: EMAIL, password: PASSWORD } });
    if (r.status() !== 201) die(`sign-in: ${r.status()} ${await r.text()}`);
  };
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: url });
    await context.addInitScript(instrument);
    await signIn(context);
    return context;
  };

  // Full navigation to the People page.
  const pageLoad = async (page) => {
    await page.goto('/people?scope=all', { waitUntil: 'commit' });
    const at = await waitBench(page, 'rowsFrameAt', 'the first People rows');
    const ids = await page.evaluate(() => [...document.querySelectorAll('table tbody tr a[href^="/people/"]')].map((x) => x.getAttribute('href').slice(8)));
    if (ids.length !== 50 || ids.join() !== firstIds.join()) die(`the People page shows ${ids.length} rows ${ids.slice(0, 5)}…, the API's first page is ${firstIds.slice(0, 5)}…`);
    // Where the time went (resource timing, ms since the navigation started).
    const parts = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const path = (e) => new URL(e.name).pathname;
      const js = res.filter((e) => path(e).endsWith('.js'));
      const api = (p) => res.filter((e) => path(e) === p).pop();
      const session = api('/api/v1/session');
      const people = api('/api/v1/people');
      return {
        doc: nav.responseEnd,
        modules: js.length ? Math.max(...js.map((e) => e.responseEnd)) : 0,
        sessionStart: session ? session.startTime : 0,
        sessionEnd: session ? session.responseEnd : 0,
        peopleStart: people ? people.startTime : 0,
        peopleEnd: people ? people.responseEnd : 0,
      };
    });
    (breakdown[breakdownKey] ||= []).push(parts);
    return at;
  };
  const breakdown = {};
  let breakdownKey = 'warm';
  const showBreakdown = (key, label) => {
    const rows = breakdown[key].slice(2);
    const m = (k) => fmt(median(rows.map((r) => r[k])));
    log(`  ${label}: index.html by ${m('doc')} ms, last module by ${m('modules')}, ` +
        `GET /api/v1/session ${m('sessionStart')}–${m('sessionEnd')}, GET /api/v1/people ${m('peopleStart')}–${m('peopleEnd')} (medians)`);
  };
  const warm = await newContext();
  const page = await warm.newPage();
  const warmMs = [];
  for (let i = 0; i < a.runs + 2; i++) {
    const ms = await pageLoad(page);
    if (i >= 2) warmMs.push(ms);
  }
  const coldMs = [];
  breakdownKey = 'cold';
  for (let i = 0; i < a.runs + 2; i++) {
    const ctx = await newContext();
    const p = await ctx.newPage();
    const ms = await pageLoad(p);
    if (i >= 2) coldMs.push(ms);
    await ctx.close();
  }
  // In-app navigation: from a person's page, click "People" in the main nav.
  const inAppMs = [];
  for (let i = 0; i < a.runs + 2; i++) {
    await page.goto(`/people/${firstIds[i]}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.evaluate(() => { window.__bench.rowsAt = null; window.__bench.rowsFrameAt = null; window.__bench.clickAt = null; document.addEventListener('click', () => { window.__bench.clickAt = performance.now(); }, { capture: true, once: true }); });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People', exact: true }).click();
    const at = await waitBench(page, 'rowsFrameAt', 'the People rows after clicking People');
    const clickAt = await waitBench(page, 'clickAt', 'the click');
    if (i >= 2) inAppMs.push(at - clickAt);
  }

  // A search keystroke.
  const searchMs = [];
  const afterDebounceMs = [];
  const keyMs = [];
  const debounceMs = [];
  const searchApiMs = [];
  for (let i = 0; i < searches.length; i++) {
    const { q, ids } = searches[i];
    const prefix = q.slice(0, -1);
    await page.goto(`/people?scope=all&q=${encodeURIComponent(prefix)}`, { waitUntil: 'commit' });
    await waitBench(page, 'rowsFrameAt', `rows for "${prefix}"`);
    const box = page.getByRole('searchbox', { name: 'Search people' });
    await box.focus();
    await box.press('End');
    await sleep(400); // let the prefix's own debounce and request settle
    await page.evaluate((expect) => { window.__bench.expect = expect; window.__bench.matchAt = null; window.__bench.matchFrameAt = null; }, ids);
    await page.keyboard.type(q.slice(-1));
    const done = await waitBench(page, 'matchFrameAt', `the results for "${q}"`);
    const t = await page.evaluate((query) => {
      const entries = performance.getEntriesByType('resource').filter((e) => {
        const u = new URL(e.name);
        return u.pathname === '/api/v1/people' && u.searchParams.get('q') === query;
      });
      const e = entries[entries.length - 1];
      return { keyAt: window.__bench.keyAt, start: e ? e.startTime : null, end: e ? e.responseEnd : null };
    }, q);
    if (t.start === null) die(`no request for q=${q} in the page's resource timing`);
    if (i >= 2) {
      searchMs.push(done - t.start);
      afterDebounceMs.push(done - t.keyAt - DEBOUNCE_MS);
      keyMs.push(done - t.keyAt);
      debounceMs.push(t.start - t.keyAt);
      searchApiMs.push(t.end - t.start);
    }
  }
  await browser.close();
  await stop();

  log(`people page, full navigation, warm HTTP cache: ${summary(warmMs)}`);
  showBreakdown('warm', 'warm cache');
  log(`people page, full navigation, fresh context (cold HTTP cache): ${summary(coldMs)}`);
  showBreakdown('cold', 'cold cache');
  log(`people page, in-app navigation (click "People" to rows painted): ${summary(inAppMs)}`);
  log(`search: end of the ${DEBOUNCE_MS} ms debounce to new rows painted: ${summary(afterDebounceMs)}`);
  log(`search: request start to new rows painted: ${summary(searchMs)}`);
  log(`  of which the request (start to response end): ${summary(searchApiMs)}`);
  log(`search: keystroke to new rows painted: ${summary(keyMs)}; keystroke to request start: ${summary(debounceMs)}`);
  log(`targets: people_page_ms <= ${TARGET_PAGE_MS} (${median(warmMs) <= TARGET_PAGE_MS ? 'met' : 'MISSED'}), ` +
      `search_update_ms <= ${TARGET_SEARCH_MS} (${median(afterDebounceMs) <= TARGET_SEARCH_MS ? 'met' : 'MISSED'}); load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  log(`people_page_ms=${fmt(median(warmMs))} search_update_ms=${fmt(median(afterDebounceMs))}`);
}

main().catch((err) => die(err && err.stack ? err.stack : String(err)));
