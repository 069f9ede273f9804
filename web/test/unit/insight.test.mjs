// The insight panel's pure parts (components/insight.js: the grid's shape, heat levels,
// week labels, summary and upcoming words, Marketo's note) and the activity history's
// (components/history.js: the next page's query, merging pages, a row's details).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  heatLevel, HEAT_LEVELS, weekLabel, weekLongLabel, cellText, velocityGrid, summaryItems, stepText,
  peopleLine, marketoNote, marketoNoteLine, insightPath, activitiesPath,
} from '../../app/components/insight.js';
import {
  nextQuery, appendRows, activityDetail, activityPerson, historyStatus,
} from '../../app/components/history.js';

const WEEKS = ['2025-12-08', '2025-12-15', '2025-12-22', '2025-12-29', '2026-01-05', '2026-01-12',
  '2026-01-19', '2026-01-26', '2026-02-02', '2026-02-09', '2026-02-16', '2026-02-23', '2026-03-02'];
const zeros = () => WEEKS.map(() => 0);
function row(type, type_name, human = {}, machine = {}) {
  const h = zeros();
  const m = zeros();
  for (const [i, n] of Object.entries(human)) h[i] = n;
  for (const [i, n] of Object.entries(machine)) m[i] = n;
  return { type, type_name, human: h, machine: m };
}

function insight() {
  return {
    time_zone: 'Europe/Berlin',
    weeks: WEEKS.map((start) => ({ start })),
    rows: [
      row('email_send', 'Send Sales Email', { 0: 1, 12: 2 }),
      row('email_open', 'Open Sales Email', { 12: 8 }, { 12: 2, 3: 1 }),
      row('email_click', 'Click Sales Email', {}, { 5: 4 }),
      row('email_reply', 'Reply to Sales Email'),
      row('call', 'Receive Sales Call', { 11: 3 }),
    ],
    totals: { human: 14, machine: 7 },
    upcoming_steps: [],
    upcoming_tasks: [],
    summary: { emails_sent: 3, opens: 8, clicks: 0, replies: 0, bounces: 0, calls: 3, campaigns_active: 1, last_activity_at: null },
  };
}

test('heat levels: 0 without human events, then 1..4 by the share of the largest count', () => {
  assert.equal(HEAT_LEVELS, 4);
  assert.equal(heatLevel(0, 8), 0);
  assert.equal(heatLevel(3, 0), 0);
  assert.equal(heatLevel(-1, 8), 0);
  assert.equal(heatLevel(NaN, 8), 0);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => heatLevel(n, 8)), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal(heatLevel(1, 1000), 1, 'any event shows');
  assert.equal(heatLevel(9, 8), 4, 'never above the top level');
});

test('week labels read the date as written (no time zone moves it)', () => {
  assert.equal(weekLabel('2026-03-02'), '2 Mar');
  assert.equal(weekLabel('2025-12-29'), '29 Dec');
  assert.equal(weekLongLabel('2026-03-02'), 'Week of 2 March 2026');
  assert.equal(weekLongLabel('2025-12-29'), 'Week of 29 December 2025');
  assert.equal(weekLabel('soon'), 'soon');
  assert.equal(weekLabel('2026-13-01'), '2026-13-01');
  assert.equal(weekLongLabel('x'), 'Week of x');
});

test('cell text: the human count, machine events beside it in brackets', () => {
  assert.equal(cellText(3, 0), '3');
  assert.equal(cellText(3, 2), '3 (+2 machine)');
  assert.equal(cellText(0, 1), '0 (+1 machine)');
  assert.equal(cellText(0, 0), '0');
  assert.equal(cellText(1234, 5678), '1,234 (+5,678 machine)');
});

