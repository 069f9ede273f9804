// End-to-end: the task queue and the calls in Debian's Chromium against the real hail. An
// admin adds a call outcome on /admin/calls; a call task made through the API shows in
// Today (and in the main navigation's count); completing it opens the call form, which
// offers the admin's outcome, and logs the call; the call shows in the person's Calls tab
// (and the account's) with its detail card; the person page's "Call" link is a tel: URI;
// bulk skip on a selection; reschedule; the work-queue mode beside the person; 390 px; a
// task linked to a Salesforce Task (linked in the database, as the Salesforce outbox leaves
// it) carries the "Salesforce" badge in the list, the person's Tasks tab, the dialogs and
// the work queue; axe on every page (checkPage).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHail, launchBrowser, newPage, signIn, checkPage, waitFor, expectResponse, sql, SKIP } from './harness.mjs';

const SF_BASE = 'https://hail-e2e.my.salesforce.example';

// The queues follow the assignee's time zone. The demo admin's is set to the whole-hour zone
// in which it is now about noon (Etc/GMT+11 … Etc/GMT-12), so "today" has hours left on
// both sides whenever the test runs, and "tomorrow" is a day from now.
function noonZone(now = new Date()) {
  const east = 12 - now.getUTCHours(); // hours east of UTC: -11 … 12
  return east === 0 ? 'Etc/GMT' : `Etc/GMT${east > 0 ? '-' : '+'}${Math.abs(east)}`;
}

const stamp = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// Half an hour from now: today in the admin's zone.
function laterToday() {
  return stamp(Date.now() + 30 * 60000);
}

// n days from now: that many days ahead in the admin's zone.
function daysFromNow(n) {
  return stamp(Date.now() + n * 86400000);
}

