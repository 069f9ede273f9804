// End-to-end: Best Bets in Debian's Chromium against the real hail. Two of rep1's demo
// people get an email each (sent through the default maildir channel); their open pixels
// are fetched as a browser would: the one opened twice ranks first, with "3 of 3 stars"
// and the why "2 opens"; after three more opens of the other's email the order changes on
// reload. A machine's open (HEAD) changes nothing. The filter tabs, a task made from a row,
// the bulk "Email selected" (→ the composer with both people), an admin choosing whose list,
// a manager picking a rep of their team (and a rep seeing no picker), 390 px, axe on the page.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  startHail, launchBrowser, newPage, signIn, checkPage, expectText, waitFor, request, SKIP, SLOW,
} from './harness.mjs';

const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

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

// The open pixel's path in the maildir message to `to`.
function pixelPath(dataDir, to) {
  for (const f of filesUnder(join(dataDir, 'mail'))) {
    if (!/\/(new|cur)\//.test(f)) continue;
    const raw = readFileSync(f, 'utf8');
    if (!raw.includes(to)) continue;
    const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    const m = /https?:\/\/[^\s"'<>]+(\/t\/o\/[A-Za-z0-9_-]+)/.exec(text);
    if (m) return m[1];
  }
  return null;
}

describe('Best Bets', { skip: SKIP }, () => {
  let hail, browser, page;
  let diego, thomas;
  const pixels = {};

  async function open(path, times, method = 'GET') {
    for (let i = 0; i < times; i++) {
      const r = await request(hail.port, method, path, { headers: { 'User-Agent': CHROME_UA } });
      assert.equal(r.status, 200, r.body);
    }
  }

  function rowNames() {
    return page.getByRole('table', { name: 'Best Bets' }).locator('tbody td.cell-name a').allTextContents();
  }

  before(async () => {
    hail = await startHail({ leads: 5 });
    browser = await launchBrowser();
    const people = (await hail.api('GET', '/api/v1/people?limit=200')).json.data;
    diego = people.find((p) => p.email === 'diego.kowalczyk@proseware.example');
    thomas = people.find((p) => p.email === 'thomas.rossi@cafe-zurich.example');
    assert.ok(diego && thomas, 'the demo people Diego and Thomas (rep1\'s)');
    const sender = await hail.api('POST', '/api/v1/senders', {
      address: 'ada@sales.example.com', display_name: 'Ada Admin', signature_html: '', channel_id: 1,
    });
    assert.equal(sender.status, 201, sender.body);
    for (const p of [diego, thomas]) {
      const r = await hail.api('POST', '/api/v1/emails', {
        person_id: p.id, sender_id: sender.json.id, subject: 'Hello', body_html: '<p>Hello there.</p>',
      });
      assert.equal(r.status, 201, r.body);
    }
    for (const p of [diego, thomas]) {
      pixels[p.id] = await waitFor(() => pixelPath(hail.dataDir, p.email), `the email to ${p.email} in the maildir`,
        30000 * SLOW);
    }
    page = await newPage(browser, hail);
    await signIn(page, 'rep1@example.com');
  });

  after(async () => {
    await browser?.close();
    await hail?.stop();
  });

  it('shows the empty state before anyone engages', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Best Bets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Best Bets' }).waitFor();
    await page.getByText('None of your people has opened, clicked or replied yet.', { exact: false }).waitFor();
  });

  it('ranks by human engagement and the order changes after engagement', async () => {
    await open(pixels[diego.id], 2);
    await open(pixels[thomas.id], 1);
    await open(pixels[thomas.id], 3, 'HEAD'); // a machine's opens: no change
    await page.reload();
    const table = page.getByRole('table', { name: 'Best Bets' });
    await table.waitFor();
    assert.deepEqual(await rowNames(), ['Diego Kowalczyk', 'Thomas Rossi']);
    const first = table.locator('tbody tr').first();
    await expectText(first.locator('.best-why > span').first(), '2 opens');
    await first.getByText('3 of 3 stars').waitFor({ state: 'attached' });
    await first.getByText('3 of 3 flames').waitFor({ state: 'attached' });
    await checkPage(page, 'best-bets');

    await open(pixels[thomas.id], 3);
    await page.reload();
    await table.waitFor();
    await waitFor(async () => (await rowNames())[0] === 'Thomas Rossi', 'Thomas to rank first');
    assert.deepEqual(await rowNames(), ['Thomas Rossi', 'Diego Kowalczyk']);
    await expectText(table.locator('tbody tr').first().locator('.best-why > span').first(), '4 opens');
  });

  it('filters by kind', async () => {
    await page.getByRole('radio', { name: 'Contacts', exact: true }).check();
    await page.getByText('None of your people of this kind has opened, clicked or replied yet.').waitFor();
    assert.match(page.url(), /filter=contacts/);
    await page.getByRole('radio', { name: 'Leads', exact: true }).check();
    await page.getByRole('table', { name: 'Best Bets' }).waitFor();
    assert.deepEqual(await rowNames(), ['Thomas Rossi', 'Diego Kowalczyk']);
    await page.getByRole('radio', { name: 'Everyone', exact: true }).check();
    await page.getByRole('table', { name: 'Best Bets' }).waitFor();
  });

  it('makes a task from a row', async () => {
    await page.getByRole('button', { name: 'New task for Diego Kowalczyk' }).click();
    const dialog = page.getByRole('dialog', { name: 'New task for Diego Kowalczyk' });
    // the shared dialog (components/task-dialog.js), as in the Live Feed
    await dialog.getByRole('textbox', { name: 'Task name' }).fill('Call Diego about pricing');
    await dialog.getByRole('combobox', { name: 'Priority' }).selectOption('high');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await page.getByText('Task for Diego Kowalczyk created.').waitFor();
    const tasks = await hail.api('GET', '/api/v1/tasks?queue=open&limit=50');
    assert.ok(tasks.json.data.some((t) => t.name === 'Call Diego about pricing' && t.priority === 'high'), tasks.body);
  });

  it('emails a selection', async () => {
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    await page.getByRole('status').getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Email selected' }).click();
    await page.waitForURL(/\/compose\?people=/);
    const ids = new URL(page.url()).searchParams.get('people').split(',').map(Number).sort((a, b) => a - b);
    assert.deepEqual(ids, [diego.id, thomas.id].sort((a, b) => a - b));
  });

  it('lets an admin read a rep\'s list', async () => {
    const admin = await newPage(browser, hail);
    await signIn(admin, 'admin@example.com');
    await admin.goto(`${hail.url}/best-bets`);
    await admin.getByText('None of your people has opened, clicked or replied yet.', { exact: false }).waitFor();
    const rep = (await hail.api('GET', '/api/v1/users?limit=200')).json.data.find((u) => u.email === 'rep1@example.com');
    await admin.getByRole('combobox', { name: 'Whose Best Bets' }).selectOption(String(rep.id));
    await admin.waitForURL(new RegExp(`user_id=${rep.id}`));
    const table = admin.getByRole('table', { name: 'Best Bets' });
    await table.waitFor();
    assert.deepEqual(await table.locator('tbody td.cell-name a').allTextContents(), ['Thomas Rossi', 'Diego Kowalczyk']);
    await checkPage(admin, 'best-bets-admin');
    await admin.close();
  });

  it('lets a manager pick a rep of their team and read that list', async () => {
    const mgr = await newPage(browser, hail);
    await signIn(mgr, 'manager@example.com');
    await mgr.goto(`${hail.url}/best-bets`);
    await mgr.getByText('None of your people has opened, clicked or replied yet.', { exact: false }).waitFor();
    const picker = mgr.getByRole('combobox', { name: 'Whose Best Bets' });
    await picker.waitFor();
    // the team West (GET /api/v1/users/covered): every demo user is in it, by name
    const options = await picker.locator('option').allTextContents();
    assert.deepEqual(options, ['Ada Admin', 'Mine (Max Manager)', 'Riley Rep', 'Sam Rep']);
    await picker.selectOption({ label: 'Riley Rep' });
    await mgr.waitForURL(/user_id=\d+/);
    const table = mgr.getByRole('table', { name: 'Best Bets' });
    await table.waitFor();
    assert.deepEqual(await table.locator('tbody td.cell-name a').allTextContents(), ['Thomas Rossi', 'Diego Kowalczyk']);
    await checkPage(mgr, 'best-bets-manager');
    // and back to their own
    await picker.selectOption({ label: 'Mine (Max Manager)' });
    await mgr.getByText('None of your people has opened, clicked or replied yet.', { exact: false }).waitFor();
    await mgr.close();
  });

  it('shows a rep no picker', async () => {
    await page.goto(`${hail.url}/best-bets`);
    await page.getByRole('table', { name: 'Best Bets' }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Whose Best Bets' }).count(), 0);
  });

  it('works at phone width', async () => {
    const phone = await newPage(browser, hail, { viewport: { width: 390, height: 844 } });
    await signIn(phone, 'rep1@example.com');
    await phone.goto(`${hail.url}/best-bets`);
    await phone.getByRole('table', { name: 'Best Bets' }).waitFor();
    await checkPage(phone, 'best-bets-phone');
    await phone.close();
  });
});
