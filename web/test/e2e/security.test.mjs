// Security headers on everything the page loads, path traversal refused, and an
// unknown API path staying a JSON 404 — checked from the browser and on the wire.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SKIP, SLOW, WEB_ROOT, startHail, launchBrowser, newPage, signIn, assertNoProblems, request,
} from './harness.mjs';

const NOT_FOUND = { error: { code: 'not_found', message: 'no such resource' } };

function assertSecurityHeaders(url, h, importMapHash) {
  const csp = h['content-security-policy'];
  assert.ok(csp, `${url}: no Content-Security-Policy`);
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
    .map((d) => { const [k, ...v] = d.split(/\s+/); return [k, v.join(' ')]; }));
  assert.equal(directives['default-src'], "'none'", `${url}: ${csp}`);
  assert.equal(directives['script-src'], `'self' 'sha256-${importMapHash}'`, `${url}: ${csp}`);
  assert.equal(directives['style-src'], "'self'", `${url}: ${csp}`);
  assert.equal(directives['frame-ancestors'], "'none'", `${url}: ${csp}`);
  assert.equal(directives['base-uri'], "'none'", `${url}: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${url}: ${csp}`);
  assert.equal(h['x-content-type-options'], 'nosniff', `${url}: X-Content-Type-Options`);
  assert.equal(h['referrer-policy'], 'same-origin', `${url}: Referrer-Policy`);
}

describe('security', { skip: SKIP, timeout: 300000 * SLOW }, () => {
  let hail;
  let browser;
  // The CSP allows the one inline script, the import map, by its hash: the same
  // bytes the build wrote to importmap.json.
  const importMap = readFileSync(join(WEB_ROOT, 'importmap.json'), 'utf8');
  const importMapHash = createHash('sha256').update(importMap).digest('base64');

  before(async () => {
    hail = await startHail();
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (hail) await hail.stop();
  });

  test('the inlined import map is the one the CSP hashes', async () => {
    const r = await hail.get('/');
    assert.equal(r.status, 200);
    const m = r.body.match(/<script type="importmap">([\s\S]*?)<\/script>/);
    assert.ok(m, 'index.html has no import map');
    assert.equal(m[1], importMap);
    assert.equal((r.body.match(/<script\b/g) || []).length, 2, 'index.html: the import map and main.js only');
    assert.match(r.body, /<script type="module" src="\/app\/main.js"><\/script>/);
    assertSecurityHeaders('/', r.headers, importMapHash);
  });

  test('every HTML and JS response the signed-in app loads carries the headers', async () => {
    const page = await newPage(browser, hail);
    const seen = [];
    page.on('response', async (resp) => {
      const type = resp.headers()['content-type'] || '';
      if (/^text\/html|^text\/javascript/.test(type)) seen.push(resp);
    });
    await signIn(page, 'admin@example.com', undefined, {});
    await page.getByRole('table', { name: 'People' }).waitFor();
    await page.goto('/admin/users');
    await page.getByRole('table', { name: 'Users' }).waitFor();
    assertNoProblems(page, 'the admin users page');
    const urls = seen.map((r) => new URL(r.url()).pathname);
    assert.ok(urls.includes('/app/main.js'), `main.js not among ${urls}`);
    assert.ok(urls.some((u) => u.startsWith('/vendor/preact@')), `no vendor module among ${urls}`);
    assert.ok(urls.some((u) => u.startsWith('/app/pages/admin/')), `the lazy admin pages not among ${urls}`);
    for (const resp of seen) {
      const url = new URL(resp.url()).pathname;
      const h = await resp.allHeaders();
      assertSecurityHeaders(url, h, importMapHash);
      if (url.endsWith('.js')) assert.match(h['content-type'], /^text\/javascript\b/, url);
      if (url.startsWith('/vendor/')) assert.match(h['cache-control'] || '', /immutable/, `${url}: ${h['cache-control']}`);
      else assert.ok(h.etag, `${url}: no ETag`);
    }
    await page.context().close();
  });

  test('a static file answers 304 to its ETag', async () => {
    const r = await hail.get('/app/main.js');
    assert.equal(r.status, 200);
    assert.ok(r.headers.etag, 'no ETag on /app/main.js');
    const again = await hail.get('/app/main.js', { 'If-None-Match': r.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
  });

  test('path traversal on the wire is refused with 400 or 404', async () => {
    const outside = ['/../CMakeLists.txt', '/../../../../../../etc/passwd', '/app/../../CMakeLists.txt',
      '/vendor/../../CMakeLists.txt', '/%2e%2e/CMakeLists.txt', '/app/%2e%2e/%2e%2e/CMakeLists.txt',
      '/app/%2E%2E%2F%2E%2E%2FCMakeLists.txt', '/vendor/..%2f..%2fCMakeLists.txt',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/app/main.js%00.txt', '/app/%00', '/%00',
      '/app/..%5c..%5cCMakeLists.txt', '/app//../../CMakeLists.txt'];
    for (const path of outside) {
      const r = await request(hail.port, 'GET', path);
      assert.ok([400, 404].includes(r.status), `${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      assert.doesNotMatch(r.body, /root:|cmake_minimum_required/, `${path} served a file outside the web root`);
    }
  });

  test('traversal from the browser never reaches a file outside the web root', async () => {
    const page = await newPage(browser, hail);
    await page.goto('/sign-in');
    for (const path of ['/../CMakeLists.txt', '/%2e%2e/%2e%2e/etc/passwd', '/app/%2e%2e/%2e%2e/CMakeLists.txt',
      '/app/..%2f..%2fCMakeLists.txt', '/app/main.js%00.txt', '/vendor/%2e%2e%2f%2e%2e%2fCMakeLists.txt']) {
      const r = await page.request.get(path);
      const body = await r.text();
      assert.doesNotMatch(body, /root:|cmake_minimum_required/, `${path} served a file outside the web root`);
      // The browser folds /../ and %2e%2e away; what is left is refused, or is the app's
      // index.html for a client route — never another file.
      if (r.status() === 200) {
        assert.match(r.headers()['content-type'], /^text\/html/, `${path}: ${r.headers()['content-type']}`);
        assert.match(body, /<div id="app">/, path);
      } else {
        assert.ok([400, 404].includes(r.status()), `${path}: HTTP ${r.status()}`);
      }
    }
    await page.context().close();
  });

  test('an unknown API path stays a JSON 404, never index.html', async () => {
    const page = await newPage(browser, hail);
    await page.goto('/sign-in');
    for (const path of ['/api/v1/nope', '/api/v1/people/1/nope', '/api/nope', '/api/v1/']) {
      const r = await page.request.get(path);
      assert.equal(r.status(), 404, path);
      assert.match(r.headers()['content-type'], /^application\/json/, path);
      assert.deepEqual(await r.json(), NOT_FOUND, path);
    }
    // And from the page's own fetch (same origin, session cookie and all).
    const got = await page.evaluate(async () => {
      const r = await fetch('/api/v1/nope');
      return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
    });
    assert.equal(got.status, 404);
    assert.match(got.type, /^application\/json/);
    assert.deepEqual(got.body, NOT_FOUND);
    await page.context().close();
  });

  test('a file-looking path that does not exist is a 404, not index.html', async () => {
    for (const path of ['/app/nope.js', '/vendor/nope@1.0.0/x.js', '/nope.css', '/app/pages']) {
      const r = await hail.get(path);
      assert.equal(r.status, 404, `${path}: HTTP ${r.status}`);
    }
  });
});
