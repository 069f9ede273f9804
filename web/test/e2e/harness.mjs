// The end-to-end harness: the real hail binary on a loopback port with a fresh data
// directory, and Debian's Chromium driven by playwright-core, with no outbound network.
//
//   import { startHail, launchBrowser, newPage, signIn, checkPage, DEMO_PASSWORD,
//            SKIP } from './harness.mjs';
//   describe('people', { skip: SKIP }, () => { ... });
//   describe('sync', { skip: SKIP_MARKETO }, …) for tests that need the fake Marketo
//   const hail = await startHail({ marketo: false });  // hail.url, hail.api(), hail.stop()
//   const hail = await startHail({ clock: '2026-03-02T08:00:00Z' });  // HAIL_CLOCK_FILE
//   await hail.setClock('2026-03-03T09:00:00Z');   // hail's "now" moves (seen on return)
//   const browser = await launchBrowser();
//   const page = await newPage(browser, hail, { viewport: { width: 1280, height: 800 } });
//   await signIn(page, 'admin@example.com');
//   await checkPage(page, 'people');  // console errors, failed requests, axe, screenshot
//   sql(hail, ['UPDATE tasks SET …']);  // hail's SQLite database, for what the API does not make
//
// Environment (ctest sets them): HAIL_BIN (the binary), HAIL_SRC (the source tree),
// HAIL_WEB_ROOT (<BUILD>/web), HAIL_E2E_SCREENSHOTS (where screenshots go),
// HAIL_CHROMIUM (default /usr/bin/chromium), HAIL_SHARED (the Marketo contract for the
// fake Marketo; default ../shared beside the repository), HAIL_SANITIZE (1 in the ASan build: longer
// timeouts). Node 18 compatible.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.HAIL_SRC || resolve(HERE, '..', '..', '..');
export const BIN = process.env.HAIL_BIN || join(SRC, 'build', 'hail');
export const WEB_ROOT = process.env.HAIL_WEB_ROOT || join(SRC, 'build', 'web');
export const SCREENSHOTS = process.env.HAIL_E2E_SCREENSHOTS || join(SRC, 'build', 'e2e-screenshots');
export const CHROMIUM = process.env.HAIL_CHROMIUM || '/usr/bin/chromium';
export const SANITIZED = ['1', 'ON', 'TRUE', 'true'].includes(process.env.HAIL_SANITIZE || '0');
/** A timeout scaled for the sanitizer build (several times slower). */
export const SLOW = SANITIZED ? 4 : 1;

export const DEMO_PASSWORD = 'hail-demo-password';
export const DEMO_USERS = [
  { email: 'admin@example.com', name: 'Ada Admin', role: 'admin' },
  { email: 'manager@example.com', name: 'Max Manager', role: 'manager' },
  { email: 'rep1@example.com', name: 'Riley Rep', role: 'rep' },
  { email: 'rep2@example.com', name: 'Sam Rep', role: 'rep' },
];
export const DEMO_TEAM = 'West';

/** false when the e2e tests can run; otherwise the reason they are skipped (for
 *  `describe(name, { skip: SKIP }, …)`). */
export const SKIP = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM} (install Debian's chromium package with ` +
    '`make deps`, or set HAIL_CHROMIUM)';

// The fake Marketo checks every request against the Marketo contract, which is not in
// the repository: $HAIL_SHARED/contracts/marketo (HAIL_SHARED defaults to ../shared
// beside the repository root). Tests that need the fake skip with SKIP_MARKETO.
export const SHARED = process.env.HAIL_SHARED ? resolve(process.env.HAIL_SHARED) : resolve(SRC, '..', 'shared');
const MARKETO_CONTRACT = ['swagger-mapi.json', 'swagger-identity.json'].map((f) => join(SHARED, 'contracts', 'marketo', f));
export const SKIP_MARKETO = SKIP || (MARKETO_CONTRACT.every((f) => existsSync(f))
  ? false
  : `needs the fake Marketo: the Marketo contract is not at ${MARKETO_CONTRACT.find((f) => !existsSync(f))} ` +
    '(set HAIL_SHARED to the folder holding contracts/marketo/)');

const started = new Set();
process.on('exit', () => {
  for (const p of started) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function freePort() {
  // As tests/integration/harness.py does: bind port 0 on loopback, note it, close.
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until proc exits or ms pass, whichever is first; true when it exited. The
 *  timer is cleared once the process is gone: a pending 20-s timer would keep node
 *  (and so each e2e file) alive for 20 s after its last test. */
function waitExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => { proc.off('exit', onExit); ok(false); }, ms);
    function onExit() { clearTimeout(timer); ok(true); }
    proc.once('exit', onExit);
  });
}