test('the grid: 13 weeks oldest first, the last is this week; rows with events; heat by the largest human count', () => {
  const g = velocityGrid(insight());
  assert.deepEqual(g.weeks.map((w) => w.short), ['8 Dec', '15 Dec', '22 Dec', '29 Dec', '5 Jan', '12 Jan', '19 Jan',
    '26 Jan', '2 Feb', '9 Feb', '16 Feb', '23 Feb', '2 Mar']);
  assert.deepEqual(g.weeks.map((w) => w.current), [...Array(12).fill(false), true]);
  assert.equal(g.weeks[12].long, 'Week of 2 March 2026');
  assert.equal(g.max, 8);
  assert.equal(g.empty, false);
  // Reply has no events: left out and counted as hidden. A machine-only row stays.
  assert.deepEqual(g.rows.map((r) => r.name), ['Send Sales Email', 'Open Sales Email', 'Click Sales Email', 'Receive Sales Call']);
  assert.equal(g.hidden, 1);
  const open = g.rows[1];
  assert.deepEqual(open.cells.map((c) => c.text), ['0', '0', '0', '0 (+1 machine)', '0', '0', '0', '0', '0', '0', '0', '0', '8 (+2 machine)']);
  assert.deepEqual(open.cells.map((c) => c.level), [...Array(12).fill(0), 4]);
  assert.deepEqual([open.human, open.machine, open.text], [8, 3, '8 (+3 machine)']);
  const click = g.rows[2];
  assert.deepEqual([click.human, click.machine, click.text], [0, 4, '0 (+4 machine)']);
  assert.ok(click.cells.every((c) => c.level === 0), 'machine events never colour a cell');
  const send = g.rows[0];
  assert.deepEqual([send.cells[0].level, send.cells[12].level, send.human], [1, 1, 3]);
  assert.equal(g.rows[3].cells[11].level, 2);
});

test('the grid with every type, and with nothing at all', () => {
  const all = velocityGrid(insight(), { showAll: true });
  assert.equal(all.rows.length, 5);
  assert.equal(all.hidden, 0);
  assert.deepEqual(all.rows[3].cells.map((c) => c.text), Array(13).fill('0'));
  const none = velocityGrid({ weeks: WEEKS.map((start) => ({ start })), rows: [row('call', 'Receive Sales Call')] });
  assert.deepEqual([none.empty, none.rows.length, none.hidden, none.max], [true, 0, 1, 0]);
  // A short or missing array reads as zeros; nonsense counts too.
  const odd = velocityGrid({ weeks: WEEKS.slice(0, 2).map((start) => ({ start })),
    rows: [{ type: 'call', type_name: 'Receive Sales Call', human: [2], machine: null }, { type: 'x', human: ['3', -1], machine: [0, 1] }] });
  assert.deepEqual(odd.rows.map((r) => [r.name, r.cells.map((c) => c.text)]),
    [['Receive Sales Call', ['2', '0']], ['x', ['0', '0 (+1 machine)']]]);
  assert.deepEqual(velocityGrid(null), { weeks: [], rows: [], hidden: 0, max: 0, empty: true });
});

test('summary counts in order; steps, people and paths in words', () => {
  assert.deepEqual(summaryItems(insight().summary), [['Emails sent', '3'], ['Opens', '8'], ['Clicks', '0'],
    ['Replies', '0'], ['Bounces', '0'], ['Calls', '3'], ['Active campaigns', '1']]);
  assert.deepEqual(summaryItems(undefined).map(([, v]) => v), Array(7).fill('0'));
  assert.equal(stepText({ position: 3, type: 'call', day: 2 }), 'Day 2 · Call');
  assert.equal(stepText({ position: 1, type: 'auto_email', day: 1 }), 'Day 1 · Automatic email');
  assert.equal(stepText(null), '');
  assert.equal(peopleLine(1), 'Across 1 person you can see');
  assert.equal(peopleLine(1200), 'Across 1,200 people you can see');
  assert.equal(insightPath('person', 7), '/api/v1/people/7/insight');
  assert.equal(insightPath('account', '001 A'), '/api/v1/accounts/001%20A/insight');
  assert.equal(insightPath('opportunity', '006B'), '/api/v1/opportunities/006B/insight');
  assert.equal(activitiesPath('account', '001A'), '/api/v1/accounts/001A/activities');
  assert.equal(activitiesPath('person', 3), '/api/v1/people/3/activities');
});

