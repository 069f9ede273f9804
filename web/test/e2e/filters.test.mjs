// End-to-end: Filters & Triggers (/filters) in Debian's Chromium against the real hail.
// Activities are written into the log (SQLite, through Python's sqlite3): two of rep1's
// people opened template 1 yesterday, one of them replied, and one of rep2's people opened
// it too. rep1 opens the page from the main navigation (no saved filter yet: the empty
// state), builds "opened template 1 in the last 7 days and did not reply", previews it
// (1 person: their own, not rep2's), sees a bad count named by the server, saves it, finds
// it in the saved list with its people and the Triggers section; 390 px wide too.
// checkPage() on each (console, requests, axe, screenshot).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, expectTitle, expectText, SKIP,
  sql,
} from './harness.mjs';

describe('filters', { skip: SKIP }, () => {
  let hail, browser, page;
  let opener, replier, other;
  const at = (Date.now() - 86400 * 1000) * 1000; // yesterday, in µs

  before(async () => {
    hail = await startHail();
    const mine = sql(hail, ["SELECT id, first_name, last_name FROM people WHERE lower(owner_email) = 'rep1@example.com' ORDER BY id LIMIT 2"]);
    const theirs = sql(hail, ["SELECT id FROM people WHERE lower(owner_email) <> 'rep1@example.com' ORDER BY id LIMIT 1"]);
    assert.equal(mine.length, 2, 'two of rep1\'s demo people');
    assert.equal(theirs.length, 1, 'one person of another owner');
    [opener, replier] = mine;
    other = theirs[0];
    const act = (type, person) => 'INSERT INTO activities (type, person_id, template_id, occurred_at,' +
      ` machine, attrs, created_at) VALUES ('${type}', ${person}, 1, ${at}, 0, '{}', 0)`;
    sql(hail, [act('email_open', opener[0]), act('email_open', replier[0]), act('email_reply', replier[0]),
      act('email_open', other[0])]);
    browser = await launchBrowser();
    page = await newPage(browser, hail);
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('a rep builds, previews and saves a filter, then pages its people', async () => {
    await signIn(page, 'rep1@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Filters & Triggers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Filters & Triggers' }).waitFor();
    await expectTitle(page, 'Filters & Triggers · hail');
    await expectText(page.locator('.filter-saved'), /No saved filters yet/);
    await checkPage(page, 'filters-empty');

    // condition 1 (opened an email) and condition 2 (did not reply) are the form's defaults
    assert.equal(await page.getByLabel('Activity').first().inputValue(), 'email_open');
    assert.equal(await page.getByLabel('Did not').nth(1).isChecked(), true);
    await page.getByLabel('Template id').first().fill('1');
    await page.getByLabel('In the last (days)').first().fill('7');
    await page.getByRole('button', { name: 'Preview matches' }).click();
    await expectText(page.locator('.filter-count'), /^1 person matches\.$/);
    const preview = page.getByRole('table', { name: 'Preview of the matching people' });
    await expectText(preview, new RegExp(`${opener[1]} ${opener[2]}`));
    assert.equal(await preview.locator('tbody tr').count(), 1);

    // a count the server refuses: its whole message
    await page.getByLabel('At least (times)').first().fill('0');
    expectResponse(page, { method: 'POST', path: '/api/v1/filters/preview', status: 400 });
    await page.getByRole('button', { name: 'Preview matches' }).click();
    await expectText(page.locator('.filter-preview [role="alert"]'),
      /definition\.conditions\[0\]\.min_count must be an integer from 1 to 1000/);
    await page.getByLabel('At least (times)').first().fill('1');

    await page.getByLabel('Filter name').fill('Opened, no reply');
    await page.getByRole('button', { name: 'Save filter' }).click();
    await page.getByRole('heading', { name: 'People matching \u201cOpened, no reply\u201d' }).waitFor();
    assert.match(page.url(), /\/filters\?id=\d+$/);
    await expectText(page.getByRole('list', { name: 'Saved filters' }), /Opened, no reply/);
    const people = page.getByRole('table', { name: 'People matching Opened, no reply' });
    await expectText(people, new RegExp(`${opener[1]} ${opener[2]}`));
    assert.equal(await people.locator('tbody tr').count(), 1);
    await page.getByRole('heading', { name: 'Triggers', exact: true }).waitFor();
    await checkPage(page, 'filters-saved');

    // reloading keeps the selection (it is in the address)
    await page.reload();
    await expectText(page.getByRole('table', { name: 'People matching Opened, no reply' }),
      new RegExp(`${opener[1]} ${opener[2]}`));
  });

  it('works 390 px wide', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'rep1@example.com', undefined, { next: '/filters' });
    await phone.getByRole('heading', { level: 1, name: 'Filters & Triggers' }).waitFor();
    await expectText(phone.getByRole('list', { name: 'Saved filters' }), /Opened, no reply/);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide`);
    await checkPage(phone, 'filters-phone');
    await phone.close();
  });
});
