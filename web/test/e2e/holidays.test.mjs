// End-to-end: the holiday calendar (/admin/holidays) and a user's own time zone
// (/settings) in Debian's Chromium against the real hail. An admin adds holidays (the
// form names wrong fields first), renames one, moves between years, removes one, and
// sees the API's 404 in its own words for a day removed meanwhile; a rep has no Holidays
// ("Admins only") but sets their time zone on My settings, also to the browser's own
// zone; both pages 390 px wide. checkPage() on every page (console, requests, axe,
// screenshot).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectResponse, expectTitle, expectText, SKIP,
} from './harness.mjs';

function notice(page) {
  return page.getByRole('main').getByRole('status').filter({ hasText: /\S/ });
}

async function holidays(hail, year) {
  const r = await hail.api('GET', `/api/v1/holidays?from=${year}-01-01&to=${year}-12-31`);
  assert.equal(r.status, 200);
  return r.json.data.map((h) => [h.day, h.name]);
}

async function userZone(hail, email) {
  const r = await hail.api('GET', '/api/v1/users?limit=200');
  assert.equal(r.status, 200);
  return r.json.data.find((u) => u.email === email).time_zone;
}

describe('holidays and my time zone', { skip: SKIP }, () => {
  let hail, browser, page;

  before(async () => {
    hail = await startHail({ people: false });
    browser = await launchBrowser();
    page = await newPage(browser, hail);
    await signIn(page, 'admin@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('an admin adds, renames, pages by year and removes holidays', async () => {
    await page.goto('/admin/holidays?year=2026');
    await page.getByRole('heading', { level: 1, name: 'Holidays' }).waitFor();
    await expectTitle(page, 'Holidays · hail');
    const nav = page.getByRole('navigation', { name: 'Admin' });
    assert.equal(await nav.getByRole('link', { name: 'Holidays' }).getAttribute('aria-current'), 'page');
    await page.getByText('No holidays in 2026. Add one above.').waitFor();
    await checkPage(page, 'admin-holidays-empty');

    // the form names both wrong fields before sending anything
    const add = page.getByRole('button', { name: 'Add holiday' });
    await add.click();
    await page.getByText('Choose a date.').waitFor();
    await page.getByText('Enter a name, such as Christmas Day.').waitFor();
    assert.equal(await page.getByLabel('Date').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await holidays(hail, 2026), []);

    await page.getByLabel('Date').fill('2026-12-25');
    await page.getByLabel('Holiday name').fill('Christmas');
    await add.click();
    await expectText(notice(page), 'Friday, 25 December 2026 is a holiday: Christmas. No campaign sends and no task is due that day.');
    const table = page.getByRole('table', { name: 'Holidays in 2026' });
    await table.getByRole('cell', { name: 'Christmas', exact: true }).waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Date', 'Name', 'Actions']);
    // the form is empty again and the date field has the focus
    assert.equal(await page.getByLabel('Holiday name').inputValue(), '');
    assert.equal(await page.getByLabel('Date').evaluate((el) => el === document.activeElement), true);

    // the same day again renames it
    await page.getByLabel('Date').fill('2026-12-25');
    await page.getByLabel('Holiday name').fill('Christmas Day');
    await add.click();
    await expectText(notice(page), 'Friday, 25 December 2026 is now called Christmas Day (it was Christmas).');
    await table.getByRole('cell', { name: 'Christmas Day', exact: true }).waitFor();

    // a Saturday says so
    await page.getByLabel('Date').fill('2026-12-26');
    await page.getByLabel('Holiday name').fill('Boxing Day');
    await add.click();
    await table.getByRole('cell', { name: 'Boxing Day', exact: true }).waitFor();
    await table.getByText('Saturday, 26 December 2026 (a weekend day)').waitFor();
    assert.deepEqual(await holidays(hail, 2026), [['2026-12-25', 'Christmas Day'], ['2026-12-26', 'Boxing Day']]);

    // a day of another year: the page moves to that year
    await page.getByLabel('Date').fill('2027-01-01');
    await page.getByLabel('Holiday name').fill("New Year's Day");
    await add.click();
    await page.waitForURL(/\/admin\/holidays\?year=2027$/);
    await page.getByRole('table', { name: 'Holidays in 2027' }).getByRole('cell', { name: "New Year's Day", exact: true }).waitFor();
    await expectText(notice(page), "Friday, 1 January 2027 is a holiday: New Year's Day. No campaign sends and no task is due that day.");
    await page.getByRole('button', { name: 'Previous year (2026)' }).click();
    await page.waitForURL(/\/admin\/holidays\?year=2026$/);
    await table.getByRole('cell', { name: 'Boxing Day', exact: true }).waitFor();
    await checkPage(page, 'admin-holidays');

    await page.getByRole('button', { name: 'Remove 2026-12-26 Boxing Day' }).click();
    await expectText(notice(page), 'Saturday, 26 December 2026 (Boxing Day) is no longer a holiday.');
    await table.getByRole('cell', { name: 'Boxing Day', exact: true }).waitFor({ state: 'detached' });
    assert.deepEqual(await holidays(hail, 2026), [['2026-12-25', 'Christmas Day']]);

    // removed meanwhile by someone else: the API's 404 in its own words
    assert.equal((await hail.api('DELETE', '/api/v1/holidays/2026-12-25')).status, 204);
    expectResponse(page, { method: 'DELETE', path: '/api/v1/holidays/2026-12-25', status: 404 });
    await page.getByRole('button', { name: 'Remove 2026-12-25 Christmas Day' }).click();
    await expectText(page.getByRole('alert'), 'Could not remove Friday, 25 December 2026: 2026-12-25 is not a holiday');
    await page.getByText('No holidays in 2026. Add one above.').waitFor();
    await checkPage(page, 'admin-holidays-removed');
  });

  it('a rep has no Holidays but sets their own time zone, also to the browser\'s', async () => {
    const rep = await newPage(browser, hail, { timezoneId: 'Asia/Kolkata' });
    try {
      await signIn(rep, 'rep1@example.com');
      // "Admins only" asks the API, whose 403 it shows
      expectResponse(rep, { method: 'GET', path: '/api/v1/users', status: 403 });
      await rep.goto('/admin/holidays');
      await rep.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();

      await rep.getByRole('link', { name: 'My settings', exact: true }).click();
      await rep.waitForURL(/\/settings$/);
      await rep.getByRole('heading', { level: 1, name: 'My settings' }).waitFor();
      await expectTitle(rep, 'My settings · hail');
      assert.equal(await rep.getByRole('link', { name: 'My settings', exact: true }).getAttribute('aria-current'), 'page');
      const select = rep.getByRole('combobox', { name: 'Your time zone' });
      assert.equal(await select.inputValue(), 'UTC');
      const options = await select.locator('option').allInnerTexts();
      for (const z of ['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'Asia/Kolkata', 'UTC']) assert.ok(options.includes(z), z);
      const save = rep.getByRole('button', { name: 'Save time zone' });
      assert.equal(await save.isDisabled(), true); // nothing changed yet
      await checkPage(rep, 'my-settings');

      await select.selectOption('Europe/Berlin');
      await save.click();
      await expectText(notice(rep), 'Your time zone is now Europe/Berlin.');
      await rep.getByText(/^Now set: Europe\/Berlin, where it is \d\d:\d\d on \w+day\.$/).waitFor();
      assert.equal(await userZone(hail, 'rep1@example.com'), 'Europe/Berlin');
      assert.equal(await userZone(hail, 'rep2@example.com'), 'UTC');

      await rep.getByRole('button', { name: "Use this browser's zone (Asia/Kolkata)" }).click();
      await expectText(notice(rep), 'Your time zone is now Asia/Kolkata.');
      assert.equal(await select.inputValue(), 'Asia/Kolkata');
      assert.equal(await rep.getByRole('button', { name: /Use this browser's zone/ }).count(), 0);
      assert.equal(await userZone(hail, 'rep1@example.com'), 'Asia/Kolkata');

      // it stays after a reload
      await rep.reload();
      await rep.getByRole('heading', { level: 1, name: 'My settings' }).waitFor();
      await expectText(rep.getByText(/^Now set: /), /^Now set: Asia\/Kolkata, where it is /);
      assert.equal(await rep.getByRole('combobox', { name: 'Your time zone' }).inputValue(), 'Asia/Kolkata');
      await checkPage(rep, 'my-settings-saved');
    } finally {
      await rep.context().close();
    }
  });

  it('both pages at a 390-px phone width', async () => {
    assert.equal((await hail.api('PUT', '/api/v1/holidays/2026-07-03', { name: 'Independence Day (observed)' })).status, 200);
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    try {
      await signIn(phone, 'admin@example.com');
      await phone.goto('/admin/holidays?year=2026');
      await phone.getByRole('table', { name: 'Holidays in 2026' }).getByRole('cell', { name: 'Independence Day (observed)', exact: true }).waitFor();
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 390, `the holidays page is ${wide} px wide`);
      await checkPage(phone, 'admin-holidays-390');
      await phone.goto('/settings');
      await phone.getByRole('combobox', { name: 'Your time zone' }).waitFor();
      const wide2 = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide2 <= 390, `the settings page is ${wide2} px wide`);
      await checkPage(phone, 'my-settings-390');
    } finally {
      await phone.context().close();
    }
  });
});
