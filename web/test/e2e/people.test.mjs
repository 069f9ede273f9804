// People, person, accounts: sign in (wrong password, 429, back to the deep link), search as
// you type (debounced; a stale reply never replaces a newer one), open a person and reload
// the deep link, page forward and back, My people / All people, the keyboard, a 390-px
// phone, and checkPage() (console, requests, axe, screenshot) on every page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, SLOW, startHail, launchBrowser, newPage, signIn, checkPage, assertNoProblems,
  expectText, expectResponse, waitFor, expectTitle,
} from './harness.mjs';

const SALESFORCE = 'https://acme.my.salesforce.com';

function peopleRows(page, name = 'People') {
  return page.getByRole('table', { name, exact: true }).getByRole('row').filter({ has: page.getByRole('cell') });
}

function pagerStatus(page) {
  return page.getByRole('status').filter({ hasText: /Showing|No people|Loading/ });
}

describe('people pages', { skip: SKIP, timeout: 600000 * SLOW }, () => {
  let hail;
  let browser;
  let amelia; // Amelia Rossi: contact, account 001DEMO00000006, opportunity 006DEMO00000006
  let appInfo; // GET /api/v1/app, or null where this hail has no such route
  let accountsApi; // false where this hail has no GET /api/v1/accounts… routes

  before(async () => {
    hail = await startHail({ env: { HAIL_SALESFORCE_URL: SALESFORCE } });
    browser = await launchBrowser();
    const r = await hail.api('GET', '/api/v1/people?q=amelia%20rossi&limit=5');
    assert.equal(r.status, 200, r.body);
    amelia = r.json.data.find((p) => p.email === 'amelia.rossi@adventure.example');
    assert.ok(amelia, `demo person Amelia Rossi not found: ${r.body}`);
    const app = await hail.api('GET', '/api/v1/app');
    appInfo = app.status === 200 ? app.json : null;
    accountsApi = (await hail.api('GET', '/api/v1/accounts?limit=1')).status !== 404;
  });
  // A page on hail; where this hail has no GET /api/v1/app yet, its 404 is expected (the
  // app then shows Salesforce ids as text).
  async function open(options) {
    const page = await newPage(browser, hail, options);
    if (!appInfo) expectResponse(page, { method: 'GET', path: '/api/v1/app', status: 404 });
    if (!accountsApi) {
      expectResponse(page, { method: 'GET', path: /^\/api\/v1\/(accounts|opportunities)\/[^/]+$/, status: 404 });
    }
    return page;
  }

  after(async () => {
    if (browser) await browser.close();
    if (hail) await hail.stop();
  });

  test('sign in: the API message for a wrong password, when to retry after a 429, then back to the deep link', async () => {
    const page = await open();
    expectResponse(page, { method: 'POST', path: '/api/v1/session', status: 401 });
    expectResponse(page, { method: 'POST', path: '/api/v1/session', status: 429 });
    await page.goto(`/people/${amelia.id}`);
    await page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('next') === `/people/${amelia.id}`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expectTitle(page, 'Sign in · hail');
    // The Email field has the focus, so a user can type at once.
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'signin-email');
    await checkPage(page, 'people-sign-in');

    await page.getByRole('textbox', { name: 'Email', exact: true }).fill('rep1@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectText(page.getByRole('alert'), 'wrong email or password');
    await checkPage(page, 'people-sign-in-error');

    // A 429 (faked once here: the real limit takes many failures) says when to try again.
    await page.route('**/api/v1/session', (route) => route.fulfill({
      status: 429,
      headers: { 'Retry-After': '42', 'Content-Type': 'application/json' },
      body: JSON.stringify({ error: { code: 'rate_limited', message: 'too many failed sign-ins from this address' } }),
    }), { times: 1 });
    await page.getByLabel('Password', { exact: true }).fill('still not it');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectText(page.getByRole('alert'),
      'Too many attempts. Try again in 42 seconds. too many failed sign-ins from this address');

    await page.getByLabel('Password', { exact: true }).fill('hail-demo-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((u) => u.pathname === `/people/${amelia.id}`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Amelia Rossi');
    assertNoProblems(page, 'sign in');
    await page.context().close();
  });

  test('a session that ends mid-way sends the user to sign in and back to where they were', async () => {
    const page = await open();
    await signIn(page, 'manager@example.com');
    await page.getByRole('searchbox', { name: 'Search people', exact: true }).fill('amelia rossi');
    await page.waitForURL((u) => u.searchParams.get('q') === 'amelia rossi');
    await expectText(pagerStatus(page), 'Showing 1–1 (end of the list)');
    const link = page.getByRole('table', { name: 'People', exact: true }).getByRole('link', { name: 'Amelia Rossi', exact: true });
    // The session cookie goes (as when it expires); the next API call answers 401.
    await page.context().clearCookies();
    expectResponse(page, { method: 'GET', path: `/api/v1/people/${amelia.id}`, status: 401 });
    expectResponse(page, { method: 'GET', path: '/api/v1/app', status: 401 });
    expectResponse(page, { method: 'GET', path: '/api/v1/tasks/counts', status: 401 }); // the navigation's count
    await link.click();
    await page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('next') === `/people/${amelia.id}`);
    await page.getByText('Sign in to continue where you were.', { exact: true }).waitFor();
    await signIn(page, 'manager@example.com');
    await page.waitForURL((u) => u.pathname === `/people/${amelia.id}`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Amelia Rossi');
    assertNoProblems(page, 'the session ending');
    await page.context().close();
  });

  test('hail out of reach: an error with "Try again", not a blank page', async () => {
    const page = await open();
    await page.route('**/api/v1/session', (route) => route.abort('aborted'));
    await page.goto('/people');
    await expectText(page.getByRole('alert').getByRole('paragraph'), 'cannot reach hail');
    await page.getByRole('alert').getByRole('button', { name: 'Try again', exact: true }).waitFor();
    await checkPage(page, 'people-unreachable');
    await page.unroute('**/api/v1/session');
    await page.getByRole('button', { name: 'Try again', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('next') === '/people');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assertNoProblems(page, 'hail out of reach');
    await page.context().close();
  });

  test('search as you type: debounced, the URL keeps q, a stale reply never replaces a newer one', async () => {
    const page = await open();
    await signIn(page, 'admin@example.com');
    await page.waitForURL((u) => u.pathname === '/people');
    const status = pagerStatus(page);
    await expectText(status, 'Showing 1–50');
    await expectTitle(page, 'People · hail');
    await checkPage(page, 'people');

    // Typing one letter at a time is debounced into one request for the whole word.
    const asked = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname === '/api/v1/people') asked.push(u.searchParams.get('q'));
    });
    const search = page.getByRole('searchbox', { name: 'Search people', exact: true });
    await search.pressSequentially('rossi', { delay: 30 });
    await page.waitForURL((u) => u.searchParams.get('q') === 'rossi');
    await expectText(status, 'Showing 1–9 (end of the list)');
    const rows = peopleRows(page);
    assert.equal(await rows.count(), 9);
    for (const text of await rows.allTextContents()) assert.match(text, /Rossi/);
    // Fewer requests than keystrokes (one, unless the box is so loaded that a 200-ms pause
    // fell between two keys), the last for the whole word.
    assert.ok(asked.length < 5 && asked[asked.length - 1] === 'rossi', `asked: ${JSON.stringify(asked)}`);

    // Hold the reply for "a" back; type on; the newer search answers first. When the stale
    // reply finally comes, the table still shows the newer search.
    let release;
    const held = new Promise((r) => { release = r; });
    let heldSeen = false;
    await page.route((u) => u.pathname === '/api/v1/people' && u.searchParams.get('q') === 'a', async (route) => {
      heldSeen = true;
      await held;
      try { await route.continue(); } catch { /* the app aborted it */ }
    });
    await search.fill('a');
    await waitFor(async () => heldSeen, 'the search for "a" to be sent');
    await search.fill('kowalczyk');
    await page.waitForURL((u) => u.searchParams.get('q') === 'kowalczyk');
    const onlyKowalczyk = async () => {
      const names = await peopleRows(page).locator('td.cell-name').allTextContents();
      return names.length > 0 && names.every((n) => / Kowalczyk$/.test(n.trim()));
    };
    await waitFor(onlyKowalczyk, 'the table to show the Kowalczyk search');
    await expectText(status, 'Showing 1–9 (end of the list)');
    release();
    await page.waitForTimeout(500 * SLOW);
    assert.ok(await onlyKowalczyk(), 'the stale reply for "a" replaced the newer search');
    await expectText(status, 'Showing 1–9 (end of the list)');
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Nothing found: an empty state, not a blank page.
    await search.fill('zzzqqq');
    await page.getByText('No people match “zzzqqq”.').waitFor();
    await expectText(status, 'No people');
    await checkPage(page, 'people-empty');

    // Clearing the box lists everyone again and drops q from the URL.
    await search.fill('');
    await page.waitForURL((u) => u.pathname === '/people' && !u.searchParams.has('q'));
    await expectText(status, 'Showing 1–50');
    assertNoProblems(page, 'search');
    await page.context().close();
  });

  test('open a person from the table, every field, links, activity tabs; the deep link survives a reload', async () => {
    const page = await open();
    await signIn(page, 'admin@example.com');
    await page.getByRole('searchbox', { name: 'Search people', exact: true }).fill('amelia rossi');
    await page.waitForURL((u) => u.searchParams.get('q') === 'amelia rossi');
    await expectText(pagerStatus(page), 'Showing 1–1 (end of the list)');
    const link = page.getByRole('table', { name: 'People', exact: true }).getByRole('link', { name: 'Amelia Rossi', exact: true });
    await link.click();
    await page.waitForURL((u) => u.pathname === `/people/${amelia.id}`);

    const check = async () => {
      await expectText(page.getByRole('heading', { level: 1 }), 'Amelia Rossi');
      await expectTitle(page, 'Amelia Rossi · hail');
      const fields = {};
      const rows = page.locator('dl .field-row');
      for (let i = 0; i < await rows.count(); i++) {
        const dt = (await rows.nth(i).locator('dt').textContent()).trim();
        fields[dt] = (await rows.nth(i).locator('dd').textContent()).replace(/\s+/g, ' ').trim();
      }
      assert.deepEqual(fields, {
        'First name': 'Amelia',
        'Last name': 'Rossi',
        Email: 'amelia.rossi@adventure.example',
        Phone: '+1 206 555 2010',
        Title: 'CFO',
        Company: 'Adventure Works',
        Source: 'Web',
        Owner: 'rep1@example.com',
        'Time zone': 'Not set', // demo/people.csv has no timeZone column
        Status: 'Active',
        LinkedIn: 'https://www.linkedin.com/in/amelia.rossi-33',
        Account: 'Account 001DEMO00000006',
        Opportunity: 'Opportunity 006DEMO00000006',
        'Salesforce contact id': '003DEMO00000033',
        'Salesforce lead id': 'Not set',
        'Marketo id': '1033',
        'hail id': String(amelia.id),
        'First synced': fields['First synced'],
        'Last changed': fields['Last changed'],
      });
      assert.match(fields['First synced'], /^(just now|\d+ minutes? ago)$/);
      assert.match(fields['Last changed'], /^(just now|\d+ minutes? ago)$/);
      await page.getByText('Active', { exact: true }).first().waitFor();
      assert.equal(await page.getByRole('link', { name: 'LinkedIn profile', exact: true }).getAttribute('href'),
        'https://www.linkedin.com/in/amelia.rossi-33');
      assert.equal(await page.getByRole('link', { name: 'Account 001DEMO00000006', exact: true }).getAttribute('href'),
        '/accounts/001DEMO00000006');
      assert.equal(await page.getByRole('link', { name: 'Opportunity 006DEMO00000006', exact: true }).getAttribute('href'),
        '/opportunities/006DEMO00000006');
      const sf = page.getByRole('link', { name: 'Open in Salesforce', exact: true });
      if (appInfo && appInfo.salesforce_url) {
        assert.equal(await sf.getAttribute('href'), `${SALESFORCE}/lightning/r/Contact/003DEMO00000033/view`);
      } else {
        assert.equal(await sf.count(), 0, 'no Salesforce URL known: the ids show as text');
      }
    };
    await check();

    // The tabs later issues fill: a tablist, arrow keys move, each panel says what comes.
    const tablist = page.getByRole('tablist', { name: 'Person activity', exact: true });
    const tabs = tablist.getByRole('tab');
    assert.deepEqual((await tabs.allTextContents()).map((t) => t.trim()), ['Emails', 'Calls', 'Campaigns', 'Tasks', 'Activity']);
    await tablist.getByRole('tab', { name: 'Emails', exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await tablist.getByRole('tab', { name: 'Calls', exact: true }).getAttribute('aria-selected'), 'true');
    await expectText(page.getByRole('tabpanel'), /^No calls with Amelia Rossi yet\./);
    await page.keyboard.press('End');
    await expectText(page.getByRole('tabpanel'), /^Activity — this tab arrives in a later release\./);
    await checkPage(page, 'person');

    await page.reload();
    assert.equal(new URL(page.url()).pathname, `/people/${amelia.id}`);
    await check();

    // The account and opportunity links lead to their pages.
    await page.getByRole('link', { name: 'Account 001DEMO00000006', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/accounts/001DEMO00000006');
    await page.getByRole('table', { name: 'People in this account', exact: true }).getByRole('link', { name: 'Amelia Rossi', exact: true }).waitFor();
    await page.goBack();
    await page.getByRole('link', { name: 'Opportunity 006DEMO00000006', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/opportunities/006DEMO00000006');
    await page.getByRole('table', { name: 'People in this opportunity', exact: true }).getByRole('link', { name: 'Amelia Rossi', exact: true }).waitFor();
    assertNoProblems(page, 'the person page');

    // An unknown person: a clear message, not a blank page.
    expectResponse(page, { method: 'GET', path: '/api/v1/people/999999', status: 404 });
    await page.goto('/people/999999');
    await expectText(page.getByRole('heading', { level: 1 }), 'Person not found');
    await page.getByRole('link', { name: 'Back to People', exact: true }).waitFor();
    await checkPage(page, 'person-not-found');
    await page.context().close();
  });

  test('All people pages forward and back through the cursor; My people shows the rep\'s own', async () => {
    const page = await open();
    await signIn(page, 'rep1@example.com');
    const mine = page.getByRole('radio', { name: 'My people', exact: true });
    const all = page.getByRole('radio', { name: 'All people', exact: true });
    await page.getByRole('group', { name: 'Show', exact: true }).waitFor();
    assert.equal(await all.isChecked(), true, 'everyone starts with all people');
    const status = pagerStatus(page);
    const rows = peopleRows(page);
    const next = page.getByRole('button', { name: 'Next page', exact: true });
    const previous = page.getByRole('button', { name: 'Previous page', exact: true });
    const owners = async () => (await page.locator('td.cell-owner').allTextContents()).map((t) => t.trim());

    // All people: 50 a page, forward and back through the cursor.
    await expectText(status, 'Showing 1–50');
    assert.equal(await previous.getAttribute('aria-disabled'), 'true');
    assert.ok(new Set(await owners()).size > 1, 'everyone\'s people');
    const first = await rows.first().textContent();
    await next.click();
    await expectText(status, 'Showing 51–100');
    await waitFor(async () => (await rows.first().textContent()) !== first, 'the second page');
    await next.click();
    await expectText(status, 'Showing 101–150');
    assert.ok(await page.locator('tr').count() <= 101, 'at most one page of rows in the DOM');
    await checkPage(page, 'people-page-3');
    await previous.click();
    await expectText(status, 'Showing 51–100');
    await previous.click();
    await expectText(status, 'Showing 1–50');
    await waitFor(async () => (await rows.first().textContent()) === first, 'the first page again');

    // My people: the URL says so and a reload keeps it; rep1 owns 87 of the demo people.
    await mine.check();
    await page.waitForURL((u) => u.searchParams.get('scope') === 'mine');
    await expectText(status, 'Showing 1–50');
    assert.deepEqual([...new Set(await owners())], ['rep1@example.com']);
    await next.click();
    await expectText(status, 'Showing 51–87 (end of the list)');
    assert.equal(await rows.count(), 37);
    assert.deepEqual([...new Set(await owners())], ['rep1@example.com']);
    assert.equal(await next.getAttribute('aria-disabled'), 'true');
    await previous.click();
    await expectText(status, 'Showing 1–50');
    await page.reload();
    assert.equal(await mine.isChecked(), true);
    await expectText(status, 'Showing 1–50');
    assert.deepEqual([...new Set(await owners())], ['rep1@example.com']);
    await all.check();
    await page.waitForURL((u) => !u.searchParams.has('scope'));
    await expectText(status, 'Showing 1–50');
    assertNoProblems(page, 'paging and My people');
    await page.context().close();
  });

  test('the keyboard: skip link, shell, search, radios and rows', async () => {
    const page = await open();
    await signIn(page, 'rep1@example.com');
    await page.reload();
    await pagerStatus(page).filter({ hasText: 'Showing' }).waitFor();
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => {
      const el = document.activeElement;
      return el ? (el.getAttribute('aria-label') || el.textContent || el.id || el.tagName).trim() : null;
    });
    assert.equal(await focused(), 'Skip to main content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'people-search');
    await page.keyboard.type('kowalczyk');
    await page.waitForURL((u) => u.searchParams.get('q') === 'kowalczyk');
    await expectText(pagerStatus(page), 'Showing 1–9 (end of the list)');
    await page.keyboard.press('Tab'); // the checked radio (All people)
    await page.keyboard.press('ArrowLeft'); // → My people
    await page.waitForURL((u) => u.searchParams.get('scope') === 'mine');
    await expectText(pagerStatus(page), 'Showing 1–3 (end of the list)');
    await page.keyboard.press('Tab'); // the scrollable table region
    await page.keyboard.press('Tab'); // the first name link
    const name = await focused();
    assert.match(name, /Kowalczyk$/);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => /^\/people\/\d+$/.test(u.pathname));
    await expectText(page.getByRole('heading', { level: 1 }), name);
    // After a navigation the focus is on the new page's main, so Tab continues from there.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    assertNoProblems(page, 'the keyboard');
    await page.context().close();
  });

  test('accounts: list, search, an account and an opportunity', async (t) => {
    if (!accountsApi) {
      t.skip('this hail has no GET /api/v1/accounts');
      return;
    }
    const page = await open();
    await signIn(page, 'manager@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/accounts');
    const table = page.getByRole('table', { name: 'Accounts', exact: true });
    await table.waitFor();
    await expectTitle(page, 'Accounts · hail');
    assert.deepEqual((await table.getByRole('columnheader').allTextContents()).map((s) => s.trim()),
      ['Name', 'Account ID', 'People']);
    await checkPage(page, 'accounts');
    await page.getByRole('searchbox', { name: 'Search accounts', exact: true }).fill('adventure');
    await page.waitForURL((u) => u.searchParams.get('q') === 'adventure');
    const row = table.getByRole('row').filter({ hasText: '001DEMO00000006' });
    await row.waitFor();
    await row.getByRole('link').click();
    await page.waitForURL((u) => u.pathname === '/accounts/001DEMO00000006');
    const people = page.getByRole('table', { name: 'People in this account', exact: true });
    await people.getByRole('link', { name: 'Amelia Rossi', exact: true }).waitFor();
    await checkPage(page, 'account');
    await page.getByRole('link', { name: /^Opportunity 006DEMO00000006/ }).click();
    await page.waitForURL((u) => u.pathname === '/opportunities/006DEMO00000006');
    await expectText(page.getByRole('heading', { level: 1 }), 'Opportunity 006DEMO00000006');
    await page.getByRole('table', { name: 'People in this opportunity', exact: true })
      .getByRole('link', { name: 'Amelia Rossi', exact: true }).waitFor();
    await checkPage(page, 'opportunity');
    await page.context().close();
  });

  test('a 390-px phone: no sideways page scroll, the table scrolls in its own region', async () => {
    const page = await open({ viewport: { width: 390, height: 844 } });
    await signIn(page, 'admin@example.com');
    await expectText(pagerStatus(page), 'Showing 1–50');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(await overflow() <= 0, `the People page is ${await overflow()} px wider than the viewport`);
    const region = page.getByRole('region', { name: 'People (scrollable)', exact: true });
    assert.ok(await region.evaluate((el) => el.scrollWidth > el.clientWidth), 'the table scrolls sideways inside its region');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await checkPage(page, 'people-phone');
    await page.getByRole('table', { name: 'People', exact: true }).getByRole('link').first().click();
    await page.waitForURL((u) => /^\/people\/\d+$/.test(u.pathname));
    await page.getByRole('tablist', { name: 'Person activity', exact: true }).waitFor();
    assert.ok(await overflow() <= 0, `the person page is ${await overflow()} px wider than the viewport`);
    await checkPage(page, 'person-phone');
    await page.context().close();
  });
});
