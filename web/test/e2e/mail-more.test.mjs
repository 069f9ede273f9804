// End-to-end: more of the mail pages in Debian's Chromium against the real hail. The person
// page's "Sales email" card (subscribed, unsubscribe through its confirmation, the history,
// resubscribe for admins only, a reply that fails with "Try again"); the email detail card's
// "Retry" for a failed email and "Cancel" for a draft or scheduled one (confirmed; the API's
// refusal in its words); the main navigation's "Senders".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, expectText, waitFor, SKIP,
} from './harness.mjs';

// "2026-11-29T10:40:05" in UTC, `seconds` from now.
function utcIn(seconds) {
  return new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19);
}

// The app's own date format, from the page (the browser's locale and time zone).
function formatted(page, iso) {
  return page.evaluate(async (s) => (await import('/app/lib/format.js')).formatDateTime(s), iso);
}

describe('mail pages, more', { skip: SKIP }, () => {
  let hail, browser, page;
  let people, senderId;
  const missing = {};

  before(async () => {
    hail = await startHail({ leads: 5 });
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
    const r = await hail.api('GET', '/api/v1/people?limit=50');
    people = r.json.data.filter((p) => p.email && p.active);
    for (const [k, method, path] of [
      ['unsub', 'GET', `/api/v1/people/${people[0].id}/unsubscribes`], ['senders', 'GET', '/api/v1/senders'],
      ['emails', 'GET', '/api/v1/emails'],
    ]) {
      const x = await hail.api(method, path);
      missing[k] = x.status === 404 ? `${method} ${path} is not in this hail yet (404)` : false;
    }
    if (!missing.senders) {
      const s = await hail.api('POST', '/api/v1/senders', { address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '', channel_id: 1 });
      assert.equal(s.status, 201, s.body);
      senderId = s.json.id;
    }
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('the person page: subscribed → unsubscribe (confirmed) → history; resubscribe for admins only', async (t) => {
    if (missing.unsub) return t.skip(missing.unsub);
    const p = people[0];
    // First a reply that fails: the error in the API's words with "Try again".
    const path = `/api/v1/people/${p.id}/unsubscribes`;
    await page.route(`**${path}`, (route) => route.fulfill({
      status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'the store is busy, try again' } }),
    }));
    expectResponse(page, { method: 'GET', path, status: 503 });
    await page.goto(`/people/${p.id}`);
    const card = page.getByRole('region', { name: 'Sales email' });
    await card.getByRole('alert').getByText('the store is busy, try again', { exact: true }).waitFor();
    await page.unroute(`**${path}`);
    await card.getByRole('button', { name: 'Try again' }).click();

    await card.getByText('Subscribed', { exact: true }).waitFor();
    await card.getByText('No changes yet: never unsubscribed.', { exact: true }).waitFor();
    assert.equal(await card.getByRole('button', { name: 'Resubscribe' }).count(), 0);
    const ask = card.getByRole('button', { name: 'Unsubscribe from sales email', exact: true });
    await ask.click();
    // The confirmation takes the focus; "Keep subscribed" gives it back and changes nothing.
    const yes = card.getByRole('button', { name: 'Yes, unsubscribe', exact: true });
    await card.getByText('Unsubscribe this person? No sales email will be sent to them.', { exact: true }).waitFor();
    await waitFor(() => yes.evaluate((b) => b === document.activeElement), 'focus on "Yes, unsubscribe"');
    await card.getByRole('button', { name: 'Keep subscribed', exact: true }).click();
    await waitFor(() => ask.evaluate((b) => b === document.activeElement), 'focus back on the unsubscribe button');
    assert.equal((await hail.api('GET', path)).json.unsubscribed, false);

    await ask.click();
    await yes.click();
    await expectText(card.locator('p.sub-said'), /^Unsubscribed from sales email\.$/);
    const state = (await hail.api('GET', path)).json;
    assert.deepEqual([state.unsubscribed, state.source, state.data.length, state.data[0].action, state.data[0].source],
      [true, 'manual', 1, 'unsubscribe', 'manual']);
    const since = await formatted(page, state.since);
    assert.equal((await card.locator('.sub-state').innerText()).trim(), `Unsubscribed since ${since} (by hand in hail)`);
    const history = card.getByRole('list', { name: 'Subscription history' });
    assert.deepEqual((await history.getByRole('listitem').allInnerTexts()).map((s) => s.trim()),
      [`${await formatted(page, state.data[0].at)} — Unsubscribed (by hand in hail)`]);
    assert.equal(await ask.count(), 0);
    await checkPage(page, 'mail-person-unsubscribed');

    // A rep sees the state but cannot resubscribe.
    const rep = await newPage(browser, hail);
    await signIn(rep, 'rep1@example.com');
    await rep.goto(`/people/${p.id}`);
    const repCard = rep.getByRole('region', { name: 'Sales email' });
    await repCard.getByText('Unsubscribed', { exact: true }).waitFor();
    assert.equal(await repCard.getByRole('button').count(), 0);
    await checkPage(rep, 'mail-person-unsubscribed-rep');
    await rep.context().close();

    // The admin resubscribes.
    await card.getByRole('button', { name: 'Resubscribe', exact: true }).click();
    await expectText(card.locator('p.sub-said'), /^Resubscribed to sales email\.$/);
    await card.getByText('Subscribed', { exact: true }).waitFor();
    assert.equal(await history.getByRole('listitem').count(), 2);
    assert.equal((await hail.api('GET', path)).json.unsubscribed, false);
    await card.getByRole('button', { name: 'Unsubscribe from sales email', exact: true }).waitFor();
  });

  it('the email detail card: "Retry" a failed email, "Cancel" a scheduled one (confirmed), the API’s refusal', async (t) => {
    for (const k of ['unsub', 'senders', 'emails']) if (missing[k]) return t.skip(missing[k]);
    const [, failing, later] = people;
    // A failed email: scheduled a few seconds ahead, its person unsubscribed before it is due.
    const f = await hail.api('POST', '/api/v1/emails', { person_id: failing.id, sender_id: senderId, subject: 'Due soon',
      body_html: '<p>Hi</p>', send_at: utcIn(3), time_zone: 'UTC' });
    assert.equal(f.status, 201, f.body);
    assert.equal((await hail.api('POST', `/api/v1/people/${failing.id}/unsubscribe`)).status, 200);
    await waitFor(async () => (await hail.api('GET', `/api/v1/emails/${f.json.id}`)).json.status === 'failed', 'the email to fail', 20000);
    assert.equal((await hail.api('POST', `/api/v1/people/${failing.id}/resubscribe`)).status, 200);

    await page.goto(`/people/${failing.id}?tab=emails`);
    await page.getByRole('table', { name: 'Emails' }).getByRole('button', { name: 'Due soon' }).click();
    const detail = page.getByRole('region', { name: 'Email details' });
    await detail.getByText('Failed', { exact: true }).first().waitFor();
    assert.equal(await detail.getByRole('button', { name: 'Cancel', exact: true }).count(), 0);
    await checkPage(page, 'mail-email-failed');
    await detail.getByRole('button', { name: 'Retry', exact: true }).click();
    await expectText(detail.locator('p.email-said'), /^Email queued to send again\.$/);
    await detail.getByRole('heading', { name: 'Due soon' }).waitFor();
    assert.equal(await detail.getByRole('button', { name: 'Retry', exact: true }).count(), 0);
    await waitFor(async () => (await hail.api('GET', `/api/v1/emails/${f.json.id}`)).json.status === 'sent', 'the retried email to be sent', 20000);

    // A draft and a scheduled email to another person.
    const draft = await hail.api('POST', '/api/v1/emails', { person_id: later.id, sender_id: senderId, subject: 'A draft',
      body_html: '<p>Hi</p>', draft: true });
    const sched = await hail.api('POST', '/api/v1/emails', { person_id: later.id, sender_id: senderId, subject: 'Next year',
      body_html: '<p>Hi</p>', send_at: '2099-07-01T09:30:00', time_zone: 'UTC' });
    assert.deepEqual([draft.status, sched.status], [201, 201]);
    await page.goto(`/people/${later.id}?tab=emails`);
    const table = page.getByRole('table', { name: 'Emails' });

    // The draft is cancelled elsewhere first: the card shows the API's 404 in its words.
    await table.getByRole('button', { name: 'A draft' }).click();
    await detail.getByRole('heading', { name: 'A draft' }).waitFor();
    assert.equal((await hail.api('DELETE', `/api/v1/emails/${draft.json.id}`)).status, 204);
    const again = await hail.api('DELETE', `/api/v1/emails/${draft.json.id}`);
    assert.equal(again.status, 404);
    expectResponse(page, { method: 'DELETE', path: `/api/v1/emails/${draft.json.id}`, status: 404 });
    await detail.getByRole('button', { name: 'Cancel', exact: true }).click();
    await detail.getByRole('button', { name: 'Cancel the email', exact: true }).click();
    await expectText(detail.getByRole('alert'), new RegExp(`^Could not cancel the email: ${again.json.error.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await waitFor(() => detail.getByRole('button', { name: 'Cancel', exact: true }).evaluate((b) => b === document.activeElement),
      'focus back on "Cancel"');

    // The scheduled one: "Keep it" changes nothing; "Cancel the email" removes it from the list.
    await table.getByRole('button', { name: 'Next year' }).click();
    await detail.getByRole('heading', { name: 'Next year' }).waitFor();
    await detail.getByText('Scheduled', { exact: true }).first().waitFor();
    await detail.getByRole('button', { name: 'Cancel', exact: true }).click();
    const confirm = detail.getByRole('button', { name: 'Cancel the email', exact: true });
    await detail.getByText('Cancel this email? It will not be sent.', { exact: true }).waitFor();
    await waitFor(() => confirm.evaluate((b) => b === document.activeElement), 'focus on "Cancel the email"');
    await checkPage(page, 'mail-email-cancel');
    await detail.getByRole('button', { name: 'Keep it', exact: true }).click();
    assert.equal((await hail.api('GET', `/api/v1/emails/${sched.json.id}`)).json.status, 'scheduled');
    await detail.getByRole('button', { name: 'Cancel', exact: true }).click();
    await confirm.click();
    await page.locator('.email-list > .email-said').getByText('Email cancelled.', { exact: true }).waitFor();
    assert.equal(await detail.count(), 0);
    await waitFor(async () => (await table.getByRole('button', { name: 'Next year' }).count()) === 0, 'the row to go');
    assert.equal((await hail.api('GET', `/api/v1/emails/${sched.json.id}`)).status, 404);
  });

  it('the "Sales email" card and the email card at 390 px', async (t) => {
    for (const k of ['unsub', 'emails']) if (missing[k]) return t.skip(missing[k]);
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    try {
      await signIn(phone, 'admin@example.com');
      await phone.goto(`/people/${people[1].id}?tab=emails`);
      const card = phone.getByRole('region', { name: 'Sales email' });
      await card.getByRole('button', { name: 'Unsubscribe from sales email', exact: true }).click();
      await card.getByRole('button', { name: 'Yes, unsubscribe', exact: true }).waitFor();
      await phone.getByRole('table', { name: 'Emails' }).getByRole('button', { name: 'Due soon' }).click();
      await phone.getByRole('region', { name: 'Email details' }).getByRole('heading', { name: 'Due soon' }).waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the person page is ${width} px wide at 390`);
      await checkPage(phone, 'mail-person-subscription-390');
    } finally {
      await phone.context().close();
    }
  });

  it('the main navigation links to your senders', async () => {
    await page.goto('/people');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['People', 'Accounts', 'Best Bets', 'Tasks', 'Templates', 'Campaigns', 'Senders', 'Reports', 'Filters & Triggers', 'Admin']);
    await nav.getByRole('link', { name: 'Senders', exact: true }).click();
    await page.waitForURL(/\/senders$/);
    await page.getByRole('heading', { level: 1, name: 'Your email senders' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Senders', exact: true }).getAttribute('aria-current'), 'page');
    await checkPage(page, 'mail-nav-senders');
  });
});
