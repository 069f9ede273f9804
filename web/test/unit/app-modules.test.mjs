// The app's own modules (everything under web/app but pages/admin/): nothing the CSP
// forbids, imports that resolve (beside, or in the import map), every module loads in
// node without a window (only main.js touches the document), and the small pure parts
// of the pages and components.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP = join(WEB, 'app');
const ADMIN = join(APP, 'pages', 'admin');
const MAPPED = new Set(JSON.parse(readFileSync(join(WEB, 'package.json'), 'utf8')).importmap);

function jsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (p === ADMIN) continue;
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}
const files = jsFiles(APP);

test('the app has its entry, routes, shared modules and pages', () => {
  const names = files.map((f) => relative(APP, f));
  for (const f of ['main.js', 'routes.js', 'lib/api.js', 'lib/html.js', 'lib/router.js', 'lib/format.js',
    'components/states.js', 'components/page.js', 'pages/sign-in.js', 'pages/people.js', 'pages/person.js',
    'pages/accounts.js', 'pages/account.js', 'pages/opportunity.js']) {
    assert.ok(names.includes(f), `${f} is missing`);
  }
  assert.ok(existsSync(join(APP, 'styles.css')));
  assert.ok(existsSync(join(WEB, 'favicon.svg')));
});

test('nothing the CSP forbids, no innerHTML', () => {
  const bad = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const [re, what] of [
      [/\sstyle\s*=/, 'a style attribute'], [/<style/i, 'a <style> element'], [/\beval\s*\(/, 'eval'],
      [/new\s+Function\s*\(/, 'new Function'], [/innerHTML|dangerouslySetInnerHTML/, 'innerHTML'],
      [/<script/i, 'a <script> element'], [/javascript:/i, 'a javascript: URL'],
    ]) if (re.test(text)) bad.push(`${relative(APP, f)}: ${what}`);
  }
  assert.deepEqual(bad, []);
  const css = readFileSync(join(APP, 'styles.css'), 'utf8');
  assert.doesNotMatch(css, /@import|url\(\s*['"]?(https?:)?\/\//);
});

test('imports are relative files that exist, or specifiers in the import map', () => {
  const bad = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const specs = [...text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)]
      .map((m) => m[1]);
    for (const spec of specs) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const target = resolve(dirname(f), spec);
        // pages/admin/ belongs to the admin pages; routes.js only loads it lazily.
        if (!existsSync(target) && !target.startsWith(ADMIN)) bad.push(`${relative(APP, f)}: ${spec} does not exist`);
      } else if (!MAPPED.has(spec)) {
        bad.push(`${relative(APP, f)}: ${spec} is not in the import map`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('every module but main.js loads without a window or document', async () => {
  assert.equal(typeof globalThis.window, 'undefined');
  for (const f of files) {
    if (relative(APP, f) === 'main.js') continue;
    await import(pathToFileURL(f).href);
  }
});

test('routes: each path goes to its page, /admin… and /tokens to the lazy admin module', async () => {
  const { routes, loadAdmin } = await import('../../app/routes.js');
  const { findRoute } = await import('../../app/lib/paths.js');
  const pages = {
    people: (await import('../../app/pages/people.js')).PeoplePage,
    person: (await import('../../app/pages/person.js')).PersonPage,
    accounts: (await import('../../app/pages/accounts.js')).AccountsPage,
    account: (await import('../../app/pages/account.js')).AccountPage,
    opportunity: (await import('../../app/pages/opportunity.js')).OpportunityPage,
  };
  const at = (p) => findRoute(routes, p);
  assert.equal(at('/').route.redirect, '/people');
  assert.equal(at('/people').route.component, pages.people);
  assert.deepEqual([at('/people/42').route.component, at('/people/42').params], [pages.person, { id: '42' }]);
  assert.equal(at('/accounts').route.component, pages.accounts);
  assert.deepEqual(at('/accounts/001X').params, { id: '001X' });
  assert.equal(at('/accounts/001X').route.component, pages.account);
  assert.equal(at('/opportunities/006Y').route.component, pages.opportunity);
  for (const p of ['/admin', '/admin/users', '/admin/teams/3', '/admin/tokens', '/admin/sync', '/tokens']) {
    assert.equal(at(p).route.load, loadAdmin, p);
  }
  assert.equal(at('/people/1/2'), null);
  assert.equal(at('/nowhere'), null);
});

test('the sign-in error line: the API message; a 429 first says when to retry', async () => {
  const { signInError } = await import('../../app/pages/sign-in.js');
  const { ApiError } = await import('../../app/lib/api.js');
  assert.equal(signInError(new ApiError(401, 'unauthorized', 'wrong email or password')), 'wrong email or password');
  assert.equal(signInError(new ApiError(429, 'rate_limited', 'too many failed sign-ins', 42)),
    'Too many attempts. Try again in 42 seconds. too many failed sign-ins');
  assert.equal(signInError(new ApiError(429, 'rate_limited', 'too many failed sign-ins', null)),
    'Too many attempts. Try again later. too many failed sign-ins');
  assert.equal(signInError(new ApiError(0, 'network', 'cannot reach hail')), 'cannot reach hail');
});

test('a person is a Contact in Salesforce when it has a contact id, else a Lead', async () => {
  const { salesforceRecord } = await import('../../app/pages/person.js');
  assert.deepEqual(salesforceRecord({ sfdc_contact_id: '003A', sfdc_lead_id: '00QB' }), { object: 'Contact', id: '003A' });
  assert.deepEqual(salesforceRecord({ sfdc_contact_id: null, sfdc_lead_id: '00QB' }), { object: 'Lead', id: '00QB' });
  assert.equal(salesforceRecord({ sfdc_contact_id: null, sfdc_lead_id: null }), null);
});

test('page titles read "<title> · hail"', async () => {
  const { pageTitle } = await import('../../app/components/page.js');
  assert.equal(pageTitle('People'), 'People · hail');
  assert.equal(pageTitle(''), 'hail');
});

test('the people query: owner=me only for My people, q left out when empty', async () => {
  const { fetchPeople } = await import('../../app/pages/people.js');
  const seen = [];
  globalThis.window = { fetch: async (url) => { seen.push(url); return { ok: true, status: 200, headers: { get: () => null }, text: async () => '{"data":[],"next_cursor":null}' }; } };
  try {
    await fetchPeople({ q: 'ann', scope: 'mine' }, { cursor: 'c1', limit: 50 });
    await fetchPeople({ q: '', scope: 'all' }, { cursor: null, limit: 20 });
  } finally {
    delete globalThis.window;
  }
  assert.deepEqual(seen, ['/api/v1/people?q=ann&owner=me&limit=50&cursor=c1', '/api/v1/people?limit=20']);
});

test('main.js names every app module (not the lazy admin pages) so the graph loads in one round', () => {
  const main = readFileSync(join(APP, 'main.js'), 'utf8');
  const named = new Set([...main.matchAll(/^import\s[^'"]*['"]\.\/([^'"]+)['"]/gm)].map((m) => m[1]));
  const missing = files.map((f) => relative(APP, f)).filter((f) => f !== 'main.js' && !named.has(f));
  assert.deepEqual(missing, []);
  for (const spec of ['preact', 'preact/hooks', 'htm', '@preact/signals', '@preact/signals-core']) {
    assert.ok(main.includes(`import '${spec}';`), `main.js does not name ${spec}`);
  }
});
