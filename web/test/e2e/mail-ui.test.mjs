// End-to-end, the mail pages' own behaviour in Chromium against the real hail, with the
// mail API answered by the page itself (playwright's page.route) from the shapes of
// docs/openapi.json: whatever the server's mail routes do, this pins what the pages do
// with their answers — the preview's highlighting, Send disabled until nothing is
// unfilled, the request bodies (CC/BCC, attachments in base64, the schedule with its time
// zone, template by id), the bulk results, loading and error states, and the admin pages.
// mail.test.mjs runs the same pages against hail's real routes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, expectText, waitFor, SKIP,
} from './harness.mjs';

const SENDERS = [
  { id: 7, user_id: 99, address: 'other@sales.example.com', display_name: 'Someone Else', signature_html: '', channel_id: 1, channel_name: 'Default' },
  { id: 8, user_id: null, address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '<p>Ada</p>', channel_id: 1, channel_name: 'Default' },
];
const TEMPLATE = {
  id: 31, owner: { id: 1, name: 'Ada Admin' }, name: 'Intro', category: 'Prospecting', subject: 'Hi {{first_name}}',
  body_html: '<p>Hello {{first_name}}, {{! one line about their launch}}</p>', sharing: 'everyone', archived: false,
  commercial: true, favorite: false, prompts: ['one line about their launch'], created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:00:00Z', analytics: { sent: 0, opens: 0, clicks: 0, replies: 0, bounces: 0, success_rate: 0 },
};
const TEMPLATE2 = { ...TEMPLATE, id: 32, name: 'Follow-up', category: '', subject: 'Following up, {{first_name}}', body_html: '<p>Hello again {{first_name}}.</p>', prompts: [] };

// A small stand-in for the personalization engine: {{field}}, {{field | default: "x"}},
// {{! prompt}} — enough for the page's behaviour.
function render(text, person) {
  const unfilled = [];
  const prompts = [];
  const out = String(text).replace(/\{\{!\s*([\s\S]*?)\s*\}\}/g, (_, p) => {
    prompts.push(p);
    return '';
  }).replace(/\{\{\s*([a-z_]+)\s*(?:\|\s*default:\s*"([^"]*)")?\s*\}\}/g, (_, f, d) => {
    const v = person[f];
    if (v) return v;
    if (d !== undefined) return d;
    unfilled.push(f);
    return '';
  });
  return { out, unfilled, prompts };
}

function json(route, status, body) {
  return route.fulfill({ status, contentType: 'application/json', body: body === undefined ? '' : JSON.stringify(body) });
}