describe('tasks and calls', { skip: SKIP }, () => {
  let hail, browser, page;
  let olga, camille;
  let missing = false;
  let noCampaigns = false; // a hail without the campaigns API: the Campaign filter asks anyway

  function open(viewport) {
    return newPage(browser, hail, viewport ? { viewport } : undefined).then((p) => {
      if (noCampaigns) expectResponse(p, { method: 'GET', path: /^\/api\/v1\/campaigns/, status: 404 });
      return p;
    });
  }

  before(async () => {
    hail = await startHail({ leads: 5, env: { HAIL_SALESFORCE_URL: SF_BASE } });
    browser = await launchBrowser();
    noCampaigns = (await hail.api('GET', '/api/v1/campaigns')).status === 404;
    page = await open();
    await signIn(page, 'admin@example.com');
    const r = await hail.api('GET', '/api/v1/people?limit=100');
    olga = r.json.data.find((p) => p.email === 'olga.anderson@cafe-zurich.example');
    camille = r.json.data.find((p) => p.email === 'camille.kowalczyk@contoso.example');
    assert.ok(olga && camille, 'the demo people are imported');
    const zone = await hail.api('PATCH', '/api/v1/me', { time_zone: noonZone() });
    assert.equal(zone.status, 200, zone.body);
    for (const [method, path] of [['GET', '/api/v1/tasks/counts'], ['GET', '/api/v1/call-outcomes'], ['GET', '/api/v1/calls']]) {
      const x = await hail.api(method, path);
      if (x.status === 404 && !missing) missing = `${method} ${path} is not in this hail yet (404)`;
    }
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  async function newTask(body) {
    const r = await hail.api('POST', '/api/v1/tasks', body);
    assert.equal(r.status, 201, r.body);
    return r.json;
  }

  it('an admin adds a call outcome, a caller id and requires outcomes on /admin/calls', async (t) => {
    if (missing) return t.skip(missing);
    await page.goto('/admin/calls');
    await page.getByRole('heading', { name: 'Calls', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Calls' }).waitFor();
    // A wrong name is named before anything is sent.
    await page.getByRole('button', { name: 'Add outcome', exact: true }).click();
    await page.getByText('Enter an outcome name.', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Outcome name', exact: true }).fill('Demo booked (e2e)');
    await page.getByRole('button', { name: 'Add outcome', exact: true }).click();
    await page.getByText('Outcome “Demo booked (e2e)” added.', { exact: true }).waitFor();
    const outcomes = page.getByRole('table', { name: 'Call outcomes' });
    await outcomes.getByRole('cell', { name: 'Demo booked (e2e)', exact: true }).waitFor();
    const api = await hail.api('GET', '/api/v1/call-outcomes');
    const mine = (api.json.data || api.json).find((o) => o.name === 'Demo booked (e2e)');
    assert.equal(mine.answered, true);

    await page.getByRole('textbox', { name: 'Reason name', exact: true }).fill('Pricing (e2e)');
    await page.getByRole('button', { name: 'Add reason', exact: true }).click();
    await page.getByText('Reason “Pricing (e2e)” added.', { exact: true }).waitFor();

    // Caller id: a number not in E.164 is refused in the page, a good one added as default.
    const number = page.getByRole('textbox', { name: /^Number/ });
    await number.fill('206 555 0000');
    await page.getByRole('button', { name: 'Add number', exact: true }).click();
    await page.getByText('Enter the number in international form: + then the country code and number, like +14155550100.', { exact: true }).waitFor();
    await number.fill('+1 206 555 0100');
    await page.getByRole('textbox', { name: 'Label', exact: true }).fill('Seattle');
    await page.getByRole('button', { name: 'Add number', exact: true }).click();
    await page.getByText('+12065550100 added as the default number.', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Caller IDs' }).getByRole('cell', { name: '+12065550100', exact: true }).waitFor();

    const require = page.getByRole('checkbox', { name: 'Require an outcome before a call can be logged' });
    await require.check();
    await page.getByText('Every call now needs an outcome.', { exact: true }).waitFor();
    assert.equal((await hail.api('GET', '/api/v1/calls/settings')).json.require_outcome, true);
    const secret = page.getByLabel('Dialer secret');
    await secret.fill('too-short');
    await page.getByRole('button', { name: 'Save secret', exact: true }).click();
    await page.getByText('A dialer secret needs at least 16 characters, not 9.', { exact: true }).waitFor();
    await secret.fill('e2e-dialer-secret-0123456789');
    await page.getByRole('button', { name: 'Save secret', exact: true }).click();
    await page.getByText('Dialer secret saved. hail now accepts events signed with it.', { exact: true }).waitFor();
    await page.getByText('A secret is set. Enter a new one to replace it.', { exact: true }).waitFor();
    assert.equal(await secret.inputValue(), '');
    assert.equal((await hail.api('GET', '/api/v1/calls/settings')).json.dialer_secret_set, true);
    await checkPage(page, 'admin-calls');
  });

  it('a call task in Today, completed by logging a call with the admin\'s outcome, shows in the Calls tab', async (t) => {
    if (missing) return t.skip(missing);
    const task = await newTask({ type: 'call', name: 'Call Olga about the pilot', person_id: olga.id, due_at: laterToday(), priority: 'high', details: 'Ask about the pilot budget.' });
    await page.goto('/people');
    // The main navigation counts it (overdue + today).
    const nav = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Tasks/ });
    await waitFor(async () => /^Tasks\s*1 due today or overdue$/.test((await nav.textContent()).trim()), 'the Tasks link to count 1');
    await nav.click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    const queues = page.getByRole('navigation', { name: 'Task queues' });
    await queues.getByRole('link', { name: /^Today\s+1\s+task$/ }).waitFor();
    assert.equal(await queues.getByRole('link', { name: /^Today\s+1\s+task$/ }).getAttribute('aria-current'), 'page');
    await queues.getByRole('link', { name: /^Overdue\s+0\s+tasks$/ }).waitFor();
    const table = page.getByRole('table', { name: 'Tasks' });
    const row = table.getByRole('row').filter({ hasText: 'Call Olga about the pilot' });
    await row.getByRole('link', { name: 'Olga Anderson' }).waitFor();
    await row.getByText('High', { exact: true }).waitFor();
    await checkPage(page, 'tasks-today');

    await row.getByRole('button', { name: 'Complete Call Olga about the pilot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Complete: Call Olga about the pilot' });
    const outcome = dialog.getByRole('combobox', { name: 'Outcome (required)' });
    await outcome.waitFor();
    // The number and caller id: Olga's number and the local-presence caller id (same area code).
    assert.equal(await dialog.getByRole('textbox', { name: 'Caller ID used' }).inputValue(), '+12065550100');
    // Required: sending without one names it.
    await dialog.getByRole('button', { name: 'Log call and complete' }).click();
    await dialog.getByText('Choose an outcome: your admin requires one for every call.', { exact: true }).waitFor();
    const offered = await outcome.locator('option').allTextContents();
    assert.ok(offered.includes('Demo booked (e2e)'), `the admin's outcome is offered: ${offered.join(', ')}`);
    await outcome.selectOption({ label: 'Demo booked (e2e)' });
    assert.equal(await dialog.getByRole('combobox', { name: 'Status' }).inputValue(), 'completed');
    await dialog.getByRole('combobox', { name: 'Reason' }).selectOption({ label: 'Pricing (e2e)' });
    await dialog.getByRole('textbox', { name: 'Duration' }).fill('2:05');
    await dialog.getByRole('textbox', { name: 'Notes' }).fill('Wants a demo in January.');
    await checkPage(page, 'tasks-call-form');
    await dialog.getByRole('button', { name: 'Log call and complete' }).click();
    await page.getByText('Completed: Call Olga about the pilot.', { exact: true }).waitFor();
    await page.getByText('No tasks due today.', { exact: true }).waitFor();
    await queues.getByRole('link', { name: /^Today\s+0\s+tasks$/ }).waitFor();
    const done = (await hail.api('GET', `/api/v1/tasks/${task.id}`)).json;
    assert.equal(done.status, 'complete');
    assert.ok(done.call_id, 'the task names its call');

    // The Calls tab of the person.
    await page.goto(`/people/${olga.id}?tab=calls`);
    const calls = page.getByRole('table', { name: 'Calls', exact: true });
    const callRow = calls.getByRole('row').filter({ hasText: 'Demo booked (e2e)' });
    await callRow.getByText('Wants a demo in January.', { exact: true }).waitFor();
    await callRow.getByRole('cell', { name: '2:05', exact: true }).waitFor();
    await callRow.getByRole('button', { name: /^Olga Anderson\s+\(call of / }).click();
    const card = page.getByRole('region', { name: 'Call details' });
    await card.getByRole('heading', { name: 'Call with Olga Anderson' }).waitFor();
    const fields = await card.locator('.field-row').allInnerTexts();
    const field = (name) => (fields.find((f) => f.startsWith(name + '\n')) || '').split('\n').slice(1).join(' ').trim();
    assert.equal(field('Made by'), 'Ada Admin');
    assert.equal(field('Status'), 'Completed');
    assert.equal(field('Outcome'), 'Demo booked (e2e) (answered)');
    assert.equal(field('Reason'), 'Pricing (e2e)');
    assert.equal(field('Caller ID'), '+12065550100');
    assert.equal(field('Duration'), '2:05');
    await checkPage(page, 'person-calls');

    // The person page's Call action: a tel: link.
    const call = page.getByRole('link', { name: /^Call / });
    assert.match(await call.getAttribute('href'), /^tel:\+1206555\d{4}$/);

    // The account's Calls.
    await page.goto(`/accounts/${olga.sfdc_account_id}?tab=calls`);
    await page.getByRole('table', { name: 'Calls in this account' }).getByText('Demo booked (e2e)', { exact: true }).waitFor();
    await checkPage(page, 'account-calls');
  });

  it('"Log a call" on the person page; the Calls tab reloads', async (t) => {
    if (missing) return t.skip(missing);
    await page.goto(`/people/${camille.id}?tab=calls`);
    await page.getByText('No calls with Camille Kowalczyk yet.', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Log a call', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Log a call with Camille Kowalczyk' });
    await dialog.getByRole('combobox', { name: 'Outcome (required)' }).selectOption({ label: 'Demo booked (e2e)' });
    await dialog.getByRole('textbox', { name: 'Duration' }).fill('soon');
    await dialog.getByRole('button', { name: 'Log call', exact: true }).click();
    await dialog.getByText('Enter the duration as minutes:seconds (4:30) or seconds (270).', { exact: true }).waitFor();
    await dialog.getByRole('textbox', { name: 'Duration' }).fill('45');
    await dialog.getByRole('button', { name: 'Log call', exact: true }).click();
    await page.getByText('Call logged.', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Calls', exact: true }).getByRole('cell', { name: '0:45', exact: true }).waitFor();
    await checkPage(page, 'person-log-call');
  });

  it('an email task: the composer, Send disabled while a prompt is left, sent through complete', async (t) => {
    if (missing) return t.skip(missing);
    const sender = await hail.api('POST', '/api/v1/senders', { address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '', channel_id: 1 });
    assert.equal(sender.status, 201, sender.body);
    const task = await newTask({ type: 'email', name: 'Email Camille the recap', person_id: camille.id, due_at: laterToday() });
    await page.goto('/tasks');
    const row = page.getByRole('table', { name: 'Tasks' }).getByRole('row').filter({ hasText: 'Email Camille the recap' });
    await row.getByRole('button', { name: 'Complete Email Camille the recap' }).click();
    const dialog = page.getByRole('dialog', { name: 'Complete: Email Camille the recap' });
    await dialog.getByRole('combobox', { name: 'Sender' }).waitFor();
    assert.equal(await dialog.getByRole('combobox', { name: 'Sender' }).inputValue(), String(sender.json.id));
    const send = dialog.getByRole('button', { name: 'Send and complete' });
    assert.equal(await send.isDisabled(), true);
    await dialog.getByText('Write a subject.', { exact: true }).waitFor();
    await dialog.getByRole('textbox', { name: 'Subject' }).fill('Recap of our call');
    await dialog.getByRole('textbox', { name: 'Body' }).fill('<p>Hi Camille, {{! mention the pilot }}</p>');
    await dialog.getByText('Replace the prompt “mention the pilot” with your own words.', { exact: true }).waitFor();
    await dialog.getByText('Fill in what the template left open first.', { exact: true }).waitFor();
    assert.equal(await send.isDisabled(), true);
    await dialog.getByRole('textbox', { name: 'Body' }).fill('<p>Hi Camille, thanks for the call: the pilot starts in January.</p>');
    await dialog.getByRole('region', { name: 'Preview of the body' }).getByText('Hi Camille, thanks for the call: the pilot starts in January.').waitFor();
    await checkPage(page, 'tasks-email-form');
    await send.click();
    await page.getByText('Completed: Email Camille the recap.', { exact: true }).waitFor();
    const done = (await hail.api('GET', `/api/v1/tasks/${task.id}`)).json;
    assert.equal(done.status, 'complete');
    assert.ok(done.email_id, 'the task names its email');
    const email = (await hail.api('GET', `/api/v1/emails/${done.email_id}`)).json;
    assert.equal(email.subject, 'Recap of our call');
    assert.equal(email.person.id, camille.id);
  });

  it('bulk skip and reschedule on a selection', async (t) => {
    if (missing) return t.skip(missing);
    const a = await newTask({ type: 'custom', name: 'Send the case study', person_id: camille.id, due_at: daysFromNow(1) });
    const b = await newTask({ type: 'linkedin', name: 'Connect on LinkedIn', person_id: camille.id, due_at: daysFromNow(1) });
    const c = await newTask({ type: 'custom', name: 'Check the contract', person_id: olga.id, due_at: daysFromNow(1) });
    await page.goto('/tasks?queue=tomorrow');
    const table = page.getByRole('table', { name: 'Tasks' });
    await table.getByRole('checkbox', { name: 'Select Send the case study' }).check();
    await table.getByRole('checkbox', { name: 'Select Connect on LinkedIn' }).check();
    const bar = page.getByRole('group', { name: 'Selected tasks' });
    await bar.getByText('2 tasks', { exact: true }).waitFor();
    await bar.getByRole('button', { name: 'Skip selected' }).click();
    await page.getByText('2 tasks skipped.', { exact: true }).waitFor();
    assert.equal((await hail.api('GET', `/api/v1/tasks/${a.id}`)).json.status, 'skipped');
    assert.equal((await hail.api('GET', `/api/v1/tasks/${b.id}`)).json.status, 'skipped');
    // The list reloads after the skip: the skipped rows leave it (waited for, not counted
    // at once: the reload may still be on its way), the other stays.
    await table.getByRole('row').filter({ hasText: 'Send the case study' }).waitFor({ state: 'detached' });
    await table.getByRole('row').filter({ hasText: 'Connect on LinkedIn' }).waitFor({ state: 'detached' });
    await table.getByRole('row').filter({ hasText: 'Check the contract' }).waitFor();

    // One task rescheduled to the day after tomorrow leaves Tomorrow for Next 7 days.
    await table.getByRole('button', { name: 'Reschedule Check the contract' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reschedule: Check the contract' });
    const due = dialog.getByLabel('New due date');
    const value = await due.inputValue();
    const later = await page.evaluate((v) => {
      const d = new Date(v);
      d.setDate(d.getDate() + 2);
      const p = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T12:00`;
    }, value);
    await due.fill(later);
    await dialog.getByRole('button', { name: 'Reschedule', exact: true }).click();
    await page.getByText('Rescheduled: Check the contract.', { exact: true }).waitFor();
    const moved = (await hail.api('GET', `/api/v1/tasks/${c.id}`)).json;
    assert.notEqual(moved.due_at, c.due_at);
    await page.getByRole('navigation', { name: 'Task queues' }).getByRole('link', { name: /^Next 7 days/ }).click();
    await table.getByRole('row').filter({ hasText: 'Check the contract' }).waitFor();
    await checkPage(page, 'tasks-next-7-days');

    // The person page's Tasks tab lists Olga's open tasks; one opens in the work queue.
    await page.goto(`/people/${olga.id}?tab=tasks`);
    const open = page.getByRole('table', { name: 'Open tasks' });
    await open.getByRole('link', { name: 'Check the contract' }).click();
    await page.getByRole('heading', { name: 'Work queue · All open tasks', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Check the contract', level: 2 }).waitFor();
    await checkPage(page, 'tasks-work-open');
  });

  it('the work queue: one task beside the person, next on complete, 390 px', async (t) => {
    if (missing) return t.skip(missing);
    await newTask({ type: 'custom', name: 'Prepare the proposal', person_id: olga.id, due_at: laterToday() });
    await newTask({ type: 'custom', name: 'Update the notes', person_id: camille.id, due_at: laterToday() });
    const phone = await open({ width: 390, height: 844 });
    await signIn(phone, 'admin@example.com');
    await phone.goto('/tasks');
    await phone.getByRole('table', { name: 'Tasks' }).getByRole('row').filter({ hasText: 'Prepare the proposal' }).waitFor();
    await checkPage(phone, 'tasks-390');
    await phone.getByRole('button', { name: 'Start work queue' }).click();
    await phone.getByRole('heading', { name: /^Work queue · Today/, level: 1 }).waitFor();
    await phone.getByText('Task 1 of 2', { exact: true }).waitFor();
    const first = (await phone.getByRole('heading', { level: 2 }).first().textContent()).trim();
    const firstPerson = first === 'Prepare the proposal' ? 'Olga Anderson' : 'Camille Kowalczyk';
    await phone.getByRole('heading', { name: firstPerson, level: 2 }).waitFor();
    await checkPage(phone, 'tasks-work-390');
    await phone.getByRole('button', { name: 'Mark complete' }).click();
    await phone.getByText(`Completed: ${first}. Task 1 of 1`, { exact: true }).waitFor();
    await phone.getByRole('button', { name: 'Skip', exact: true }).click();
    await phone.getByText(/Nothing left in this queue\.$/).waitFor();
    await checkPage(phone, 'tasks-work-done-390');
    await phone.close();
  });
  it('a task linked to a Salesforce Task carries the Salesforce badge; one not linked does not', async (t) => {
    if (missing) return t.skip(missing);
    const sfid = '00T5g00000e2eAbCDE';
    const linked = await newTask({ type: 'custom', name: 'Send the pilot plan', person_id: olga.id, due_at: daysFromNow(3) });
    const other = await newTask({ type: 'custom', name: 'Plan the kickoff', person_id: olga.id, due_at: daysFromNow(3) });
    assert.equal(linked.salesforce_task_id, null);
    sql(hail, [`UPDATE tasks SET sfdc_task_id = '${sfid}', sfdc_synced_at = updated_at WHERE id = ${linked.id}`]);
    assert.equal((await hail.api('GET', `/api/v1/tasks/${linked.id}`)).json.salesforce_task_id, sfid);
    const note = `Synced with Salesforce Task ${sfid}`;

    // The list: the badge on the linked task's row (its note the tooltip and the spoken
    // text), none on the other.
    await page.goto('/tasks?queue=next_7_days');
    const table = page.getByRole('table', { name: 'Tasks' });
    const row = table.getByRole('row').filter({ hasText: 'Send the pilot plan' });
    const badge = row.getByTitle(note, { exact: true });
    await badge.waitFor();
    // Seen: the word; read out: the note (the word is hidden from screen readers).
    assert.equal(await badge.locator('[aria-hidden="true"]').innerText(), 'Salesforce');
    assert.equal(await badge.locator('.visually-hidden').innerText(), note);
    const plain = table.getByRole('row').filter({ hasText: 'Plan the kickoff' });
    await plain.waitFor();
    assert.equal(await plain.locator('.badge-sf').count(), 0);
    await checkPage(page, 'tasks-salesforce-badge');

    // The Reschedule dialog says the change goes to the Task too.
    await row.getByRole('button', { name: 'Reschedule Send the pilot plan' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reschedule: Send the pilot plan' });
    await dialog.getByText('The change goes to its Salesforce Task too.').waitFor();
    await dialog.getByTitle(note, { exact: true }).waitFor();
    await checkPage(page, 'tasks-salesforce-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // The person's Tasks tab.
    await page.goto(`/people/${olga.id}?tab=tasks`);
    const open = page.getByRole('table', { name: 'Open tasks' });
    await open.getByRole('row').filter({ hasText: 'Send the pilot plan' }).getByTitle(note, { exact: true }).waitFor();
    assert.equal(await open.getByRole('row').filter({ hasText: 'Plan the kickoff' }).locator('.badge-sf').count(), 0);
    await checkPage(page, 'person-tasks-salesforce');

    // The work queue names the Task and links to it in Salesforce.
    await open.getByRole('link', { name: 'Send the pilot plan' }).click();
    await page.getByRole('heading', { name: 'Send the pilot plan', level: 2 }).waitFor();
    const fields = page.locator('.work-task .field-row');
    const sf = fields.filter({ has: page.locator('dt', { hasText: /^Salesforce$/ }) });
    assert.equal((await sf.locator('dd').innerText()).trim(), `Synced with Task ${sfid} · Open in Salesforce↗`);
    assert.equal(await sf.getByRole('link', { name: 'Open in Salesforce' }).getAttribute('href'),
      `${SF_BASE}/lightning/r/Task/${sfid}/view`);
    await checkPage(page, 'tasks-work-salesforce');
    await page.goto(`/tasks?queue=open&assignee=all&mode=work&task=${other.id}`);
    await page.getByRole('heading', { name: 'Plan the kickoff', level: 2 }).waitFor();
    assert.equal(await fields.filter({ has: page.locator('dt', { hasText: /^Salesforce$/ }) }).count(), 0);
  });
});
