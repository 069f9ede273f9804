// End-to-end: the Insight tab of the person, account and opportunity pages in Debian's
// Chromium (components/insight.js, components/history.js).
//  - Against hail's real routes on the test clock (Wednesday 4 March 2026, 12:00 UTC; the
//    admin's zone UTC): calls logged over the API in three different weeks show in the
//    engagement velocity grid with the right counts in the right weeks, in the summary, on
//    the account's and the opportunity's Insight tab, and in the activity histories; a rep
//    gets the API's 404 for a person owned by the manager.
//    Skipped, naming the route, while this hail has no GET /api/v1/people/{id}/insight.
//  - With the insight routes answered in the page (playwright's page.route), pinning what the
//    panel shows: machine counts beside human ones, the "Show all activity types" toggle,
//    upcoming steps and tasks, Marketo's "not configured" message, a 503 with "Try again",
//    a 404 (a person outside the viewer's scope) in the API's words, the history's infinite
//    scroll and its "Load more" button, and a 390-px phone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, expectText, waitFor, SKIP,
} from './harness.mjs';

const NOW = '2026-03-04T12:00:00Z'; // a Wednesday: this week starts Monday 2 March
const WEEKS = ['2025-12-08', '2025-12-15', '2025-12-22', '2025-12-29', '2026-01-05', '2026-01-12',
  '2026-01-19', '2026-01-26', '2026-02-02', '2026-02-09', '2026-02-16', '2026-02-23', '2026-03-02'];
const TYPES = [
  ['email_send', 'Send Sales Email'], ['email_open', 'Open Sales Email'], ['email_click', 'Click Sales Email'],
  ['email_reply', 'Reply to Sales Email'], ['email_autoreply', 'Email Autoreply'], ['email_bounce', 'Sales Email Bounced'],
  ['call', 'Receive Sales Call'], ['campaign_add', 'Add to Sales Campaign'], ['campaign_remove', 'Remove from Sales Campaign'],
  ['unsubscribe', 'Unsubscribe'], ['resubscribe', 'Resubscribe'],
];

