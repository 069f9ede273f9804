// End-to-end: the mail pages in Debian's Chromium against the real hail. An admin sets up
// the mail admin pages (channels with a write-only password, senders, blocked domains, the
// Marketo unsubscribe check); composes to a person: the live preview highlights a prompt
// and an unfilled field and Send stays disabled until both are gone; sends; the email
// leaves on the default maildir channel; the open pixel found in the maildir file is
// fetched; the person's Email tab shows the open and the detail card its events. A bulk
// email from an account page shows a result per person. The composer at 390 px.
//
// The routes come from other parts of issue 8 (channels, senders, templates, emails,
// tracking): a test whose route is not in this hail yet is skipped, naming it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectTitle, expectResponse, expectText, waitFor, request, SKIP, SKIP_MARKETO, SLOW,
} from './harness.mjs';

// POSTs a raw RFC 5322 message to /api/v1/inbound, as an MTA piping mail in would.
function postMessage(port, token, message) {
  return new Promise((ok, fail) => {
    const data = Buffer.from(message);
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/v1/inbound',
      headers: { 'Content-Type': 'message/rfc822', 'Content-Length': data.length, Authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end(data);
  });
}

// Every file under dir (the maildir's tmp/new/cur folders).
function filesUnder(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p));
    else out.push(p);
  }
  return out;
}

// The message's text with quoted-printable and base64 parts decoded (enough to find a URL).
export function decodedMessage(raw) {
  // Decoded first: a URL in the raw text may be cut by a soft line break.
  const parts = [raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))];
  for (const m of raw.matchAll(/\r?\n\r?\n((?:[A-Za-z0-9+/=]{4,}\r?\n?)+)/g)) {
    try {
      parts.push(Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8'));
    } catch { /* not base64 */ }
  }
  parts.push(raw);
  return parts.join('\n');
}

// false when hail has the route, else why a test that needs it is skipped.
async function routeMissing(hail, method, path, body) {
  const r = await hail.api(method, path, body);
  return r.status === 404 ? `${method} ${path} is not in this hail yet (404)` : false;
}

const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

