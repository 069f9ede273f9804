// End-to-end: Admin → Integrations (/admin/integrations) in Debian's Chromium against
// the real hail. The outboxes' state is written into the database (SQLite, through
// Python's sqlite3) as the Marketo and Salesforce workers would leave it: Marketo waiting
// on its daily quota with an error, three skips and a batch in flight; Salesforce never
// run, its external-id field missing (the setup steps show), its reminder tasks three
// linked (one changed since), one never sent and a Task still to delete. The admin reads
// both statuses, pages the skipped records, retries Marketo (the skips leave the list, the wait
// and the error go), changes the settings (the subject's live hint names an unknown
// variable, the server's whole message shows, then a valid save round-trips); a rep gets
// "Admins only"; 390 px wide too. checkPage() on each (console, requests, axe, screenshot).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, signOut, checkPage, expectResponse, expectTitle,
  expectText, sql, SKIP,
} from './harness.mjs';

function notice(scope) {
  return scope.getByRole('status').filter({ hasText: /\S/ });
}

describe('admin integrations', { skip: SKIP }, () => {
  let hail, browser, page;
  const now = Date.now() * 1000; // µs
  const hour = 3600 * 1e6;

  before(async () => {
    hail = await startHail();
    const [[person]] = sql(hail, ['SELECT id FROM people ORDER BY id LIMIT 1']);
    const acts = [];
    for (let i = 0; i < 25; i++)
      acts.push('INSERT INTO activities (type, person_id, occurred_at, machine, attrs, created_at)' +
        ` VALUES ('${i % 2 ? 'email_open' : 'email_send'}', ${person}, ${now - hour}, 0, '{}', 0)`);
    sql(hail, acts);
    const [[first]] = sql(hail, ['SELECT min(id) FROM activities']);
    const skips = [];
    for (let i = 0; i < 23; i++)
      skips.push(`INSERT INTO outbox_skips (consumer, activity_id, reason, at) VALUES ('marketo', ${first + i},` +
        ` '${i === 22 ? '1004: Lead not found' : 'the person has no Marketo id'}', ${now - hour + i})`);
    sql(hail, [
      ...skips,
      'INSERT INTO log_cursors (consumer, pos_xact, pos_id, sent, skipped, calls, last_ok_at,' +
        ` last_error, last_error_at, waiting_until, updated_at) VALUES ('marketo', 0, ${first + 19}, 17, 23, 4,` +
        ` ${now - 2 * hour}, 'Marketo answered 607: Daily quota reached', ${now - hour}, ${now + 5 * hour}, 0)`,
      'INSERT INTO outbox_batches (consumer, end_xact, end_id, activity_ids, started_at)' +
        ` VALUES ('marketo', 0, ${first + 20}, '[]', ${now})`,
      "INSERT INTO kv (key, value, updated_at) VALUES ('integrations.salesforce.external_id', 'missing', 0)",
    ]);
    // Reminder tasks as the Salesforce outbox leaves them (updated_at against
    // sfdc_synced_at: a change still to send), and a campaign's task, never synced.
    const [[admin]] = sql(hail, ["SELECT id FROM users WHERE email = 'admin@example.com'"]);
    const task = (name, campaign, updated, synced, sfdc) => 'INSERT INTO tasks (type, name, person_id,' +
      ' assignee_id, campaign_id, due_at, status, created_at, updated_at, sfdc_synced_at, sfdc_task_id)' +
      ` VALUES ('call', '${name}', ${person}, ${admin}, ${campaign}, ${now + hour}, 'open', ${now - hour},` +
      ` ${updated}, ${synced}, ${sfdc ? `'${sfdc}'` : 'NULL'})`;
    sql(hail, [
      task('Agreed one', 'NULL', now - hour, now - hour, '00T000000000001AAA'),
      task('Agreed two', 'NULL', now - hour, now - hour, '00T000000000002AAA'),
      task('Changed since', 'NULL', now, now - hour, '00T000000000003AAA'),
      task('Never sent', 'NULL', now, 'NULL', null),
      task('Campaign step', 7, now, 'NULL', null),
      "INSERT INTO sfdc_task_deletes (sfdc_task_id, task_id, deleted_at) VALUES ('00T000000000009AAA', 9999, 0)",
    ]);
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('shows each outbox, pages the skips and retries Marketo', async () => {
    await page.goto('/admin/integrations');
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await expectTitle(page, 'Integrations · hail');
    const nav = page.getByRole('navigation', { name: 'Admin' });
    assert.equal(await nav.getByRole('link', { name: 'Integrations' }).getAttribute('aria-current'), 'page');
    await page.getByRole('heading', { name: 'Delivered once' }).waitFor();

    const mk = page.getByRole('region', { name: /^Marketo/ });
    await mk.getByRole('heading', { level: 2, name: 'Marketo Waiting' }).waitFor();
    await mk.getByText('Marketo answered 607: Daily quota reached').waitFor();
    await mk.getByText('5 activities', { exact: true }).waitFor();
    await mk.getByText('1 batch sent, answer not yet recorded', { exact: true }).waitFor();
    const table = mk.getByRole('table', { name: 'Skipped by Marketo' });
    await table.getByRole('cell', { name: '1004: Lead not found', exact: true }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Skipped', 'Activity', 'Person', 'Reason']);
    assert.equal(await table.locator('tbody tr').count(), 20);
    await mk.getByText('Showing 1–20 skipped records').waitFor();
    await mk.getByRole('button', { name: 'Next page' }).click();
    await mk.getByText('Showing 21–23 skipped records').waitFor();
    assert.equal(await table.locator('tbody tr').count(), 3);

    const sf = page.getByRole('region', { name: /^Salesforce/ });
    await sf.getByRole('heading', { level: 2, name: 'Salesforce Not configured' }).waitFor();
    await sf.getByRole('heading', { name: 'Set up the external-id field' }).waitFor();
    await sf.getByText('Nothing skipped: every record so far was accepted.').waitFor();
    await sf.getByRole('heading', { level: 3, name: 'Reminder tasks' }).waitFor();
    await sf.getByText('Reminder tasks made by hand sync both ways with Salesforce Tasks; see docs/outbox.md.', { exact: true }).waitFor();
    const rows = await sf.locator('h3:text-is("Reminder tasks") + p + dl').evaluate((dl) => [...dl.querySelectorAll('dt')]
      .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
    assert.deepEqual(rows, [
      ['Linked', '3 tasks linked to a Salesforce Task'],
      ['Changes to send', '2 tasks changed in hail, not yet sent'],
      ['Deletes to send', '1 Task to delete in Salesforce (deleted in hail)'],
    ]);
    assert.equal(await mk.getByRole('heading', { name: 'Reminder tasks' }).count(), 0);
    await checkPage(page, 'admin-integrations');

    await mk.getByRole('button', { name: 'Retry Marketo now' }).click();
    await expectText(notice(mk), 'Marketo: 23 skipped records are queued to be sent again; the outbox tries at once.');
    await mk.getByRole('heading', { level: 2, name: 'Marketo Healthy' }).waitFor();
    await mk.getByText('Nothing skipped: every record so far was accepted.').waitFor();
    const [[queued]] = sql(hail, ["SELECT count(*) FROM outbox_retry WHERE consumer = 'marketo'"]);
    assert.equal(queued, 23);
    const [[err, wait]] = sql(hail, ["SELECT last_error, waiting_until FROM log_cursors WHERE consumer = 'marketo'"]);
    assert.deepEqual([err, wait], [null, null]);
    await checkPage(page, 'admin-integrations-retried');
  });

  it('changes the settings, with the live hint and the server\'s message', async () => {
    await page.goto('/admin/integrations');
    const form = page.getByRole('form', { name: 'Settings' });
    const subject = form.getByLabel('Task subject template');
    assert.equal(await subject.inputValue(), '{{activity_type}}: {{activity_subject}}');
    await form.getByText('Uses activity_type, activity_subject.').waitFor();
    await subject.fill('Call about {{first_name}}');
    await form.getByText('Not a variable: {{first_name}}.').waitFor();
    assert.equal(await subject.getAttribute('aria-invalid'), 'true');
    expectResponse(page, { method: 'PUT', path: '/api/v1/integrations/settings', status: 400 });
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expectText(form.getByRole('alert'), 'salesforce_subject uses {{first_name}}, which is not one of its variables: activity_type, activity_subject, sales_campaign_name, sales_person, person_email');

    await subject.fill('{{sales_person}}: {{activity_subject}}');
    await form.getByRole('radio', { name: 'Do not send them' }).check();
    await form.getByRole('checkbox', { name: 'Open Sales Email' }).check();
    await form.getByRole('checkbox', { name: 'Receive Sales Call' }).uncheck();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expectText(notice(form), 'Settings saved. The outboxes use them from their next batch.');
    const r = await hail.api('GET', '/api/v1/integrations/settings');
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.marketo_machine, r.json.salesforce_types, r.json.salesforce_subject],
      ['skip', ['email_send', 'email_open', 'email_reply'], '{{sales_person}}: {{activity_subject}}']);
    await page.reload();
    await page.getByRole('form', { name: 'Settings' }).getByRole('radio', { name: 'Do not send them' }).waitFor();
    assert.equal(await page.getByRole('radio', { name: 'Do not send them' }).isChecked(), true);
    await checkPage(page, 'admin-integrations-settings');
  });

  it('fits a 390-px phone', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'admin@example.com');
    await phone.goto('/admin/integrations');
    await phone.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await phone.getByRole('button', { name: 'Retry Salesforce now' }).waitFor();
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await checkPage(phone, 'admin-integrations-phone');
    await phone.context().close();
  });

  it('a rep gets Admins only', async () => {
    await signOut(page);
    await signIn(page, 'rep1@example.com');
    // The admin area asks the API as the rep, which refuses with 403: its message is shown.
    expectResponse(page, { method: 'GET', path: '/api/v1/users', status: 403 });
    await page.goto('/admin/integrations');
    await page.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();
    await page.getByText('hail says: “this needs the admin role”', { exact: true }).waitFor();
    await checkPage(page, 'admin-integrations-denied');
  });
});