test("Marketo's note: none when ok, its message otherwise", () => {
  assert.equal(marketoNote({ status: 'ok', message: 'fine', data: [] }), null);
  assert.equal(marketoNote({ status: 'not_configured', message: 'Marketo is not configured (HAIL_MARKETO_URL is not set)', data: [] }),
    'Marketo is not configured (HAIL_MARKETO_URL is not set)');
  assert.equal(marketoNote({ status: 'not_configured', data: [] }), 'Marketo is not configured.');
  assert.equal(marketoNote({ status: 'unavailable', message: '', data: [] }), 'Marketo cannot be reached right now.');
  assert.equal(marketoNoteLine({ status: 'ok', data: [] }), null);
  assert.equal(marketoNoteLine({ status: 'unavailable', message: 'Marketo answered 606: rate limit', data: [] }),
    "Marketo answered 606: rate limit. hail's own activities are shown above.");
  assert.equal(marketoNoteLine({ status: 'not_configured', data: [] }),
    "Marketo is not configured. hail's own activities are shown above.");
});

test('history: the next page by cursor or by id; pages merged without repeats', () => {
  assert.deepEqual(nextQuery({ data: [], next_cursor: 'a41' }), { cursor: 'a41' });
  assert.equal(nextQuery({ data: [], next_cursor: null }), null);
  assert.deepEqual(nextQuery({ data: [], next: 41 }), { before: 41 });
  assert.equal(nextQuery({ data: [], next: null }), null);
  assert.equal(nextQuery(null), null);
  const a = [{ id: 9 }, { id: 8 }];
  assert.deepEqual(appendRows(a, [{ id: 8 }, { id: 7 }, null]).map((r) => r.id), [9, 8, 7]);
  assert.deepEqual(appendRows([], undefined), []);
  assert.deepEqual(a.map((r) => r.id), [9, 8], 'the old list is not changed');
});

test("history: a row's details and person in words; the status line", () => {
  assert.equal(activityDetail({ type: 'email_click', attrs: { email_subject: 'Pricing', link: 'https://x.example/p', campaign_name: 'Q3' } }),
    '“Pricing” · https://x.example/p · campaign Q3');
  assert.equal(activityDetail({ type: 'email_open', attrs: { email_subject: 'Pricing', link: 'ignored' } }), '“Pricing”');
  assert.equal(activityDetail({ type: 'call', attrs: { subject: 'Demo booked', status: 'no_answer' } }), 'Demo booked · no answer');
  assert.equal(activityDetail({ type: 'unsubscribe', attrs: { source: 'one_click' } }), 'source: one click');
  assert.equal(activityDetail({ type: 'email_bounce', attrs: { details: '550 no such user' } }), '550 no such user');
  assert.equal(activityDetail({ type: 'campaign_add', attrs: { campaign_name: 'Q3 outreach' } }), 'campaign Q3 outreach');
  assert.equal(activityDetail({ type: 'resubscribe', attrs: {} }), '');
  assert.equal(activityDetail(null), '');
  assert.equal(activityPerson({ person_id: 3, person: { id: 3, first_name: 'Ann', last_name: 'Lee' } }), 'Ann Lee');
  assert.equal(activityPerson({ person_id: 3, person: { id: 3, name: 'Ann L.' } }), 'Ann L.');
  assert.equal(activityPerson({ person_id: 3 }, new Map([[3, 'Ann Lee']])), 'Ann Lee');
  assert.equal(activityPerson({ person_id: 4 }, new Map()), 'Person 4');
  assert.equal(historyStatus({ status: 'loading', rows: 3, done: false }), 'Loading the history…');
  assert.equal(historyStatus({ status: 'error', rows: 3, done: false }), 'Could not load more of the history.');
  assert.equal(historyStatus({ status: 'ready', rows: 0, done: true }), 'No activities yet.');
  assert.equal(historyStatus({ status: 'ready', rows: 1, done: true }), 'All 1 activity shown.');
  assert.equal(historyStatus({ status: 'ready', rows: 50, done: false }), '50 activities shown; more to load.');
});
