// Templates: the empty list, a new template with its live preview for a chosen person
// (unfilled fields and prompts highlighted, then fixed), saving, the favorite star and the
// Favorites view, archiving (All / Archived), a teammate's read-only view of a template
// shared with the team, a template that does not parse, an unknown id, and a 390-px phone;
// checkPage() (console, requests, axe, screenshot) on every page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, SLOW, startHail, launchBrowser, newPage, signIn, checkPage, expectText, expectTitle,
  expectResponse, waitFor,
} from './harness.mjs';

const BODY = '<p>Hi {{first_name}},</p>\n<p>{{! one line about their launch}}</p>\n'
  + '<p>Call me at {{phone}}? {{company}} &amp; us.</p>';

function rows(page) {
  return page.getByRole('table', { name: 'Templates', exact: true }).getByRole('row')
    .filter({ has: page.getByRole('cell') });
}

describe('templates pages', { skip: SKIP, timeout: 600000 * SLOW }, () => {
  let hail;
  let browser;
  let sendersApi; // false where this hail has no GET /api/v1/senders yet

  before(async () => {
    hail = await startHail();
    browser = await launchBrowser();
    sendersApi = (await hail.api('GET', '/api/v1/senders')).status !== 404;
  });

  after(async () => {
    if (browser) await browser.close();
    if (hail) await hail.stop();
  });

  async function open(options) {
    const page = await newPage(browser, hail, options);
    if (!sendersApi) expectResponse(page, { method: 'GET', path: '/api/v1/senders', status: 404 });
    return page;
  }

  test('a new template: live preview for a person, gaps fixed, saved, favorite, archived', async () => {
    const page = await open();
    await signIn(page, 'rep1@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    await expectTitle(page, 'Templates · hail');
    await expectText(page.locator('.state-empty'), 'No templates yet. Create one, or ask a colleague to share theirs.');
    await checkPage(page, 'templates-empty');

    await page.getByRole('link', { name: 'New template', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'New template' }).waitFor();
    await expectTitle(page, 'New template · hail');
    await page.getByLabel('Name', { exact: true }).fill('Launch follow-up');
    await page.getByLabel('Category', { exact: true }).fill('follow-up');
    await page.getByLabel('Subject', { exact: true }).fill('Congrats, {{first_name | default: "there"}}');
    await page.getByLabel('Body (HTML)', { exact: true }).fill(BODY);
    await page.getByRole('combobox', { name: 'Shared with', exact: true }).selectOption('teams');

    // The preview, before saving: Diego has no phone (unfilled) and the prompt is still there.
    await page.getByLabel('Find a person', { exact: true }).fill('Diego Kowalczyk');
    const person = page.getByRole('combobox', { name: 'Preview for', exact: true });
    await waitFor(async () => (await person.locator('option:checked').textContent()) === 'Diego Kowalczyk — Proseware',
      'Diego chosen for the preview');
    const status = page.locator('.tpl-ready');
    await expectText(status, 'Not ready to send: 2 gaps to fill');
    await expectText(page.getByRole('list', { name: 'Unfilled fields' }), 'phone');
    await expectText(page.getByRole('list', { name: 'Prompts to replace' }), 'one line about their launch');
    await expectText(page.locator('.tpl-subject'), 'Subject: Congrats, Diego');
    const body = page.getByRole('region', { name: 'Preview of the body' });
    await expectText(body, 'Hi Diego, one line about their launch Call me at {{phone}}? Proseware & us.');
    assert.equal(await body.locator('mark.tpl-unfilled').textContent(), '{{phone}}');
    assert.equal(await body.locator('mark.tpl-prompt').textContent(), 'one line about their launch');
    await checkPage(page, 'templates-new-preview');

    await page.getByRole('button', { name: 'Create template', exact: true }).click();
    await page.waitForURL((u) => /^\/templates\/\d+$/.test(u.pathname));
    await page.getByRole('heading', { level: 1, name: 'Launch follow-up' }).waitFor();
    await expectTitle(page, 'Launch follow-up · hail');
    const stats = page.getByRole('region', { name: 'Analytics' });
    await expectText(stats.locator('dl'), 'Sent0Opened0Clicked0Replied0Bounced0Success rate—');

    // Fill the gaps: a default for the phone, the prompt replaced by a sentence.
    await page.getByLabel('Body (HTML)', { exact: true }).fill(BODY
      .replace('{{! one line about their launch}}', 'Your launch looked great.')
      .replace('{{phone}}', '{{phone | default: "your desk"}}'));
    await expectText(status, 'Ready to send for this person');
    await expectText(body, 'Hi Diego, Your launch looked great. Call me at your desk? Proseware & us.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expectText(page.locator('.tpl-saved'), 'Saved.');
    await checkPage(page, 'templates-saved');

    // The favorite star, then the Favorites view of the list.
    const star = page.getByRole('button', { name: 'Favorite: Launch follow-up', exact: true });
    assert.equal(await star.getAttribute('aria-pressed'), 'false');
    await star.click();
    await waitFor(async () => (await star.getAttribute('aria-pressed')) === 'true', 'the star on');
    await page.getByRole('link', { name: 'All templates', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    await expectText(rows(page).first().getByRole('link'), 'Launch follow-up');
    const cells = (await rows(page).first().getByRole('cell').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
    assert.deepEqual(cells, ['★', 'Launch follow-up', 'follow-up', 'Riley Rep', 'My teams', '0', '0', '0', '0', '0', '—']);
    await page.getByRole('radio', { name: 'Favorites', exact: true }).check();
    await page.waitForURL((u) => u.searchParams.get('view') === 'favorites');
    await expectText(rows(page).first().getByRole('link'), 'Launch follow-up');
    await checkPage(page, 'templates-favorites');

    // Archive: gone from All, listed under Archived.
    await rows(page).first().getByRole('link').click();
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await expectText(page.locator('.tpl-saved'), 'Archived: it is listed under Archived only.');
    await page.goto('/templates');
    await expectText(page.locator('.state-empty'), 'No templates yet. Create one, or ask a colleague to share theirs.');
    await page.getByRole('radio', { name: 'Archived', exact: true }).check();
    await expectText(rows(page).first().getByRole('link'), 'Launch follow-up');
    await checkPage(page, 'templates-archived');
  });

  test('a teammate sees a team template under Shared with me, read-only; at phone width', async () => {
    const made = await hail.api('POST', '/api/v1/templates', {
      name: 'Team intro', subject: 'Hello {{first_name}}', body_html: '<p>{{my_name}} here.</p>', sharing: 'teams',
    });
    assert.equal(made.status, 201, made.body);
    const page = await open({ viewport: { width: 390, height: 844 } });
    await signIn(page, 'rep2@example.com');
    await page.goto('/templates?view=shared');
    await expectText(rows(page).first().getByRole('link'), 'Team intro');
    await checkPage(page, 'templates-shared-phone');
    await rows(page).first().getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Team intro' }).waitFor();
    await expectText(page.locator('.notice'), 'Only its owner (Ada Admin) or an admin can change this template.');
    assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).count(), 0);
    // The preview is "as me" without a sender identity: my_name is Sam's own.
    await expectText(page.getByRole('region', { name: 'Preview of the body' }), 'Sam Rep here.');
    await checkPage(page, 'templates-read-only-phone');
  });

  test('a template that does not parse, and an unknown template', async () => {
    const page = await open();
    expectResponse(page, { method: 'POST', path: '/api/v1/emails/preview', status: 400 });
    expectResponse(page, { method: 'POST', path: '/api/v1/templates', status: 400 });
    expectResponse(page, { method: 'GET', path: '/api/v1/templates/999', status: 404 });
    await signIn(page, 'rep1@example.com');
    await page.goto('/templates/new');
    await page.getByLabel('Name', { exact: true }).fill('Broken');
    await page.getByLabel('Subject', { exact: true }).fill('Hi');
    await page.getByLabel('Body (HTML)', { exact: true }).fill('<p>\n{{#intro}}hello');
    await expectText(page.getByRole('alert'), 'body_html: line 2: section intro is never closed');
    await page.getByRole('button', { name: 'Create template', exact: true }).click();
    await waitFor(async () => (await page.getByRole('alert').count()) === 2, 'the form error');
    await expectText(page.locator('.tpl-form [role="alert"]'), 'body_html: line 2: section intro is never closed');
    await checkPage(page, 'templates-parse-error');

    await page.goto('/templates/999');
    await page.getByRole('heading', { level: 1, name: 'Template not found' }).waitFor();
    await expectText(page.locator('.state-empty p').first(), 'no template with id 999');
    await checkPage(page, 'templates-not-found');
  });
});