describe('mail pages', { skip: SKIP }, () => {
  let hail, browser, page;
  const missing = {};
  let diego, senderId;

  before(async () => {
    // With the fake Marketo (it needs the Marketo contract files) the unsubscribe check can be
    // turned on; without, the switch is disabled and says why.
    hail = await startHail({ marketo: !SKIP_MARKETO, leads: 5 });
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
    for (const [k, method, path] of [
      ['channels', 'GET', '/api/v1/channels'], ['senders', 'GET', '/api/v1/senders'],
      ['blocked', 'GET', '/api/v1/blocked-domains'], ['settings', 'GET', '/api/v1/mail/settings'],
      ['templates', 'GET', '/api/v1/templates'], ['emails', 'GET', '/api/v1/emails'],
    ]) missing[k] = await routeMissing(hail, method, path);
    const r = await hail.api('GET', '/api/v1/people?q=diego');
    diego = r.json.data.find((p) => p.first_name === 'Diego' && p.last_name === 'Kowalczyk');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  const nav = () => page.getByRole('navigation', { name: 'Admin' });

  it('channels: the default maildir channel; an SMTP channel whose password is write-only', async (t) => {
    if (missing.channels) return t.skip(missing.channels);
    await page.goto('/admin/channels');
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    await expectTitle(page, 'Channels · hail');
    assert.equal(await nav().getByRole('link', { name: 'Channels' }).getAttribute('aria-current'), 'page');
    const table = page.getByRole('table', { name: 'Channels' });
    await table.getByText('Default', { exact: true }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Name', 'Kind', 'Sending', 'Inbox', 'Errors', 'Actions']);

    await page.getByRole('button', { name: 'New channel' }).click();
    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByRole('button', { name: 'Create channel' }).click();
    await form.getByText('Enter a name.', { exact: true }).waitFor();
    await form.getByText('Enter the SMTP server’s host name.', { exact: true }).waitFor();
    await form.getByRole('textbox', { name: 'Channel name' }).fill('Outbound relay');
    await form.getByRole('textbox', { name: 'SMTP host' }).fill('smtp.example.net');
    await form.getByRole('textbox', { name: 'SMTP username' }).fill('relay-user');
    await form.getByLabel('SMTP password').fill('s3cret-relay-password');
    await form.getByRole('textbox', { name: 'Per hour', exact: true }).fill('200');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('status').getByText('Channel Outbound relay created.', { exact: true }).waitFor();
    await table.getByRole('cell', { name: 'Outbound relay', exact: true }).waitFor();

    const list = await hail.api('GET', '/api/v1/channels');
    assert.equal(list.status, 200);
    assert.doesNotMatch(list.body, /s3cret-relay-password/);
    const relay = (Array.isArray(list.json) ? list.json : list.json.data).find((c) => c.name === 'Outbound relay');
    assert.deepEqual([relay.kind, relay.smtp.host, relay.smtp.port, relay.smtp.tls, relay.smtp.username, relay.smtp.password_set,
      relay.throttles.per_hour], ['smtp', 'smtp.example.net', 587, 'starttls', 'relay-user', true, 200]);

    await page.getByRole('button', { name: 'Edit Outbound relay' }).click();
    const edit = page.getByRole('form', { name: 'Edit Outbound relay' });
    assert.equal(await edit.getByLabel('SMTP password').inputValue(), '');
    await edit.getByText('A password is set: leave empty to keep it.', { exact: true }).waitFor();
    await checkPage(page, 'mail-admin-channels');
    await edit.getByRole('button', { name: 'Cancel' }).click();
  });

  it('senders: create one on the default channel (an admin may pick the user)', async (t) => {
    if (missing.senders) return t.skip(missing.senders);
    await page.goto('/admin/senders');
    await page.getByRole('heading', { level: 1, name: 'Senders' }).waitFor();
    await page.getByRole('button', { name: 'New sender' }).click();
    const form = page.getByRole('form', { name: 'New sender' });
    await form.getByRole('textbox', { name: 'Address' }).fill('not-an-address');
    await form.getByRole('button', { name: 'Create sender' }).click();
    await form.getByText('Enter an email address like rita@example.com.', { exact: true }).waitFor();
    await form.getByRole('textbox', { name: 'Address' }).fill('ada@sales.example.com');
    await form.getByRole('textbox', { name: 'Display name' }).fill('Ada Admin');
    await form.getByLabel('Signature (HTML)').fill('<p>Ada · Sales</p>');
    await form.getByRole('combobox', { name: 'User' }).selectOption({ label: 'Ada Admin (admin@example.com)' });
    await form.getByRole('button', { name: 'Create sender' }).click();
    await page.getByRole('status').getByText('Sender ada@sales.example.com created.', { exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Senders' });
    await table.getByRole('cell', { name: 'ada@sales.example.com', exact: true }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Address', 'Display name', 'User', 'Channel', 'Actions']);
    const r = await hail.api('GET', '/api/v1/senders');
    const s = (Array.isArray(r.json) ? r.json : r.json.data).find((x) => x.address === 'ada@sales.example.com');
    senderId = s.id;
    await checkPage(page, 'mail-admin-senders');
  });

  it('blocked domains: block one (a wrong one is named first), then unblock it', async (t) => {
    if (missing.blocked) return t.skip(missing.blocked);
    await page.goto('/admin/blocked-domains');
    await page.getByRole('heading', { level: 1, name: 'Blocked domains' }).waitFor();
    await page.getByText('No domain is blocked.', { exact: true }).waitFor();
    const field = page.getByRole('textbox', { name: 'Domain to block' });
    await field.fill('not a domain');
    await page.getByRole('button', { name: 'Block domain' }).click();
    await page.getByText('“not a domain” is not a domain name like example.com.', { exact: true }).waitFor();
    await field.fill('Competitor.example');
    await page.getByRole('button', { name: 'Block domain' }).click();
    await page.getByRole('status').getByText('competitor.example is blocked: hail refuses to email it.', { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Blocked domains' }).getByRole('cell', { name: 'competitor.example', exact: true }).waitFor();
    await checkPage(page, 'mail-admin-blocked');
    await page.getByRole('button', { name: 'Unblock competitor.example' }).click();
    await page.getByRole('status').getByText('competitor.example is no longer blocked.', { exact: true }).waitFor();
    await page.getByText('No domain is blocked.', { exact: true }).waitFor();
  });

  it('mail settings: the Marketo unsubscribe check switch', async (t) => {
    if (missing.settings) return t.skip(missing.settings);
    await page.goto('/admin/mail-settings');
    await page.getByRole('heading', { level: 1, name: 'Mail settings' }).waitFor();
    const box = page.getByRole('checkbox', { name: 'Ask Marketo before each send' });
    await box.waitFor();
    assert.equal(await box.isChecked(), false);
    if (SKIP_MARKETO) {
      await page.getByText('Marketo is not configured on this server (HAIL_MARKETO_URL and its credentials), so the check cannot be turned on.', { exact: true }).waitFor();
      assert.equal(await box.isDisabled(), true);
      const r = await hail.api('PUT', '/api/v1/mail/settings', { marketo_unsubscribe_check: true });
      assert.equal(r.status, 409);
      await checkPage(page, 'mail-admin-settings');
      return;
    }
    assert.equal(await page.getByText(/^Marketo is not configured/).count(), 0);
    await box.check();
    await page.getByRole('status').getByText('hail now asks Marketo before each send.', { exact: true }).waitFor();
    assert.equal((await hail.api('GET', '/api/v1/mail/settings')).json.marketo_unsubscribe_check, true);
    await checkPage(page, 'mail-admin-settings');
    await box.uncheck();
    await page.getByRole('status').getByText('hail no longer asks Marketo before sending.', { exact: true }).waitFor();
    assert.equal((await hail.api('GET', '/api/v1/mail/settings')).json.marketo_unsubscribe_check, false);
  });

  it('compose → Send disabled while a prompt or field is unfilled → sent → opened → the Email tab shows it', async (t) => {
    for (const k of ['senders', 'emails']) if (missing[k]) return t.skip(missing[k]);
    const preview = await routeMissing(hail, 'POST', '/api/v1/emails/preview', {});
    if (preview) return t.skip(preview);
    if (!senderId) {
      const r = await hail.api('POST', '/api/v1/senders', { address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '', channel_id: 1 });
      senderId = r.json.id;
    }
    if (missing.templates) expectResponse(page, { method: 'GET', path: '/api/v1/templates', status: 404 });
    await page.goto(`/people/${diego.id}`);
    await page.getByRole('link', { name: 'Write email' }).click();
    await page.waitForURL(new RegExp(`/compose\\?person=${diego.id}$`));
    await page.getByRole('heading', { level: 1, name: 'Email Diego Kowalczyk' }).waitFor();
    await expectTitle(page, 'Email Diego Kowalczyk · hail');
    const sender = page.getByRole('combobox', { name: 'Sender' });
    await waitFor(async () => (await sender.inputValue()) === String(senderId), 'the sender to be chosen');

    const send = page.getByRole('button', { name: 'Send', exact: true });
    const why = page.locator('#compose-why');
    assert.equal(await send.isDisabled(), true);
    await expectText(why, 'Write a subject.');

    await page.getByRole('textbox', { name: 'Subject' }).fill('Hello {{first_name}}');
    await page.getByRole('textbox', { name: 'Body' }).fill(
      '<p>Hi {{first_name}},</p>\n<p>{{! write one line about their launch}}</p>\n<p>Call me at {{phone}}.</p>\n' +
      '<p><a href="https://hail.example/demo">See the demo</a></p>');
    // The preview names and highlights the prompt and the field Diego has no value for.
    const pv = page.getByRole('region', { name: 'Preview of the body' });
    await pv.getByText('Hi Diego,').waitFor();
    await pv.locator('mark', { hasText: '✎ write one line about their launch' }).waitFor();
    await pv.locator('mark', { hasText: /^phone$/ }).waitFor();
    const list = page.getByRole('alert').filter({ hasText: 'Before sending:' });
    await list.getByText('{{phone}} has no value for this person: add | default: "…" or remove it.').waitFor();
    await list.getByText('Replace the prompt “write one line about their launch” with your own words.').waitFor();
    await expectText(why, 'Fill the 2 highlighted fields and prompts first.');
    assert.equal(await send.isDisabled(), true);
    await checkPage(page, 'mail-compose-unfilled');

    // One left: still disabled.
    await page.getByRole('textbox', { name: 'Body' }).fill(
      '<p>Hi {{first_name}},</p>\n<p>Congratulations on the launch.</p>\n<p>Call me at {{phone}}.</p>\n' +
      '<p><a href="https://hail.example/demo">See the demo</a></p>');
    await expectText(why, 'Fill the highlighted field or prompt first.');
    assert.equal(await send.isDisabled(), true);
    // All filled: Send.
    await page.getByRole('textbox', { name: 'Body' }).fill(
      '<p>Hi {{first_name}},</p>\n<p>Congratulations on the launch.</p>\n<p>Call me at {{phone | default: "my desk"}}.</p>\n' +
      '<p><a href="https://hail.example/demo">See the demo</a></p>');
    await pv.getByText('Call me at my desk.').waitFor();
    await expectText(why, 'Ready to send.');
    assert.equal(await send.isDisabled(), false);
    assert.equal(await page.locator('mark').count(), 0);
    await send.click();
    await page.getByRole('heading', { name: 'Email queued to send' }).waitFor();
    await page.getByRole('status').getByText('“Hello Diego” to Diego Kowalczyk is queued to send.', { exact: true }).waitFor();

    // The send worker writes it to the default maildir channel.
    const email = await waitFor(async () => {
      const r = await hail.api('GET', `/api/v1/emails?person=${diego.id}`);
      const e = r.json && r.json.data && r.json.data[0];
      return e && e.status === 'sent' ? e : null;
    }, 'the email to be sent', 30000 * SLOW);
    assert.equal(email.subject, 'Hello Diego');
    const file = await waitFor(() => filesUnder(join(hail.dataDir, 'mail')).find((f) => /\/(new|cur)\//.test(f)),
      'the message in the maildir');
    const text = decodedMessage(readFileSync(file, 'utf8'));
    const pixel = /https?:\/\/[^\s"'<>]+\/t\/o\/[A-Za-z0-9_-]+/.exec(text);
    assert.ok(pixel, `no open pixel URL in ${file}`);
    const hit = await request(hail.port, 'GET', new URL(pixel[0]).pathname, { headers: { 'User-Agent': CHROME_UA } });
    assert.equal(hit.status, 200, `${pixel[0]}: ${hit.body}`);
    assert.equal(hit.headers['content-type'], 'image/gif');

    // Diego replies; the MTA pipes the reply in. It is matched to our email by
    // In-Reply-To (our Message-ID in the maildir file).
    const msgid = /^Message-I[dD]:\s*(<[^>\s]+>)/m.exec(text);
    assert.ok(msgid, `no Message-ID in ${file}`);
    const replied = await postMessage(hail.port, hail.adminToken, [
      `From: Diego Kowalczyk <${diego.email}>`, 'To: Ada Admin <ada@sales.example.com>',
      'Subject: Re: Hello Diego', 'Message-ID: <reply-e2e-1@proseware.example>',
      `In-Reply-To: ${msgid[1]}`, `References: ${msgid[1]}`, 'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8', '', 'Sounds good, call me on Tuesday.', '',
    ].join('\r\n'));
    assert.equal(replied.status, 200, replied.body);
    assert.equal(JSON.parse(replied.body).kind, 'reply', replied.body);

    // The Email tab (deep link from the confirmation) shows it, opened once by a human.
    await page.getByRole('link', { name: 'See Diego Kowalczyk’s emails' }).click();
    await page.getByRole('heading', { level: 1, name: 'Diego Kowalczyk' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'Emails' }).getAttribute('aria-selected'), 'true');
    const table = page.getByRole('table', { name: 'Emails' });
    await table.getByRole('button', { name: 'Hello Diego' }).waitFor();
    assert.deepEqual((await table.getByRole('columnheader').allTextContents()).map((x) => x.trim()), ['Subject', 'Opened', 'Clicked', 'Replied', 'Sender', 'Date', 'Status']);
    const row = table.getByRole('row').filter({ hasText: 'Hello Diego' });
    await expectText(row.getByRole('cell').nth(6), 'Sent');
    await expectText(row.getByRole('cell').nth(4), 'Ada Admin <ada@sales.example.com>');
    await expectText(row.getByRole('cell').nth(1).locator('.visually-hidden'), '1 human open');
    await expectText(row.getByRole('cell').nth(2).locator('.visually-hidden'), '0 human clicks');
    await row.getByRole('cell').nth(3).locator('time').waitFor(); // replied: when, not "No"
    await table.getByRole('button', { name: 'Hello Diego' }).click();
    const card = page.getByRole('region', { name: 'Email details' });
    await card.getByRole('heading', { name: 'Hello Diego' }).waitFor();
    await card.getByRole('region', { name: 'The email as sent' }).getByText('Congratulations on the launch.').waitFor();
    await card.getByRole('list', { name: 'Events' }).getByText(/Open Sales Email/).waitFor();
    await card.getByRole('list', { name: 'Events' }).getByText(/Send Sales Email/).waitFor();
    await card.getByRole('list', { name: 'Events' }).getByText(/Reply to Sales Email/).waitFor();
    await checkPage(page, 'mail-person-email-tab');
  });

  it('bulk from an account ("Email all contacts"): a template, a result per person', async (t) => {
    for (const k of ['senders', 'emails', 'templates']) if (missing[k]) return t.skip(missing[k]);
    const people = await hail.api('GET', '/api/v1/accounts/001DEMO00000008/people?limit=200');
    if (people.status !== 200 || !people.json.data.length) return t.skip('the demo account has no people');
    const tpl = await hail.api('POST', '/api/v1/templates', {
      name: 'Intro', category: 'Prospecting', subject: 'Hi {{first_name}}', body_html: '<p>Hello {{first_name}} at {{company}}.</p>',
      sharing: 'everyone', commercial: true,
    });
    assert.equal(tpl.status, 201, tpl.body);
    await page.goto('/accounts/001DEMO00000008');
    await page.getByRole('link', { name: 'Email all contacts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Email the contacts of account 001DEMO00000008' }).waitFor();
    const n = people.json.data.length;
    const send = page.getByRole('button', { name: `Send to ${n} ${n === 1 ? 'person' : 'people'}` });
    assert.equal(await send.isDisabled(), true);
    await expectText(page.locator('#compose-why'), 'Choose a template.');
    await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Intro (Prospecting)' });
    const first = people.json.data[0];
    await page.getByRole('region', { name: 'Preview of the body' }).getByText(`Hello ${first.first_name} at ${first.company}.`).waitFor();
    await expectText(page.locator('#compose-why'), 'Ready to send.');
    await checkPage(page, 'mail-compose-bulk');
    await send.click();
    await page.getByRole('heading', { name: 'Bulk email sent' }).waitFor();
    const results = page.getByRole('table', { name: 'Results' });
    assert.equal(await results.getByRole('row').count(), n + 1);
    await page.getByRole('status').getByText(/^\d+ queued · \d+ refused$/).waitFor();
    await checkPage(page, 'mail-compose-bulk-results');
  });

  it('the composer and the Email tab at 390 px', async (t) => {
    for (const k of ['senders', 'emails']) if (missing[k]) return t.skip(missing[k]);
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    if (missing.templates) expectResponse(phone, { method: 'GET', path: '/api/v1/templates', status: 404 });
    try {
      await signIn(phone, 'admin@example.com');
      await phone.goto(`/compose?person=${diego.id}`);
      await phone.getByRole('heading', { level: 1, name: 'Email Diego Kowalczyk' }).waitFor();
      await phone.getByRole('textbox', { name: 'Subject' }).waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the composer is ${width} px wide at 390`);
      await checkPage(phone, 'mail-compose-390');
      await phone.goto(`/people/${diego.id}?tab=emails`);
      await phone.getByRole('tab', { name: 'Emails', selected: true }).waitFor();
      await checkPage(phone, 'mail-person-390');
    } finally {
      await phone.context().close();
    }
  });
});
