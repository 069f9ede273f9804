// End-to-end: the Triggers page (/admin/triggers) in Debian's Chromium against the real
// hail and a real webhook receiver (node's http server on 127.0.0.1, port 0). An admin
// sees the empty state, gets the form's own messages for an empty form, adds a webhook
// trigger on a saved filter ("added to a campaign"); a person joins a campaign through
// the API, the receiver gets the signed POST, and the delivery log shows it delivered;
// the admin disables and deletes the trigger; the page at 390 px. checkPage() on each
// state (console, requests, axe, screenshot).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectTitle, expectText, waitFor, SKIP,
} from './harness.mjs';

const SECRET = 'e2e-secret-0123456789';

function notice(page) {
  return page.getByRole('main').getByRole('status').filter({ hasText: /\S/ });
}

function receiver() {
  const posts = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      posts.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204);
      res.end();
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, posts, port: srv.address().port })));
}

describe('triggers', { skip: SKIP }, () => {
  let hail, browser, page, rec, filterId, campaignId, personId;

  before(async () => {
    rec = await receiver();
    hail = await startHail();
    const f = await hail.api('POST', '/api/v1/filters', {
      name: 'Joined a campaign', shared: true, definition: { conditions: [{ type: 'campaign_add' }] },
    });
    assert.equal(f.status, 201, f.body);
    filterId = f.json.id;
    const c = await hail.api('POST', '/api/v1/campaigns', { name: 'Nurture', steps: [{ day: 1, type: 'call' }] });
    assert.equal(c.status, 201, c.body);
    campaignId = c.json.id;
    const p = await hail.api('GET', '/api/v1/people?limit=1');
    personId = p.json.data[0].id;
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
    rec?.srv.close();
  });

  it('an admin adds a webhook trigger, sees it delivered, disables and deletes it', async () => {
    await page.goto('/admin/triggers');
    await page.getByRole('heading', { level: 1, name: 'Triggers' }).waitFor();
    await expectTitle(page, 'Triggers · hail');
    const nav = page.getByRole('navigation', { name: 'Admin' });
    assert.equal(await nav.getByRole('link', { name: 'Triggers' }).getAttribute('aria-current'), 'page');
    await page.getByText('No triggers yet. Add one below.').waitFor();
    await checkPage(page, 'admin-triggers-empty');

    // the form's own messages first; nothing is sent
    const add = page.getByRole('button', { name: 'Add trigger' });
    await add.click();
    await page.getByText('Enter a name for the trigger.').waitFor();
    await page.getByText('Choose a saved filter.').waitFor();
    await page.getByText("Enter the receiver's URL, starting with https:// or http://.").waitFor();
    assert.equal(await page.getByLabel('Trigger name').getAttribute('aria-invalid'), 'true');
    assert.equal((await hail.api('GET', '/api/v1/triggers')).json.data.length, 0);

    await page.getByLabel('Trigger name').fill('Tell the CRM');
    await page.getByLabel('Saved filter').selectOption(String(filterId));
    await page.getByLabel('Webhook URL').fill(`http://127.0.0.1:${rec.port}/hook`);
    await page.getByLabel('Signing secret').fill(SECRET);
    await add.click();
    await expectText(notice(page), 'Tell the CRM is saved: it fires on the next matching activity.');
    const table = page.getByRole('table', { name: 'Triggers' });
    await table.getByRole('cell', { name: `POST to http://127.0.0.1:${rec.port}/hook (signed)` }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(),
      ['Name', 'Filter', 'Action', 'State', 'Fired', 'Actions']);
    assert.equal(await page.getByLabel('Trigger name').inputValue(), '');

    // a person joins a campaign: the trigger fires, the receiver gets the signed body
    const m = await hail.api('POST', `/api/v1/campaigns/${campaignId}/members`, { person_ids: [personId] });
    assert.ok(m.status === 200 || m.status === 201, m.body);
    await waitFor(() => rec.posts.length === 1, 'the webhook POST');
    const { headers, body } = rec.posts[0];
    assert.equal(headers['x-hail-signature'], `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    assert.equal(JSON.parse(body).person.id, personId);

    await page.getByRole('button', { name: 'Show the activity of Tell the CRM' }).click();
    const log = page.getByRole('table', { name: 'Webhook deliveries of Tell the CRM' });
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).first().click();
      return (await log.getByText('Delivered (HTTP 204) after 1 attempt').count()) === 1;
    }, 'the delivery in the log');
    // the first column is the delivery id the receiver got as X-Hail-Delivery
    assert.equal(await log.getByRole('row').nth(1).getByRole('cell').first().innerText(), `#${headers['x-hail-delivery']}`);
    await page.getByRole('table', { name: 'Firings of Tell the CRM' }).getByText(/^webhook delivery \d+ queued$/).waitFor();
    await checkPage(page, 'admin-triggers-log');

    await page.getByRole('button', { name: 'Disable Tell the CRM' }).click();
    await expectText(notice(page), 'Tell the CRM is disabled: it does not fire.');
    await table.getByRole('cell', { name: 'Disabled' }).waitFor();

    await page.getByRole('button', { name: 'Delete Tell the CRM' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Tell the CRM?' });
    await dialog.getByRole('button', { name: 'Delete trigger' }).click();
    await expectText(notice(page), 'Tell the CRM is deleted, with its firings and delivery log.');
    await page.getByText('No triggers yet. Add one below.').waitFor();
    assert.equal((await hail.api('GET', '/api/v1/triggers')).json.data.length, 0);
    await checkPage(page, 'admin-triggers-deleted');
  });

  it('the Filters & Triggers page shows the triggers of the filter chosen; a rep is told who sets them', async () => {
    await page.goto(`/filters?id=${filterId}`);
    const section = page.getByRole('region', { name: 'Triggers' });
    await section.getByText('No triggers on this filter yet. Add one below.').waitFor();
    // the filter is the page's: the form does not ask for one
    assert.equal(await section.getByLabel('Saved filter').count(), 0);
    await section.getByLabel('Trigger name').fill('Call new members');
    await section.getByLabel('Action').selectOption('create_task');
    await section.getByLabel('Task name').fill('Call them');
    await section.getByLabel('Due after (hours)').fill('4');
    await section.getByRole('button', { name: 'Add trigger' }).click();
    await expectText(section.getByRole('status').filter({ hasText: /\S/ }),
      'Call new members is saved: it fires on the next matching activity.');
    await section.getByRole('table', { name: 'Triggers' }).getByRole('cell', { name: 'Create task “Call them”, due in 4 h' }).waitFor();
    const t = (await hail.api('GET', '/api/v1/triggers')).json.data;
    assert.deepEqual(t.map((x) => [x.name, x.filter_id, x.action, x.config]),
      [['Call new members', filterId, 'create_task', { task_name: 'Call them', task_type: 'custom', task_priority: 'normal', due_in_hours: 4 }]]);
    await checkPage(page, 'filters-triggers');

    const rep = await newPage(browser, hail);
    try {
      await signIn(rep, 'rep1@example.com');
      await rep.goto(`/filters?id=${filterId}`);
      await rep.getByRole('region', { name: 'Triggers' })
        .getByText('Only admins set up triggers on a filter (a webhook, adding to a campaign, or a task). Ask one to act on these people.').waitFor();
      await checkPage(rep, 'filters-triggers-rep');
    } finally {
      await rep.context().close();
    }
  });

  it('works 390 px wide', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    try {
      await signIn(phone, 'admin@example.com');
      await phone.goto('/admin/triggers');
      await phone.getByRole('heading', { level: 1, name: 'Triggers' }).waitFor();
      await phone.getByLabel('Action').selectOption('create_task');
      await phone.getByLabel('Task name').waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width} px wide`);
      await checkPage(phone, 'admin-triggers-phone');
    } finally {
      await phone.context().close();
    }
  });
});
