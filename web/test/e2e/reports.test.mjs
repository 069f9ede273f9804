// End-to-end: Reports (/reports) in Debian's Chromium against the real hail. Activities are
// written into the log (SQLite, through Python's sqlite3) at known times; a rep sees only
// their own row with human opens and the machine ones beside them, both charts drawn by
// uPlot with their data tables behind a toggle; the manager sees the team's users, the
// Teams tab and a weekly interval kept in the address; the CSV export is the same report
// as CSV; 390 px wide too. checkPage() on each (console, requests, axe, screenshot).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, signOut, checkPage, expectTitle, expectText, SKIP,
  sql,
} from './harness.mjs';

describe('reports', { skip: SKIP }, () => {
  let hail, browser, page;
  const at = Date.now() - 3600 * 1000; // an hour ago
  const day = new Date(at).toISOString().slice(0, 10); // users' zone is UTC

  before(async () => {
    hail = await startHail();
    const [[person]] = sql(hail, ['SELECT id FROM people ORDER BY id LIMIT 1']);
    const user = (email) => `(SELECT id FROM users WHERE email = '${email}')`;
    const act = (type, email, machine = 0) => 'INSERT INTO activities (type, person_id, user_id,' +
      ` occurred_at, machine, attrs, created_at) VALUES ('${type}', ${person}, ${user(email)},` +
      ` ${at * 1000}, ${machine}, '{}', 0)`;
    sql(hail, [
      act('email_send', 'rep1@example.com'), act('email_send', 'rep1@example.com'),
      act('email_send', 'rep1@example.com'), act('email_open', 'rep1@example.com'),
      act('email_open', 'rep1@example.com'), act('email_open', 'rep1@example.com', 1),
      act('email_reply', 'rep1@example.com'), act('email_send', 'rep2@example.com'),
    ]);
    browser = await launchBrowser();
    page = await newPage(browser, hail);
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('a rep sees their own numbers, charts and the charts\' data tables', async () => {
    await signIn(page, 'rep1@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    await expectTitle(page, 'Reports · hail');
    const kinds = page.getByRole('navigation', { name: 'Report' });
    assert.equal(await kinds.getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');
    const rows = page.getByRole('table', { name: /^Users, / });
    await rows.waitFor();
    assert.deepEqual(await rows.getByRole('columnheader').allInnerTexts(),
      ['USER', 'SENT', 'OPENS', 'CLICKS', 'REPLIES', 'BOUNCES', 'UNSUBSCRIBES', 'CALLS', 'TASKS COMPLETED']);
    const body = rows.locator('tbody tr');
    assert.equal(await body.count(), 1);
    assert.deepEqual((await body.first().locator('th, td').allInnerTexts()).map((s) => s.trim()),
      ['Riley Rep', '3', '2 (+1 machine)', '0', '1', '0', '0', '0', '0']);

    // both charts are drawn; each data table is hidden until asked for
    const email = page.getByRole('figure', { name: /^Email per day/ });
    await email.locator('.report-plot canvas').first().waitFor();
    await page.getByRole('figure', { name: /^Calls, tasks and unsubscribes per day/ })
      .locator('.report-plot canvas').first().waitFor();
    const toggle = email.getByRole('button', { name: 'Show data table' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    const table = email.getByRole('table', { name: /^Email per day/ });
    assert.equal(await table.isVisible(), false);
    await toggle.click();
    assert.equal(await email.getByRole('button', { name: 'Hide data table' }).getAttribute('aria-expanded'), 'true');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 30);
    const today = table.locator('tbody tr', { has: page.getByRole('rowheader', { name: day, exact: true }) });
    assert.deepEqual((await today.locator('th, td').allInnerTexts()).map((s) => s.trim()),
      [day, '3', '2', '0', '1', '0']);
    await checkPage(page, 'reports-rep');

    // the CSV export is the same report
    const link = page.getByRole('link', { name: 'Export table (CSV)' });
    assert.equal(await link.getAttribute('href'), '/api/v1/reports/users?format=csv');
    const csv = await page.request.get(await link.getAttribute('href'));
    assert.equal(csv.status(), 200);
    assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
    const id = sql(hail, ["SELECT id FROM users WHERE email = 'rep1@example.com'"])[0][0];
    assert.equal(await csv.text(),
      'id,name,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,unsubscribes,calls,' +
      `tasks_completed\r\n${id},Riley Rep,3,2,1,0,0,1,0,0,0,0\r\n`);
    await signOut(page);
  });

  it('a manager sees the team, the Teams tab and weeks', async () => {
    await signIn(page, 'manager@example.com');
    await page.goto('/reports');
    const rows = page.getByRole('table', { name: /^Users, / });
    await rows.waitFor();
    assert.deepEqual(await rows.locator('tbody th').allInnerTexts(),
      ['Ada Admin', 'Max Manager', 'Riley Rep', 'Sam Rep']);
    await page.getByRole('navigation', { name: 'Report' }).getByRole('link', { name: 'Teams' }).click();
    const teams = page.getByRole('table', { name: /^Teams, / });
    await teams.waitFor();
    assert.deepEqual((await teams.locator('tbody tr').first().locator('th, td').allInnerTexts()).map((s) => s.trim()),
      ['West', '4', '2 (+1 machine)', '0', '1', '0', '0', '0', '0']);

    await page.getByLabel('Interval').selectOption('week');
    await page.getByRole('button', { name: 'Show report' }).click();
    await expectText(page.locator('.report-summary'), /, per week\.$/);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('kind'), 'teams');
    assert.equal(url.searchParams.get('interval'), 'week');
    const email = page.getByRole('figure', { name: /^Email per week/ });
    await email.getByRole('button', { name: 'Show data table' }).click();
    const weeks = email.getByRole('table', { name: /^Email per week/ });
    await weeks.waitFor();
    assert.deepEqual(await weeks.getByRole('columnheader').allInnerTexts(),
      ['WEEK OF', 'SENT', 'OPENS', 'CLICKS', 'REPLIES', 'BOUNCES']);
    const sent = (await weeks.locator('tbody tr td:nth-of-type(1)').allInnerTexts()).map(Number);
    assert.equal(sent.reduce((a, b) => a + b, 0), 4);
    await checkPage(page, 'reports-manager-weeks');

    // a range the server refuses says why
    await page.getByRole('textbox', { name: 'From', exact: true }).fill('2024-01-01');
    await page.getByRole('textbox', { name: 'To', exact: true }).fill('2026-01-01');
    page.e2e.expected.push({ method: 'GET', path: '/api/v1/reports/teams', status: 400 });
    await page.getByRole('button', { name: 'Show report' }).click();
    await expectText(page.getByRole('alert').locator('.state-message'), 'a report covers at most 366 days; from 2024-01-01 to 2026-01-01 is 732 days');
    await signOut(page);
  });

  it('works 390 px wide', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'rep1@example.com', undefined, { next: '/reports?kind=templates' });
    await phone.getByText('No template had any activity in this range.').waitFor();
    await phone.getByRole('figure', { name: /^Email per day/ }).locator('.report-plot canvas').first().waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide`);
    await checkPage(phone, 'reports-phone');
    await phone.context().close();
  });
});