// The text of each row of the velocity grid: { "Receive Sales Call": [13 cells…, total] }.
async function gridRows(scope) {
  const table = scope.getByRole('table', { name: /^Engagement velocity/ });
  await table.waitFor();
  const out = {};
  for (const row of await table.locator('tbody tr').all()) {
    const name = (await row.locator('th').innerText()).trim();
    out[name] = (await row.locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }
  return out;
}

async function stats(scope) {
  const out = {};
  const items = scope.locator('.ins-stats .ins-stat');
  for (let i = 0; i < await items.count(); i++) {
    out[(await items.nth(i).locator('dt').innerText()).trim()] = (await items.nth(i).locator('dd').innerText()).trim();
  }
  return out;
}

function zeros(n = 13) {
  return Array(n).fill('0');
}

// The browser runs on the real clock (only hail runs on the test clock): times the page
// shows as relative ("just now") are made from the real now.
function ago(seconds) {
  return new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function json(route, status, body) {
  return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
}

describe('the Insight tab', { skip: SKIP }, () => {
  let hail, browser;
  let amelia, diego;
  const missing = {};

  before(async () => {
    hail = await startHail({ clock: NOW });
    browser = await launchBrowser();
    const r = await hail.api('GET', '/api/v1/people?limit=200');
    amelia = r.json.data.find((p) => p.email === 'amelia.rossi@adventure.example');
    diego = r.json.data.find((p) => p.email === 'diego.kowalczyk@lucerne.example');
    assert.ok(amelia && diego, 'the demo people are imported');
    const zone = await hail.api('PATCH', '/api/v1/me', { time_zone: 'UTC' });
    assert.equal(zone.status, 200, zone.body);
    for (const [k, path] of [['insight', `/api/v1/people/${amelia.id}/insight`],
      ['account', `/api/v1/accounts/${amelia.sfdc_account_id}/insight`],
      ['marketo', `/api/v1/people/${amelia.id}/marketo-activities`],
      ['accountActivities', `/api/v1/accounts/${amelia.sfdc_account_id}/activities`]]) {
      const x = await hail.api('GET', path);
      missing[k] = x.status === 404 && !(x.json && x.json.error && /^no (person|account|opportunity)/.test(x.json.error.message))
        ? `GET ${path} is not in this hail yet (404)` : false;
    }
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  async function open(viewport) {
    const page = await newPage(browser, hail, viewport ? { viewport } : undefined);
    if (missing.marketo) expectResponse(page, { method: 'GET', path: /\/marketo-activities$/, status: 404 });
    if (missing.accountActivities) expectResponse(page, { method: 'GET', path: /^\/api\/v1\/(accounts|opportunities)\/[^/]+\/activities$/, status: 404 });
    if (missing.account) expectResponse(page, { method: 'GET', path: /^\/api\/v1\/(accounts|opportunities)\/[^/]+\/insight$/, status: 404 });
    if (missing.insight) expectResponse(page, { method: 'GET', path: /^\/api\/v1\/people\/\d+\/insight$/, status: 404 });
    await signIn(page, 'admin@example.com');
    return page;
  }

  it('the grid counts calls logged in three weeks, on the person, account and opportunity pages', async (t) => {
    if (missing.insight) return t.skip(missing.insight);
    // Two calls on Tuesday 10 February, one on Monday 23 February at 00:30, one this week.
    for (const at of ['2026-02-10T09:00:00Z', '2026-02-10T15:30:00Z', '2026-02-23T00:30:00Z', '2026-03-03T10:00:00Z']) {
      const c = await hail.api('POST', '/api/v1/calls', { person_id: amelia.id, status: 'completed', started_at: at,
        number_dialed: '+12065552010', duration_s: 60 });
      assert.equal(c.status, 201, c.body);
    }
    const page = await open();
    await page.goto(`/people/${amelia.id}`);
    const tab = page.getByRole('tabpanel', { name: 'Insight' });
    const want = zeros();
    want[9] = '2';
    want[11] = '1';
    want[12] = '1';
    const rows = await gridRows(tab);
    assert.deepEqual(rows, { 'Receive Sales Call': [...want, '4'] });
    const heads = (await tab.getByRole('table', { name: /^Engagement velocity/ }).getByRole('columnheader').allTextContents())
      .map((s) => s.replace(/\s+/g, ' ').trim());
    assert.deepEqual(heads, ['Activity', ...['8 Dec', '15 Dec', '22 Dec', '29 Dec', '5 Jan', '12 Jan', '19 Jan', '26 Jan',
      '2 Feb', '9 Feb', '16 Feb', '23 Feb'].map((w) => `Week of ${w}`), 'Week of 2 Mar (this week)', 'Total']);
    const s = await stats(tab);
    assert.equal(s.Calls, '4');
    assert.equal(s['Emails sent'], '0');
    // "Show all activity types" brings back the rows with no events, all zeros.
    await tab.getByRole('button', { name: /^Show all activity types \(\d+ with no events\)$/ }).click();
    const all = await gridRows(tab);
    assert.ok(Object.keys(all).length > 1);
    for (const [name, cells] of Object.entries(all)) {
      if (name !== 'Receive Sales Call') assert.deepEqual(cells, [...zeros(), '0'], name);
    }
    await tab.getByRole('button', { name: 'Hide activity types with no events' }).click();
    await waitFor(async () => (await tab.locator('table tbody tr').count()) === 1, 'one row again');
    await checkPage(page, 'insight-person');

    // The Activity tab: the calls, newest first.
    await page.getByRole('tab', { name: 'Activity', exact: true }).click();
    const history = page.getByRole('table', { name: 'Activity history of Amelia Rossi' });
    await history.waitFor();
    assert.equal(await history.locator('tbody tr').count(), 4);
    await expectText(page.getByRole('tabpanel', { name: 'Activity' }).getByRole('status'), 'All 4 activities shown.');

    // A rep sees the person's page (people are visible to all) but not their insight: the
    // owner (the manager) is outside a rep's scope. The API's 404 in its words.
    const rep = await newPage(browser, hail);
    expectResponse(rep, { method: 'GET', path: `/api/v1/people/${diego.id}/insight`, status: 404 });
    expectResponse(rep, { method: 'GET', path: `/api/v1/people/${diego.id}/marketo-activities`, status: 404 });
    await signIn(rep, 'rep1@example.com');
    await rep.goto(`/people/${diego.id}`);
    await rep.getByRole('tabpanel', { name: 'Insight' }).getByText(`no person with id ${diego.id}`, { exact: true }).waitFor();
    await checkPage(rep, 'insight-rep-out-of-scope');
    await rep.context().close();

    if (missing.account) return t.skip(missing.account);
    for (const path of [`/accounts/${amelia.sfdc_account_id}`, `/opportunities/${amelia.sfdc_opportunity_id}`]) {
      await page.goto(path);
      const panel = page.getByRole('tabpanel', { name: 'Insight' });
      assert.deepEqual(await gridRows(panel), { 'Receive Sales Call': [...want, '4'] }, path);
      assert.equal((await stats(panel)).Calls, '4');
      await checkPage(page, `insight-${path.split('/')[1]}`);
      if (!missing.accountActivities) {
        await page.getByRole('tab', { name: 'Activity', exact: true }).click();
        const h = page.getByRole('tabpanel', { name: 'Activity' }).getByRole('table');
        await h.waitFor();
        assert.equal(await h.locator('tbody tr').count(), 4);
        await waitFor(async () => (await h.getByRole('link', { name: 'Amelia Rossi', exact: true }).count()) === 4,
          'the Person column to name Amelia Rossi');
      }
    }
    await page.context().close();
  });

  // ---- the panel's states, with the API answered in the page ----

  function fixture() {
    const row = (type, name, human = {}, machine = {}) => {
      const h = Array(13).fill(0);
      const m = Array(13).fill(0);
      for (const [i, n] of Object.entries(human)) h[i] = n;
      for (const [i, n] of Object.entries(machine)) m[i] = n;
      return { type, type_name: name, human: h, machine: m };
    };
    return {
      time_zone: 'Europe/Berlin',
      weeks: WEEKS.map((start) => ({ start })),
      rows: TYPES.map(([type, name]) => (type === 'email_send' ? row(type, name, { 10: 1, 12: 2 })
        : type === 'email_open' ? row(type, name, { 12: 3 }, { 12: 2, 10: 1 })
          : type === 'email_click' ? row(type, name, {}, { 12: 1 })
            : row(type, name))),
      totals: { human: 6, machine: 4 },
      upcoming_steps: [{ campaign: { id: 4, name: 'Q1 outreach' }, member_id: 9, person: { id: diego.id, name: 'Diego Kowalczyk' },
        step: { position: 2, type: 'call', day: 3 }, due_at: '2026-03-05T09:00:00Z' }],
      upcoming_tasks: [{ id: 12, name: 'Send the pricing sheet', type: 'email', due_at: '2026-03-06T10:00:00Z', priority: 'high',
        person: { id: diego.id, name: 'Diego Kowalczyk' } }],
      summary: { emails_sent: 3, opens: 3, clicks: 0, replies: 0, bounces: 0, calls: 0, campaigns_active: 1,
        last_activity_at: ago(10) },
      people: 2,
    };
  }

  function activity(id) {
    return { id, type: 'email_open', type_name: 'Open Sales Email', person_id: diego.id, user_id: 1, email_id: 5,
      template_id: null, campaign_id: null, call_id: null, occurred_at: '2026-03-04T10:00:00Z', machine: id % 10 === 0,
      attrs: { email_subject: 'Pricing' } };
  }

  async function mockInsight(page, { insight = fixture(), marketo } = {}) {
    const calls = { insight: 0, activities: [] };
    await page.route(/\/api\/v1\/(people|accounts|opportunities)\/[^/]+\/(insight|activities|marketo-activities)(\?|$)/, (route) => {
      const url = new URL(route.request().url());
      if (url.pathname.endsWith('/insight')) {
        calls.insight++;
        return typeof insight === 'function' ? insight(route, calls.insight) : json(route, 200, insight);
      }
      if (url.pathname.endsWith('/marketo-activities')) {
        return json(route, 200, marketo || { status: 'not_configured', message: 'Marketo is not configured: set HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET', data: [] });
      }
      const cursor = url.searchParams.get('cursor');
      calls.activities.push(`${url.pathname}?${url.searchParams}`);
      if (!cursor) return json(route, 200, { data: Array.from({ length: 50 }, (_, i) => activity(1000 - i)), next_cursor: 'a951' });
      return json(route, 200, { data: Array.from({ length: 10 }, (_, i) => activity(950 - i)), next_cursor: null });
    });
    return calls;
  }

  it('machine counts beside human ones, upcoming steps and tasks, Marketo not configured', async () => {
    const page = await open();
    await mockInsight(page);
    await page.goto(`/people/${diego.id}`);
    const tab = page.getByRole('tabpanel', { name: 'Insight' });
    const rows = await gridRows(tab);
    const send = zeros();
    send[10] = '1';
    send[12] = '2';
    const open1 = zeros();
    open1[10] = '0 (+1 machine)';
    open1[12] = '3 (+2 machine)';
    const click = zeros();
    click[12] = '0 (+1 machine)';
    assert.deepEqual(rows, {
      'Send Sales Email': [...send, '3'],
      'Open Sales Email': [...open1, '3 (+3 machine)'],
      'Click Sales Email': [...click, '0 (+1 machine)'],
    });
    // Colour repeats the counts: machine events never colour a cell.
    const table = tab.getByRole('table', { name: /^Engagement velocity/ });
    const classes = await table.locator('tbody tr').nth(2).locator('td').evaluateAll((tds) => tds.map((td) => td.className));
    assert.ok(classes.slice(0, 13).every((c) => /\bheat-0\b/.test(c)), classes.join(' | '));
    assert.match(await table.locator('tbody tr').nth(1).locator('td').nth(12).getAttribute('class'), /\bheat-4\b/);
    await tab.getByText('Activities per week over the last 13 weeks, weeks from Monday in Europe/Berlin, oldest first.', { exact: false }).waitFor();
    await tab.getByRole('button', { name: 'Show all activity types (8 with no events)' }).waitFor();

    assert.deepEqual(await stats(tab), {
      'Emails sent': '3', Opens: '3', Clicks: '0', Replies: '0', Bounces: '0', Calls: '0', 'Active campaigns': '1',
      'Last activity': 'just now',
    });
    const steps = tab.getByRole('table', { name: 'Upcoming campaign steps' });
    assert.deepEqual((await steps.getByRole('columnheader').allTextContents()).map((s) => s.trim()), ['Due', 'Step', 'Campaign']);
    assert.equal((await steps.locator('tbody td').nth(1).innerText()).trim(), 'Day 3 · Call');
    assert.equal(await steps.getByRole('link', { name: 'Q1 outreach' }).getAttribute('href'), '/campaigns/4');
    const tasks = tab.getByRole('table', { name: 'Upcoming tasks' });
    assert.deepEqual((await tasks.locator('tbody td').allInnerTexts()).slice(1).map((s) => s.trim()),
      ['Send the pricing sheet', 'Email', 'High']);
    await expectText(tab.locator('.ins-mkto-note'),
      "Marketo is not configured: set HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET. hail's own activities are shown above.");
    await checkPage(page, 'insight-mocked-person');

    // Marketo's activities when it answers.
    await page.unroute(/\/api\/v1\/(people|accounts|opportunities)\/[^/]+\/(insight|activities|marketo-activities)(\?|$)/);
    await mockInsight(page, { marketo: { status: 'ok', message: '', data: [
      { id: 77, type: 'visit_webpage', type_name: 'Visit Web Page', occurred_at: ago(10), primary: 'https://www.example.com/pricing', attrs: {} },
      { id: 76, type: 'fill_out_form', type_name: 'Fill Out Form', occurred_at: ago(86400), primary: 'Contact us', attrs: {} },
    ] } });
    await page.reload();
    const list = page.getByRole('list', { name: 'Marketo activities' });
    await list.waitFor();
    assert.deepEqual((await list.getByRole('listitem').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim()),
      ['Visit Web Page https://www.example.com/pricing · just now', 'Fill Out Form Contact us · 1 day ago']);
    await page.context().close();
  });

  it('a failing insight says so with "Try again"; a person outside the scope gets the API’s 404', async () => {
    const page = await open();
    expectResponse(page, { method: 'GET', path: /\/insight$/, status: 503 });
    await mockInsight(page, { insight: (route, n) => (n === 1
      ? json(route, 503, { error: { code: 'unavailable', message: 'the store is busy, try again' } })
      : json(route, 200, fixture())) });
    await page.goto(`/people/${diego.id}`);
    const tab = page.getByRole('tabpanel', { name: 'Insight' });
    await expectText(tab.getByRole('alert'), /^the store is busy, try again/);
    await checkPage(page, 'insight-error');
    await tab.getByRole('button', { name: 'Try again' }).click();
    await tab.getByRole('table', { name: /^Engagement velocity/ }).waitFor();
    await page.context().close();

    const rep = await newPage(browser, hail);
    expectResponse(rep, { method: 'GET', path: /\/insight$/, status: 404 });
    await signIn(rep, 'rep2@example.com');
    await mockInsight(rep, { insight: (route) => json(route, 404, { error: { code: 'not_found', message: `no person with id ${diego.id}` } }) });
    await rep.goto(`/people/${diego.id}`);
    const repTab = rep.getByRole('tabpanel', { name: 'Insight' });
    await repTab.getByText(`no person with id ${diego.id}`, { exact: true }).waitFor();
    await repTab.getByText('Insight covers the people you can see: your own, and your teams\' for managers.', { exact: true }).waitFor();
    await checkPage(rep, 'insight-out-of-scope');
    await rep.context().close();
  });

  it('the account history scrolls on by cursor; "Load more" on the opportunity; a 390-px phone', async () => {
    const page = await open();
    const calls = await mockInsight(page);
    await page.goto(`/accounts/${diego.sfdc_account_id}?tab=activity`);
    const panel = page.getByRole('tabpanel', { name: 'Activity' });
    const table = panel.getByRole('table', { name: 'Activity history of this account' });
    await table.waitFor();
    await expectText(panel.getByRole('status'), '50 activities shown; more to load.');
    assert.deepEqual((await table.getByRole('columnheader').allTextContents()).map((s) => s.trim()), ['When', 'Activity', 'Person', 'Details']);
    // Names come from the account's people (the rows carry only person_id here).
    await waitFor(async () => (await table.getByRole('link', { name: 'Diego Kowalczyk', exact: true }).count()) === 50,
      'the Person column to name Diego Kowalczyk');
    assert.equal((await table.locator('tbody tr').nth(0).locator('td').nth(3).innerText()).trim(), '“Pricing”');
    await expectText(table.locator('tbody tr').nth(0).locator('td').nth(1), 'Open Sales Email Machine');
    // Scrolling to the end loads the next page, once.
    await panel.getByRole('button', { name: 'Load more' }).scrollIntoViewIfNeeded();
    await expectText(panel.getByRole('status'), 'All 60 activities shown.');
    assert.equal(await table.locator('tbody tr').count(), 60);
    assert.equal(await panel.getByRole('button', { name: 'Load more' }).count(), 0);
    assert.deepEqual(calls.activities, [`/api/v1/accounts/${diego.sfdc_account_id}/activities?limit=50`,
      `/api/v1/accounts/${diego.sfdc_account_id}/activities?limit=50&cursor=a951`]);
    await checkPage(page, 'insight-account-history');

    // The opportunity's Insight tab is the first; "Load more" from the keyboard.
    calls.activities.length = 0;
    await page.goto(`/opportunities/${diego.sfdc_opportunity_id}`);
    const tablist = page.getByRole('tablist', { name: 'Opportunity activity' });
    await tablist.waitFor();
    assert.deepEqual((await tablist.getByRole('tab').allInnerTexts()).map((s) => s.trim()), ['Insight', 'Emails', 'Calls', 'Activity']);
    assert.equal(await tablist.getByRole('tab', { name: 'Insight' }).getAttribute('aria-selected'), 'true');
    await page.getByRole('tabpanel', { name: 'Insight' }).getByText('Across 2 people you can see', { exact: true }).waitFor();
    await tablist.getByRole('tab', { name: 'Insight' }).focus();
    await page.keyboard.press('End');
    const opp = page.getByRole('tabpanel', { name: 'Activity' });
    await expectText(opp.getByRole('status'), '50 activities shown; more to load.');
    await opp.getByRole('button', { name: 'Load more' }).focus();
    await page.keyboard.press('Enter');
    await expectText(opp.getByRole('status'), 'All 60 activities shown.');
    assert.equal(await opp.getByRole('table').locator('tbody tr').count(), 60);
    await page.context().close();

    // A phone: the grid scrolls in its own region; the page does not scroll sideways.
    const phone = await open({ width: 390, height: 844 });
    await mockInsight(phone);
    await phone.goto(`/people/${diego.id}`);
    const region = phone.getByRole('region', { name: 'Engagement velocity (scrollable)' });
    await region.waitFor();
    assert.ok(await region.evaluate((el) => el.scrollWidth > el.clientWidth), 'the grid scrolls sideways inside its region');
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways page scroll');
    await checkPage(phone, 'insight-phone');
    await phone.context().close();
  });
});