/** A plain HTTP request to 127.0.0.1:port: { status, headers, body, json }. */
export function request(port, method, path, { body, headers = {}, timeout = 30000 } = {}) {
  return new Promise((ok, fail) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { ...headers };
    if (data) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = data.length;
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        ok({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeout} ms`)));
    req.on('error', fail);
    if (data) req.write(data);
    req.end();
  });
}

function runCli(env, args, input) {
  const r = spawnSync(BIN, args, { env, input, encoding: 'utf8', timeout: 120000 * SLOW });
  if (r.status !== 0) {
    throw new Error(`hail ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

/** The fake Marketo (tests/fake/fake_marketo.py) on a free port. */
export async function startFakeMarketo(args = ['--status-step', '0.05']) {
  const dir = mkdtempSync(join(tmpdir(), 'hail-e2e-mkto-'));
  const portFile = join(dir, 'port');
  const log = openSync(join(dir, 'log'), 'a');
  const proc = spawn('python3', [join(SRC, 'tests', 'fake', 'fake_marketo.py'), '--port', '0',
    '--port-file', portFile, ...args], { stdio: ['ignore', 'ignore', log] });
  closeSync(log);
  started.add(proc);
  const deadline = Date.now() + 20000 * SLOW;
  while (!existsSync(portFile)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = readFileSync(join(dir, 'log'), 'utf8').slice(-2000);
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the fake Marketo did not start: ${why}`);
    }
    await sleep(20);
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const fake = {
    url: `http://127.0.0.1:${port}`,
    port,
    env: {
      HAIL_MARKETO_URL: `http://127.0.0.1:${port}`,
      HAIL_MARKETO_CLIENT_ID: 'hail-test-id',
      HAIL_MARKETO_CLIENT_SECRET: 'hail-test-secret',
      HAIL_MARKETO_POLL_SECONDS: '0.05',
    },
    async control(method, path, body) {
      const r = await request(port, method, path, { body });
      return r.json;
    },
    addLeads(leads) { return fake.control('POST', '/_fake/leads', { leads }); },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await waitExit(proc, 10000);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      started.delete(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fake;
}

/** An RFC 3339 UTC time without fractions ("2026-03-02T09:00:00Z") from a Date, a
 *  number (ms since the epoch) or a string Date understands. */
export function clockText(when) {
  const d = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${when}`);
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

// Writes the clock file whole: a temporary file renamed over it, so hail never reads
// half a time.
function writeClock(path, when) {
  const text = clockText(when);
  writeFileSync(`${path}.tmp`, `${text}\n`);
  renameSync(`${path}.tmp`, path);
  return text;
}

function isoDaysAgo(days) {
  return new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Starts the real hail: a fresh data dir, demo/people.csv imported, the demo users
 * (admin@, manager@, rep1@, rep2@example.com, password DEMO_PASSWORD, team West) as
 * scripts/demo.sh creates them, `hail serve` on a free loopback port.
 * options: marketo (start the fake Marketo with `leads` demo leads and point hail at it),
 *          env (extra environment), people (a CSV to import instead of demo/people.csv,
 *          or false for none), clock (a time — Date, ms or ISO string: hail runs on the
 *          test clock, HAIL_CLOCK_FILE, starting then; see hail.setClock).
 * Returns { url, port, dataDir, adminToken, fake, api(method, path, body), log(), stop() },
 * and with `clock` also setClock(when) and now().
 */
export async function startHail({ marketo = false, env = {}, people, leads = 30, clock } = {}) {
  if (!existsSync(BIN)) throw new Error(`no hail binary at ${BIN} (build first, or set HAIL_BIN)`);
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(`no web app at ${WEB_ROOT} (build first: the CMake target 'web'; or set HAIL_WEB_ROOT)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hail-e2e-'));
  const base = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HAIL_MARKETO_') && k !== 'HAIL_LISTEN') base[k] = v;
  }
  const e = {
    ...base,
    HAIL_DATA: join(dir, 'var'),
    HAIL_LOG_LEVEL: 'warn',
    HAIL_DB_SYNC: 'normal',
    HAIL_WEB_ROOT: WEB_ROOT,
  };
  let fake = null;
  if (marketo) {
    fake = await startFakeMarketo();
    const now = Date.now();
    const rows = [];
    for (let i = 1; i <= leads; i++) {
      rows.push({
        id: 500000 + i, firstName: `Lead${i}`, lastName: 'Marketo', email: `lead${i}@marketo.example`,
        company: 'Fabrikam', title: 'Buyer', leadOwnerEmailAddress: 'rep1@example.com',
        createdAt: new Date(now - 3 * 86400000 + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      });
    }
    await fake.addLeads(rows);
    Object.assign(e, fake.env, { HAIL_MARKETO_SINCE: isoDaysAgo(5).slice(0, 10), HAIL_MARKETO_SYNC_INTERVAL: '3600' });
  }
  Object.assign(e, env);
  const clockFile = clock === undefined ? null : join(dir, 'clock');
  let clockNow = null;
  if (clockFile) {
    clockNow = writeClock(clockFile, clock);
    e.HAIL_CLOCK_FILE = clockFile;
  }

  let adminToken;
  try {
    const csv = people === undefined ? join(SRC, 'demo', 'people.csv') : people;
    if (csv) runCli(e, ['import', 'people', csv]);
    for (const u of DEMO_USERS) {
      runCli(e, ['user', 'add', '--email', u.email, '--name', u.name, '--role', u.role,
        '--team', DEMO_TEAM, '--password-stdin'], `${DEMO_PASSWORD}\n`);
    }
    const out = runCli(e, ['token', 'create', '--email', 'admin@example.com', '--name', 'e2e']);
    adminToken = out.trim().split('\n').pop();
  } catch (err) {
    if (fake) await fake.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`], { env: e, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  started.add(proc);
  const log = () => { try { return readFileSync(logPath, 'utf8').slice(-4000); } catch { return ''; } };

  const hail = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: e.HAIL_DATA,
    env: e,
    adminToken,
    fake,
    log,
    /** An API call as the demo admin (bearer token): { status, headers, body, json }. */
    api(method, path, body) {
      return request(port, method, path, { body, headers: { Authorization: `Bearer ${adminToken}` } });
    },
    /** A request with no credentials (e.g. headers of static files). */
    get(path, headers) { return request(port, 'GET', path, { headers }); },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await waitExit(proc, 20000);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      started.delete(proc);
      if (fake) await fake.stop();
      const code = proc.exitCode;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  if (clockFile) {
    /** Moves hail's "now" (the clock file, written atomically) and waits until hail has
     *  re-read it (it does at least every 200 ms). Returns the time written. */
    hail.setClock = async (when) => {
      clockNow = writeClock(clockFile, when);
      await sleep(300);
      return clockNow;
    };
    /** hail's "now" as last set, a Date. */
    hail.now = () => new Date(clockNow);
  }

  const deadline = Date.now() + 30000 * SLOW;
  for (;;) {
    if (proc.exitCode !== null) {
      const why = log();
      await hail.stop();
      throw new Error(`hail serve exited with ${proc.exitCode}: ${why}`);
    }
    try {
      const r = await request(port, 'GET', '/healthz', { timeout: 2000 });
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      const why = log();
      await hail.stop();
      throw new Error(`hail serve did not become ready: ${why}`);
    }
    await sleep(50);
  }
  return hail;
}

/** Runs SQL statements on hail's SQLite database (through Python's sqlite3, beside the
 *  running server), in one transaction; returns the last one's rows (arrays). For
 *  state the API does not make: what a worker would leave, old activities. */
export function sql(hail, statements) {
  const py = 'import json, sqlite3, sys\n' +
    'c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA busy_timeout = 5000")\n' +
    'rows = []\n' +
    'for s in json.loads(sys.stdin.read()):\n' +
    '    rows = c.execute(s).fetchall()\n' +
    'c.commit(); print(json.dumps(rows))\n';
  const r = spawnSync('python3', ['-c', py, join(hail.dataDir, 'hail.db')],
    { input: JSON.stringify(statements), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Debian's Chromium, headless, with everything that talks to the network off. */
export async function launchBrowser(options = {}) {
  if (SKIP) throw new Error(SKIP);
  const { chromium } = await import('playwright-core');
  const args = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-sync',
    '--disable-extensions',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-breakpad',
    '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pings',
    '--metrics-recording-only',
    '--no-proxy-server',
    // Nothing but loopback resolves: a stray request to the internet fails at once.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args,
    timeout: 60000 * SLOW,
    ...options,
  });
}

function pathOf(url) {
  try {
    const u = new URL(url);
    return u.pathname;
  } catch {
    return url;
  }
}

/**
 * A new browser context + page on hail's origin. Records, for checkPage():
 *  - console errors and uncaught page errors,
 *  - failed requests, and responses >= 400 not declared with expectResponse(),
 *  - any request to another origin (blocked, and a failure).
 * A signed-out page's `GET /api/v1/session` 401 (the app asking whether anyone is
 * signed in) is expected by default.
 */
export async function newPage(browser, hail, { viewport = { width: 1280, height: 800 }, ...ctxOptions } = {}) {
  const origin = new URL(hail.url).origin;
  const context = await browser.newContext({ viewport, baseURL: hail.url, ...ctxOptions });
  context.setDefaultTimeout(10000 * SLOW);
  context.setDefaultNavigationTimeout(20000 * SLOW);
  const page = await context.newPage();
  const state = {
    problems: [],
    expected: [{ method: 'GET', path: '/api/v1/session', status: 401 }],
  };
  page.e2e = state;
  const isExpected = (method, url, status) => state.expected.some((x) =>
    (!x.method || x.method === method) &&
    (x.path instanceof RegExp ? x.path.test(pathOf(url)) : x.path === pathOf(url)) &&
    (x.status === undefined || x.status === status));

  await context.route((url) => url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => {
      state.problems.push(`request outside hail's origin (blocked): ${route.request().method()} ${route.request().url()}`);
      return route.abort('blockedbyclient');
    });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const loc = msg.location() || {};
    // Chromium logs every 4xx/5xx from hail as "Failed to load resource"; the
    // response check below judges those (an expected 401 is not an error).
    if (text.startsWith('Failed to load resource: the server responded with a status of ') &&
        loc.url && loc.url.startsWith(origin + '/')) return;
    state.problems.push(`console error: ${text}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => state.problems.push(`uncaught error in the page: ${err.message}`));
  page.on('requestfailed', (req) => {
    const why = req.failure() ? req.failure().errorText : 'failed';
    if (new URL(req.url()).origin !== origin) return; // already reported as blocked
    // A request the app aborted itself (a stale search) is not a failure.
    if (why === 'net::ERR_ABORTED') return;
    state.problems.push(`request failed: ${req.method()} ${req.url()} (${why})`);
  });
  page.on('response', (resp) => {
    const status = resp.status();
    if (status < 400) return;
    const req = resp.request();
    if (isExpected(req.method(), resp.url(), status)) return;
    state.problems.push(`unexpected HTTP ${status}: ${req.method()} ${resp.url()}`);
  });
  return page;
}

/** Declares a response >= 400 the test expects (path: exact pathname or RegExp). */
export function expectResponse(page, { method, path, status }) {
  page.e2e.expected.push({ method, path, status });
}

/** The problems newPage() recorded so far, and forgets them. */
export function takeProblems(page) {
  const p = page.e2e.problems.slice();
  page.e2e.problems.length = 0;
  return p;
}

/** Asserts the page recorded no console errors, failed requests or outside requests. */
export function assertNoProblems(page, where = '') {
  const p = takeProblems(page);
  if (p.length) assert.fail(`problems${where ? ` on ${where}` : ''}:\n  ${p.join('\n  ')}`);
}

/** Signs in through the form at /sign-in; waits for the signed-in shell. */
export async function signIn(page, email, password = DEMO_PASSWORD, { next } = {}) {
  const url = next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
  if (!page.url().includes('/sign-in')) await page.goto(url);
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

/** Signs out with the shell's "Sign out" button; waits for the sign-in form. */
export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
}

/**
 * Checks the page as it is now: no console errors, failed or unexpected requests;
 * @axe-core/playwright finds no serious or critical WCAG 2.0/2.1 A/AA violation;
 * writes <HAIL_E2E_SCREENSHOTS>/<name>.png (full page).
 */
export async function checkPage(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const { AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = bad.map((v) => `axe ${v.impact}: ${v.id} (${v.help}) at ` +
    v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', '));
  const problems = [...takeProblems(page), ...described];
  if (problems.length) assert.fail(`${name} (${page.url()}):\n  ${problems.join('\n  ')}`);
}

/** Polls fn() until it returns a truthy value (returned), or fails naming `what`. */
export async function waitFor(fn, what, timeout = 10000 * SLOW) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
    await sleep(50);
  }
}

/** Waits until the page's title is exactly `want` (pages set it in an effect,
 * a moment after their heading shows). */
export async function expectTitle(page, want, timeout = 10000 * SLOW) {
  let last = null;
  await waitFor(async () => (last = await page.title()) === want,
    `the title "${want}" (it is "${last}")`, timeout);
}

/** Waits until the locator's text matches `re` (a RegExp or an exact string). */
export async function expectText(locator, re, timeout = 10000 * SLOW) {
  const deadline = Date.now() + timeout;
  let text = null;
  for (;;) {
    try {
      text = (await locator.textContent({ timeout: 1000 })) ?? '';
      text = text.replace(/\s+/g, ' ').trim();
      if (re instanceof RegExp ? re.test(text) : text === re) return text;
    } catch { /* not there yet */ }
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeout} ms waiting for ${locator} to read ${re}; it read ${JSON.stringify(text)}`);
    }
    await sleep(50);
  }
}
