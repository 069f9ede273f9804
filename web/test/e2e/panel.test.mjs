// The embeddable panel (/panel/sfdc/{id}): an admin allows an origin on Admin → Embedded
// panel; a page on that origin frames the panel, which finds the person by their
// Salesforce lead id and shows Marketo's activities (from the fake Marketo); with the
// origin removed, Chromium refuses to frame it. The admin page and the panel pass axe,
// at desktop and phone widths.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  SKIP_MARKETO, SLOW, DEMO_PASSWORD, startHail, launchBrowser, newPage, signIn, checkPage,
  assertNoProblems, expectText, waitFor,
} from './harness.mjs';

const LEAD = '00QDEMO00000001'; // demo/people.csv: Diego Kowalczyk, Marketo lead 1001

function isoDaysAgo(days) {
  return new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
}

describe('embeddable panel', { skip: SKIP_MARKETO, timeout: 300000 * SLOW }, () => {
  let hail;
  let browser;
  let host; // the "CRM" page that frames the panel
  let hostOrigin;

  before(async () => {
    hail = await startHail({ marketo: true });
    await hail.fake.control('POST', '/_fake/activities', { activities: [
      { leadId: 1001, activityTypeId: 1, activityDate: isoDaysAgo(3), primaryAttributeValue: 'pricing.html' },
      { leadId: 1001, activityTypeId: 46, activityDate: isoDaysAgo(1), primaryAttributeValue: 'Asked for a demo' },
    ] });
    host = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>CRM</title></head><body><h1>CRM lead</h1>
        <iframe title="hail insight" width="900" height="600" src="${hail.url}/panel/sfdc/${LEAD}"></iframe></body></html>`);
    });
    await new Promise((r) => host.listen(0, '127.0.0.1', r));
    hostOrigin = `http://127.0.0.1:${host.address().port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (host) await new Promise((r) => host.close(r));
    if (hail) await hail.stop();
  });

  test('an admin allows an origin on the admin page', async () => {
    const page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com', DEMO_PASSWORD, { next: '/admin/panel' });
    await page.getByRole('heading', { name: 'Embedded panel', level: 1 }).waitFor();
    const box = page.getByRole('textbox', { name: 'Origins allowed to frame /panel/sfdc/{id}, one per line' });
    await box.fill('https://bad.example.com/path');
    page.e2e.expected.push({ method: 'PUT', path: '/api/v1/settings/panel', status: 400 });
    await page.getByRole('button', { name: 'Save' }).click();
    await expectText(page.getByRole('alert'), /^frame_ancestors\[0\] must be an origin such as https:\/\/example\.my\.salesforce\.com .*, not 'https:\/\/bad\.example\.com\/path'$/);
    await box.fill(`${hostOrigin}\n`);
    await page.getByRole('button', { name: 'Save' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'Saved' }), /^Saved: one origin may frame the panel\.$/);
    const r = await hail.api('GET', '/api/v1/settings/panel');
    assert.deepEqual(r.json, { frame_ancestors: [hostOrigin] });
    await checkPage(page, 'admin-panel-settings');
    await page.context().close();
  });

  test('the allowed origin frames the panel; the person and their Marketo activities show', async () => {
    await hail.api('PUT', '/api/v1/settings/panel', { frame_ancestors: [hostOrigin] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const errors = [];
    try {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${hail.url}/sign-in`);
      await page.getByRole('textbox', { name: 'Email', exact: true }).fill('rep1@example.com');
      await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
      await page.goto(hostOrigin);
      const frame = page.frameLocator('iframe[title="hail insight"]');
      await frame.getByRole('heading', { level: 1, name: 'Diego Kowalczyk' }).waitFor();
      await expectText(frame.getByRole('list', { name: 'Marketo activities', exact: true }).getByRole('listitem').first(),
        /^Interesting Moment\s+Asked for a demo · /);
      const link = frame.getByRole('link', { name: /Open in hail/ });
      assert.match(await link.getAttribute('href'), /^\/people\/\d+$/);
      assert.equal(await link.getAttribute('target'), '_blank');
      // no shell inside the frame
      assert.equal(await frame.getByRole('button', { name: 'Sign out' }).count(), 0);

      // removed from the allowlist: Chromium refuses to frame the panel
      await hail.api('PUT', '/api/v1/settings/panel', { frame_ancestors: [] });
      await page.reload();
      await waitFor(async () => {
        const f = page.frames().find((x) => x !== page.mainFrame());
        return f && !f.url().startsWith(hail.url);
      }, 'the panel frame to be refused');
      assert.equal(await page.frameLocator('iframe[title="hail insight"]').getByRole('heading', { level: 1 }).count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    test(`the panel on its own (${name}): loading, person, unknown id`, async () => {
      const page = await newPage(browser, hail, { viewport });
      await signIn(page, 'rep1@example.com', DEMO_PASSWORD);
      await page.goto(`/panel/sfdc/${LEAD}`);
      await page.getByRole('heading', { level: 1, name: 'Diego Kowalczyk' }).waitFor();
      // chrome-less: no shell
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
      await page.getByRole('list', { name: 'Marketo activities', exact: true }).waitFor();
      await checkPage(page, `panel-person-${name}`);
      page.e2e.expected.push({ method: 'GET', path: '/api/v1/panel/sfdc/00QNOBODY000001', status: 404 });
      await page.goto('/panel/sfdc/00QNOBODY000001');
      await expectText(page.getByRole('alert'), /^no lead, contact, account or opportunity you can see has Salesforce id 00QNOBODY000001$/);
      await checkPage(page, `panel-unknown-${name}`);
      assertNoProblems(page, 'the panel');
      await page.context().close();
    });
  }
});
