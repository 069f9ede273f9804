// Every specifier of the generated import map loads in the page (a file renamed in a
// dependency fails here, not silently in the app), from the vendor files hail serves.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SKIP, SLOW, SRC, WEB_ROOT, startHail, launchBrowser, newPage, assertNoProblems } from './harness.mjs';

const CONTRACT_SPECIFIERS = ['@preact/signals', '@preact/signals-core', 'htm', 'htm/preact', 'preact', 'preact/hooks', 'uplot'];

describe('import map', { skip: SKIP, timeout: 300000 * SLOW }, () => {
  let hail;
  let browser;
  const map = JSON.parse(readFileSync(join(WEB_ROOT, 'importmap.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(SRC, 'web', 'package-lock.json'), 'utf8'));

  before(async () => {
    hail = await startHail({ people: false });
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (hail) await hail.stop();
  });

  test('the map has the specifiers the app codes against, at the locked versions', () => {
    assert.deepEqual(Object.keys(map.imports).sort(), CONTRACT_SPECIFIERS);
    for (const [spec, url] of Object.entries(map.imports)) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const version = lock.packages[`node_modules/${name}`].version;
      assert.ok(url.startsWith(`/vendor/${name}@${version}/`), `${spec} -> ${url}, want /vendor/${name}@${version}/…`);
    }
  });

  test('every mapped specifier imports in the page', async () => {
    const page = await newPage(browser, hail);
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    for (const spec of Object.keys(map.imports)) {
      const got = await page.evaluate(async (s) => {
        try {
          const m = await import(s);
          return { ok: true, exports: Object.keys(m).length };
        } catch (err) {
          return { ok: false, error: String(err) };
        }
      }, spec);
      assert.ok(got.ok, `import('${spec}') failed: ${got.error}`);
      assert.ok(got.exports > 0, `import('${spec}') has no exports`);
    }
    // htm/preact renders with the same preact the app uses (one copy of preact).
    const same = await page.evaluate(async () => {
      const [{ html, render }, preact] = await Promise.all([import('htm/preact'), import('preact')]);
      const el = document.createElement('div');
      render(html`<p class="x">hi</p>`, el);
      return el.innerHTML === '<p class="x">hi</p>' && render === preact.render;
    });
    assert.ok(same, 'htm/preact does not render with the mapped preact');
    assertNoProblems(page, 'the import map check');
    await page.context().close();
  });

  test('each vendor file is served as JavaScript and cached for good', async () => {
    for (const url of Object.values(map.imports)) {
      const r = await hail.get(url);
      assert.equal(r.status, 200, url);
      assert.match(r.headers['content-type'], /^text\/javascript\b/, url);
      assert.match(r.headers['cache-control'] || '', /immutable/, `${url}: ${r.headers['cache-control']}`);
    }
  });
});