// Answers the mail API on `page`; returns the log of { method, path, body } it saw.
async function mockMail(page, people, opts = {}) {
  const seen = [];
  const state = {
    channels: [
      { id: 1, name: 'Default', kind: 'maildir', is_default: true, smtp: null, imap: null,
        throttles: { per_minute: null, per_hour: null, per_day: null, per_domain_per_hour: null },
        status: { smtp: { state: 'ok', error: null, checked_at: '2026-11-29T08:00:00Z' }, imap: null },
        created_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-01T10:00:00Z' },
      { id: 2, name: 'Relay', kind: 'smtp', is_default: false,
        smtp: { host: 'smtp.example.net', port: 587, tls: 'starttls', username: 'relay', password_set: true },
        imap: { host: 'imap.example.net', port: 993, tls: 'tls', username: 'relay', password_set: true, folder: 'INBOX', sent_folder: 'Sent' },
        throttles: { per_minute: 10, per_hour: null, per_day: null, per_domain_per_hour: null },
        status: { smtp: { state: 'error', error: '535 5.7.8 authentication failed', checked_at: '2026-11-29T08:00:00Z' },
          imap: { state: 'uidvalidity_changed', error: 'UIDVALIDITY changed from 1 to 2', polled_at: '2026-11-29T08:05:00Z', uidvalidity: 2, last_uid: 0 } },
        created_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-01T10:00:00Z' },
    ],
    blocked: [],
    settings: { marketo_unsubscribe_check: false, marketo_configured: true },
  };
  await page.route(/\/api\/v1\/(senders|templates|channels|blocked-domains|mail\/settings|emails)(\/|\?|$)/, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const path = url.pathname;
    const method = req.method();
    let body = null;
    try { body = req.postDataJSON(); } catch { body = null; }
    seen.push({ method, path, query: url.search, body });
    if (opts.fail && opts.fail.test(path)) return json(route, 500, { error: { code: 'internal', message: 'the mail store is unavailable' } });
    if (path === '/api/v1/senders' && method === 'GET') return json(route, 200, { data: SENDERS.map((s) => ({ ...s, user_id: s.user_id ?? opts.userId })), next_cursor: null });
    if (path === '/api/v1/senders' && method === 'POST') return json(route, 201, { id: 9, user_id: body.user_id || opts.userId, channel_name: 'Default', ...body });
    if (path === '/api/v1/templates') return json(route, 200, { data: [TEMPLATE, TEMPLATE2], next_cursor: null });
    if (path === '/api/v1/emails/preview') {
      const person = people.find((p) => p.id === body.person_id) || {};
      const s = render(body.subject, person);
      const b = render(body.body_html, person);
      return json(route, 200, { subject: s.out, html: b.out, text: b.out.replace(/<[^>]+>/g, ''),
        unfilled: [...new Set([...s.unfilled, ...b.unfilled])], prompts: [...s.prompts, ...b.prompts] });
    }
    if (path === '/api/v1/emails' && method === 'POST') {
      return json(route, 201, { id: 501, status: body.send_at ? 'scheduled' : 'scheduled', subject: body.subject || TEMPLATE2.subject, send_at: body.send_at || null });
    }
    if (path === '/api/v1/emails/bulk') {
      const results = body.person_ids.map((id, i) => (i === 1
        ? { person_id: id, status: 'refused', reason: 'unsubscribed', message: 'this person unsubscribed on 2026-11-02' }
        : { person_id: id, status: 'queued', email_id: 600 + i }));
      return json(route, 200, { results, queued: results.filter((r) => r.status === 'queued').length, refused: results.filter((r) => r.status === 'refused').length });
    }
    if (path === '/api/v1/channels' && method === 'GET') return json(route, 200, { data: state.channels, next_cursor: null });
    if (path === '/api/v1/channels' && method === 'POST') {
      const c = { ...state.channels[1], id: 3, name: body.name, smtp: { ...body.smtp, password: undefined, password_set: !!body.smtp.password }, imap: null };
      state.channels.push(c);
      return json(route, 201, c);
    }
    if (/^\/api\/v1\/channels\/\d+$/.test(path) && method === 'PATCH') {
      const c = state.channels.find((x) => `/api/v1/channels/${x.id}` === path);
      Object.assign(c, { name: body.name });
      return json(route, 200, c);
    }
    if (/^\/api\/v1\/channels\/\d+$/.test(path) && method === 'DELETE') {
      return json(route, 409, { error: { code: 'conflict', message: 'senders still use this channel' } });
    }
    if (path === '/api/v1/blocked-domains' && method === 'GET') return json(route, 200, { data: state.blocked, next_cursor: null });
    if (path === '/api/v1/blocked-domains' && method === 'POST') {
      state.blocked.push({ domain: body.domain, created_at: '2026-11-29T09:00:00Z' });
      return json(route, 201, state.blocked[state.blocked.length - 1]);
    }
    if (path.startsWith('/api/v1/blocked-domains/') && method === 'DELETE') {
      state.blocked = state.blocked.filter((d) => `/api/v1/blocked-domains/${d.domain}` !== path);
      return route.fulfill({ status: 204 });
    }
    if (path === '/api/v1/mail/settings' && method === 'GET') return json(route, 200, state.settings);
    if (path === '/api/v1/mail/settings' && method === 'PUT') {
      state.settings = { ...state.settings, ...body };
      return json(route, 200, state.settings);
    }
    if (opts.emails) return opts.emails(route, { method, path, url });
    return json(route, 404, { error: { code: 'not_found', message: `no mock for ${method} ${path}` } });
  });
  return seen;
}

describe('mail pages (the mail API answered in the page)', { skip: SKIP }, () => {
  let hail, browser, page, user, people;

  before(async () => {
    hail = await startHail();
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
    const users = await hail.api('GET', '/api/v1/users?limit=200');
    user = users.json.data.find((u) => u.email === 'admin@example.com');
    people = (await hail.api('GET', '/api/v1/accounts/001DEMO00000008/people?limit=200')).json.data;
    const diego = (await hail.api('GET', '/api/v1/people?q=diego')).json.data.find((p) => p.first_name === 'Diego' && p.last_name === 'Kowalczyk');
    people.push(diego);
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('compose to one person: highlights, Send disabled until filled, the request body', async () => {
    const diego = people[people.length - 1];
    const seen = await mockMail(page, people, { userId: user.id });
    await page.goto(`/compose?person=${diego.id}`);
    await page.getByRole('heading', { level: 1, name: 'Email Diego Kowalczyk' }).waitFor();
    // The user's own sender is chosen first.
    const sender = page.getByRole('combobox', { name: 'Sender' });
    await waitFor(async () => (await sender.inputValue()) === '8', 'the own sender');
    const send = page.getByRole('button', { name: 'Send', exact: true });
    const why = page.locator('#compose-why');
    await expectText(why, 'Write a subject.');
    await page.getByRole('textbox', { name: 'Subject' }).fill('Hi {{first_name}} {{title}}');
    await expectText(why, 'Write the email.');
    await page.getByRole('textbox', { name: 'Body' }).fill('<p>Hello {{first_name}}</p><p>{{! their launch}}</p><script>alert(1)</script><img src="https://elsewhere.example/x.png" alt="logo">');
    const pv = page.getByRole('region', { name: 'Preview of the body' });
    await pv.getByText('Hello Diego').waitFor();
    await pv.locator('mark', { hasText: '✎ their launch' }).waitFor();
    await page.locator('.preview-subject mark', { hasText: 'title' }).waitFor();
    await pv.getByText('[image: logo]').waitFor();
    assert.equal(await pv.locator('script, img').count(), 0);
    await expectText(why, 'Fill the 2 highlighted fields and prompts first.');
    assert.equal(await send.isDisabled(), true);
    await checkPage(page, 'mail-ui-compose-unfilled');

    // The toolbar: bold around the selection, a field at the cursor.
    const body = page.getByRole('textbox', { name: 'Body' });
    await body.fill('<p>Hello {{first_name}}</p><p>Congrats</p>');
    await body.evaluate((el) => el.setSelectionRange(el.value.indexOf('Congrats'), el.value.indexOf('Congrats') + 8));
    await page.getByRole('toolbar', { name: 'Formatting' }).getByRole('button', { name: 'Bold' }).click();
    await waitFor(async () => (await body.inputValue()) === '<p>Hello {{first_name}}</p><p><strong>Congrats</strong></p>', 'bold');
    await page.getByRole('textbox', { name: 'Subject' }).fill('Hi {{first_name}} {{title | default: "there"}}');
    await pv.locator('strong', { hasText: 'Congrats' }).waitFor();
    await expectText(why, 'Ready to send.');
    assert.equal(await send.isDisabled(), false);

    // CC with a wrong address blocks; fixed, it goes in the body.
    await page.getByRole('textbox', { name: 'CC', exact: true }).fill('boss@example.com, nope');
    await expectText(why, 'CC: “nope” is not an email address.');
    assert.equal(await send.isDisabled(), true);
    await page.getByRole('textbox', { name: 'CC', exact: true }).fill('boss@example.com');
    await page.getByRole('textbox', { name: 'BCC', exact: true }).fill('crm@example.com; archive@example.com');
    // An attachment, read as base64.
    await page.getByLabel('Attachments').setInputFiles({ name: 'deck.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 hello') });
    await page.getByRole('button', { name: 'Remove deck.pdf' }).waitFor();
    // Later, in a chosen time zone.
    await page.getByRole('radio', { name: 'Send later' }).check();
    await expectText(why, 'Choose the date and time to send it.');
    await page.getByLabel('Date and time').fill('2026-12-01T09:30');
    await page.getByRole('combobox', { name: 'Time zone' }).selectOption('Europe/Paris');
    await expectText(why, 'Ready to send.');
    await checkPage(page, 'mail-ui-compose-ready');
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByRole('heading', { name: 'Email scheduled' }).waitFor();
    const post = seen.find((r) => r.method === 'POST' && r.path === '/api/v1/emails');
    assert.deepEqual(post.body, {
      person_id: diego.id, sender_id: 8, cc: ['boss@example.com'], bcc: ['crm@example.com', 'archive@example.com'],
      subject: 'Hi {{first_name}} {{title | default: "there"}}', body_html: '<p>Hello {{first_name}}</p><p><strong>Congrats</strong></p>',
      attachments: [{ filename: 'deck.pdf', content_type: 'application/pdf', data: Buffer.from('%PDF-1.4 hello').toString('base64') }],
      send_at: '2026-12-01T09:30:00', time_zone: 'Europe/Paris',
    });
    await checkPage(page, 'mail-ui-compose-done');
    await page.unrouteAll();
  });

  it('a template left as it is goes by id; the API refusal is shown in its words', async () => {
    const diego = people[people.length - 1];
    await mockMail(page, people, { userId: user.id });
    await page.route('**/api/v1/emails', (route) => (route.request().method() === 'POST'
      ? json(route, 422, { error: { code: 'unsubscribed', message: 'Diego Kowalczyk unsubscribed on 2026-11-02' } })
      : route.fallback()));
    expectResponse(page, { method: 'POST', path: '/api/v1/emails', status: 422 });
    let posted = null;
    page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/emails') posted = r.postDataJSON(); });
    await page.goto(`/compose?person=${diego.id}`);
    await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Follow-up' });
    assert.equal(await page.getByRole('textbox', { name: 'Subject' }).inputValue(), 'Following up, {{first_name}}');
    await page.getByRole('region', { name: 'Preview of the body' }).getByText('Hello again Diego.').waitFor();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('alert').getByText('Diego Kowalczyk unsubscribed on 2026-11-02', { exact: true }).waitFor();
    assert.deepEqual(posted, { person_id: diego.id, sender_id: 8, template_id: 32 });
    await checkPage(page, 'mail-ui-compose-refused');
    await page.unrouteAll();
  });

  it('bulk from an account: template required, prompts block, a result per person', async () => {
    const seen = await mockMail(page, people, { userId: user.id });
    await page.goto('/compose?account=001DEMO00000008');
    await page.getByRole('heading', { level: 1, name: 'Email the contacts of account 001DEMO00000008' }).waitFor();
    const n = people.length - 1;
    const send = page.getByRole('button', { name: `Send to ${n} people` });
    await expectText(page.locator('#compose-why'), 'Choose a template.');
    await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Intro (Prospecting)' });
    await expectText(page.locator('#compose-why'), 'This template has prompts: a bulk send cannot fill them.');
    assert.equal(await send.isDisabled(), true);
    await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Follow-up' });
    await page.getByRole('combobox', { name: 'Preview for' }).selectOption(String(people[1].id));
    await page.getByRole('region', { name: 'Preview of the body' }).getByText(`Hello again ${people[1].first_name}.`).waitFor();
    await expectText(page.locator('#compose-why'), 'Ready to send.');
    await checkPage(page, 'mail-ui-bulk');
    await send.click();
    await page.getByRole('heading', { name: 'Bulk email sent' }).waitFor();
    await page.getByRole('status').getByText(`${n - 1} queued · 1 refused`, { exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Results' });
    assert.equal(await table.getByRole('row').count(), n + 1);
    const refused = table.getByRole('row').nth(2);
    await expectText(refused.getByRole('cell').nth(1), 'Unsubscribed');
    await expectText(refused.getByRole('cell').nth(2), 'this person unsubscribed on 2026-11-02');
    const bulk = seen.find((r) => r.path === '/api/v1/emails/bulk');
    assert.deepEqual(bulk.body, { template_id: 32, sender_id: 8, person_ids: people.slice(0, n).map((p) => p.id) });
    await checkPage(page, 'mail-ui-bulk-results');
    await page.unrouteAll();
  });

  it('the People list: select people on two pages, "Email selected" opens the bulk composer', async () => {
    await mockMail(page, people, { userId: user.id });
    await page.goto('/people');
    const table = page.getByRole('table', { name: 'People', exact: true });
    await table.getByRole('link').first().waitFor();
    assert.equal(await table.getByRole('checkbox').count(), 0);
    await page.getByRole('button', { name: 'Select people' }).click();
    await page.getByText('No one selected: tick the people to email.', { exact: true }).waitFor();
    const email = page.getByRole('button', { name: 'Email selected' });
    assert.equal(await email.isDisabled(), true);
    const names = await table.getByRole('row').filter({ has: page.getByRole('cell') }).locator('td.cell-name').allTextContents();
    const rows = table.getByRole('row').filter({ has: page.getByRole('cell') });
    await rows.first().getByRole('checkbox', { name: new RegExp(`^Select ${names[0].trim()}`) }).check();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('status').getByText(/^Showing 51–/).waitFor();
    const names2 = await table.getByRole('row').filter({ has: page.getByRole('cell') }).locator('td.cell-name').allTextContents();
    await rows.first().getByRole('checkbox', { name: new RegExp(`^Select ${names2[0].trim()}`) }).check();
    await page.getByText('2 selected', { exact: true }).waitFor();
    await checkPage(page, 'mail-ui-people-select');
    await email.click();
    await page.waitForURL((u) => u.pathname === '/compose' && /^\d+,\d+$/.test(u.searchParams.get('people')));
    await page.getByRole('heading', { level: 1, name: 'Email the selected people' }).waitFor();
    await page.getByRole('button', { name: 'Send to 2 people' }).waitFor();
    const options = await page.getByRole('combobox', { name: 'Preview for' }).locator('option').allTextContents();
    assert.deepEqual(options.map((o) => o.replace(/ <.*$/, '')), [names[0].trim(), names2[0].trim()]);
    await page.unrouteAll();
  });

  it('the Email tab: human counts with machines apart, the detail card, an error with "Try again"', async () => {
    const diego = people[people.length - 1];
    const summary = {
      id: 77, person: { id: diego.id, name: 'Diego Kowalczyk', email: diego.email }, subject: 'Hello Diego', status: 'sent',
      sender: { id: 8, address: 'ada@sales.example.com', display_name: 'Ada Admin' }, user_id: user.id, template_id: 32,
      campaign_id: null, created_at: '2026-11-29T08:00:00Z', send_at: null, sent_at: '2026-11-29T08:00:05Z',
      opened: { count: 2, first: '2026-11-29T08:10:00Z', last: '2026-11-29T08:20:00Z' }, clicked: { count: 0, first: null, last: null },
      replied_at: null, bounced_at: null, machine_opens: 1, machine_clicks: 3, failed_reason: null,
    };
    const detail = {
      ...summary, cc: ['boss@example.com'], bcc: [], template: { id: 32, name: 'Follow-up' }, campaign: null,
      html: '<p>Hello <b>Diego</b></p><img src="https://t.example/t/o/x" alt=""><a href="javascript:alert(1)">bad</a>',
      text: 'Hello Diego', attachments: [{ id: 1, filename: 'deck.pdf', content_type: 'application/pdf', size: 10 }],
      events: [
        { id: 3, type: 'email_click', type_name: 'Click Sales Email', person_id: diego.id, user_id: null, email_id: 77, template_id: 32,
          campaign_id: null, call_id: null, occurred_at: '2026-11-29T08:00:07Z', machine: true, attrs: { link: 'https://hail.example/demo' } },
        { id: 2, type: 'email_open', type_name: 'Open Sales Email', person_id: diego.id, user_id: null, email_id: 77, template_id: 32,
          campaign_id: null, call_id: null, occurred_at: '2026-11-29T08:10:00Z', machine: false, attrs: {} },
        { id: 1, type: 'email_send', type_name: 'Send Sales Email', person_id: diego.id, user_id: user.id, email_id: 77, template_id: 32,
          campaign_id: null, call_id: null, occurred_at: '2026-11-29T08:00:05Z', machine: false, attrs: {} },
      ],
      message_id: '<hail.77.x@sales.example.com>', smtp_reply: null,
    };
    let failList = false;
    await mockMail(page, people, {
      userId: user.id,
      emails: (route, { path, url }) => {
        if (path === '/api/v1/emails') {
          if (failList) return json(route, 503, { error: { code: 'unavailable', message: 'the database is busy' } });
          return json(route, 200, { data: url.searchParams.get('person') || url.searchParams.get('account') ? [summary] : [], next_cursor: null });
        }
        if (path === '/api/v1/emails/77') return json(route, 200, detail);
        return json(route, 404, { error: { code: 'not_found', message: 'no such email' } });
      },
    });
    await page.goto(`/people/${diego.id}?tab=emails`);
    const table = page.getByRole('table', { name: 'Emails' });
    await table.getByRole('button', { name: 'Hello Diego' }).waitFor();
    assert.deepEqual((await table.getByRole('columnheader').allTextContents()).map((x) => x.trim()), ['Subject', 'Opened', 'Clicked', 'Replied', 'Sender', 'Date', 'Status']);
    const cells = table.getByRole('row').nth(1).getByRole('cell');
    await expectText(cells.nth(1).locator('.visually-hidden'), '2 human opens, 1 by machines');
    await expectText(cells.nth(2).locator('.visually-hidden'), '0 human clicks, 3 by machines');
    await expectText(cells.nth(3), 'No');
    await expectText(cells.nth(4), 'Ada Admin <ada@sales.example.com>');
    await expectText(cells.nth(6), 'Sent');
    await table.getByRole('button', { name: 'Hello Diego' }).click();
    const card = page.getByRole('region', { name: 'Email details' });
    await card.getByRole('heading', { name: 'Hello Diego' }).waitFor();
    await card.getByText('Follow-up', { exact: true }).waitFor();
    await card.getByText('boss@example.com', { exact: true }).waitFor();
    const body = card.getByRole('region', { name: 'The email as sent' });
    await body.getByText('Diego', { exact: true }).waitFor();
    assert.equal(await body.locator('img, a').count(), 0); // no tracking pixel fetched, no javascript: link
    const events = card.getByRole('list', { name: 'Events' }).getByRole('listitem');
    assert.equal(await events.count(), 3);
    await expectText(events.nth(0), /Click Sales Email: https:\/\/hail\.example\/demo Machine$/);
    await expectText(events.nth(1), /Open Sales Email$/);
    await checkPage(page, 'mail-ui-email-tab');
    await card.getByRole('button', { name: 'Close details' }).click();
    assert.equal(await card.count(), 0);

    // The account's Email section names the person; the opportunity's is empty.
    await page.goto('/accounts/001DEMO00000008?tab=emails');
    await page.getByRole('table', { name: 'Emails in this account' }).getByRole('link', { name: 'Diego Kowalczyk' }).waitFor();
    await page.goto('/opportunities/006DEMO00000006?tab=emails');
    await page.getByText('No emails to the people of this opportunity yet.', { exact: true }).waitFor();

    failList = true;
    expectResponse(page, { method: 'GET', path: '/api/v1/emails', status: 503 });
    await page.goto(`/people/${diego.id}?tab=emails`);
    const alert = page.getByRole('tabpanel').getByRole('alert');
    await alert.getByText('the database is busy', { exact: true }).waitFor();
    failList = false;
    await alert.getByRole('button', { name: 'Try again' }).click();
    await table.getByRole('button', { name: 'Hello Diego' }).waitFor();
    await page.unrouteAll();
  });

  it('the composer when senders fail to load: the error, Send disabled', async () => {
    const diego = people[people.length - 1];
    await mockMail(page, people, { userId: user.id, fail: /senders/ });
    expectResponse(page, { method: 'GET', path: '/api/v1/senders', status: 500 });
    await page.goto(`/compose?person=${diego.id}`);
    await page.getByRole('alert').getByText('the mail store is unavailable', { exact: true }).waitFor();
    await expectText(page.locator('#compose-why'), 'Choose a sender.');
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
    await checkPage(page, 'mail-ui-compose-error');
    await page.unrouteAll();
  });

  it('admin: channel status and errors, write-only passwords, blocked domains, settings', async () => {
    const seen = await mockMail(page, people, { userId: user.id });
    await page.goto('/admin/channels');
    const table = page.getByRole('table', { name: 'Channels' });
    const relay = table.getByRole('row').filter({ hasText: 'Relay' });
    await relay.getByRole('cell').nth(4).getByText('SMTP: 535 5.7.8 authentication failed', { exact: true }).waitFor();
    await relay.getByRole('cell').nth(4).getByText('IMAP: UIDVALIDITY changed from 1 to 2', { exact: true }).waitFor();
    await relay.getByText('Mailbox changed (UIDVALIDITY)', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit Relay' }).click();
    const form = page.getByRole('form', { name: 'Edit Relay' });
    assert.equal(await form.getByLabel('SMTP password').inputValue(), '');
    assert.equal(await form.getByLabel('IMAP password').inputValue(), '');
    await form.getByRole('textbox', { name: 'Channel name' }).fill('Relay 2');
    await form.getByRole('button', { name: 'Save channel' }).click();
    await page.getByRole('status').getByText('Channel Relay 2 saved.', { exact: true }).waitFor();
    const patch = seen.find((r) => r.method === 'PATCH');
    assert.equal('password' in patch.body.smtp, false);
    assert.equal('password' in patch.body.imap, false);
    expectResponse(page, { method: 'DELETE', path: '/api/v1/channels/2', status: 409 });
    await page.getByRole('button', { name: 'Delete Relay 2' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Relay 2?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('alert').getByText('senders still use this channel', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await checkPage(page, 'mail-ui-admin-channels');

    await page.goto('/admin/mail-settings');
    const box = page.getByRole('checkbox', { name: 'Ask Marketo before each send' });
    await box.check();
    await page.getByRole('status').getByText('hail now asks Marketo before each send.', { exact: true }).waitFor();
    assert.deepEqual(seen.find((r) => r.method === 'PUT').body, { marketo_unsubscribe_check: true });
    await checkPage(page, 'mail-ui-admin-settings');
    await page.unrouteAll();
  });

  it('the composer and the channels at 390 px', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    try {
      await signIn(phone, 'admin@example.com');
      await mockMail(phone, people, { userId: user.id });
      await phone.goto(`/compose?person=${people[people.length - 1].id}`);
      await phone.getByRole('textbox', { name: 'Subject' }).fill('Hi {{first_name}}');
      await phone.getByRole('textbox', { name: 'Body' }).fill('<p>{{! a line}}</p>');
      await phone.locator('mark', { hasText: '✎ a line' }).first().waitFor();
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390);
      await checkPage(phone, 'mail-ui-compose-390');
      await phone.goto('/admin/channels');
      await phone.getByRole('table', { name: 'Channels' }).waitFor();
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390);
      await checkPage(phone, 'mail-ui-channels-390');
    } finally {
      await phone.context().close();
    }
  });
});
