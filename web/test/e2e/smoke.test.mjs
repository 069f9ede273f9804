// Smoke: the app loads at / with hail's CSP on and nothing in the console; a deep link
// survives a reload, and a signed-out deep link comes back after signing in.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, SLOW, startHail, launchBrowser, newPage, signIn, checkPage, assertNoProblems, expectText, waitFor,
} from './harness.mjs';

describe('smoke', { skip: SKIP, timeout: 300000 * SLOW }, () => {
  let hail;
  let browser;
  let person;

  before(async () => {
    hail = await startHail();
    browser = await launchBrowser();
    const r = await hail.api('GET', '/api/v1/people?q=kowalczyk&limit=5');
    assert.equal(r.status, 200, r.body);
    person = r.json.data.find((p) => p.email === 'diego.kowalczyk@proseware.example');
    assert.ok(person, `demo person Diego Kowalczyk not found: ${r.body}`);
  });
  after(async () => {
    if (browser) await browser.close();
    if (hail) await hail.stop();
  });

  test('/ loads with the CSP on, no console errors, and asks a signed-out user to sign in', async () => {
    const page = await newPage(browser, hail);
    const resp = await page.goto('/');
    assert.equal(resp.status(), 200);
    const csp = resp.headers()['content-security-policy'] || '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForURL((u) => u.pathname === '/sign-in');
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    // The title is set in an effect, just after the page renders: wait for it.
    await waitFor(async () => (await page.title()) === 'Sign in · hail', `the title "Sign in · hail" (it is "${await page.title()}")`);
    // The app rendered over the boot line: the module graph ran under the CSP.
    assert.equal(await page.getByText('Loading hail…').count(), 0);
    await checkPage(page, 'smoke-sign-in');
    await page.context().close();
  });

  test('signing in from / lands on People', async () => {
    const page = await newPage(browser, hail);
    await page.goto('/');
    await signIn(page, 'admin@example.com');
    await page.waitForURL((u) => u.pathname === '/people');
    await page.getByRole('table', { name: 'People' }).waitFor();
    await waitFor(async () => (await page.title()) === 'People · hail', 'the title "People · hail"');
    await checkPage(page, 'smoke-people');
    await page.context().close();
  });

  test('a deep link to a person survives a reload', async () => {
    const page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
    const resp = await page.goto(`/people/${person.id}`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'] || '', /^text\/html/);
    const h1 = page.getByRole('heading', { level: 1 });
    await expectText(h1, 'Diego Kowalczyk');
    const again = await page.reload();
    assert.equal(again.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/people/${person.id}`);
    await expectText(h1, 'Diego Kowalczyk');
    assertNoProblems(page, 'the person page after a reload');
    await page.context().close();
  });

  test('a signed-out deep link goes to sign in and back', async () => {
    const page = await newPage(browser, hail);
    await page.goto(`/people/${person.id}`);
    await page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('next') === `/people/${person.id}`);
    await signIn(page, 'rep1@example.com');
    await page.waitForURL((u) => u.pathname === `/people/${person.id}`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Diego Kowalczyk');
    assertNoProblems(page, 'the deep link after sign-in');
    await page.context().close();
  });

  test('the sign-in page works at a 390-px phone width', async () => {
    const page = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the 390-px viewport`);
    await checkPage(page, 'smoke-sign-in-phone');
    await page.context().close();
  });
});
